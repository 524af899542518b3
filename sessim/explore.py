"""Helpers for exploring results in a notebook: replications with bands, and a
recommendation in plain words.

``replicate(scenario, seeds=3)`` runs the same scenario under several seeds;
``summary_bands`` and ``daily_bands`` turn those runs into frames with a mean and
a low/high band (quantiles over the seeds); ``plot_daily_bands`` draws one of
those frames; ``recommend(summary)`` picks an option from a run's summary and
says why, with the numbers it used; ``mean_summary`` averages replications into
one summary for it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sessim.runner import Result
    from sessim.scenario import Scenario

SUMMARY_METRICS = ("inbox_rate", "spam_rate", "deferral_rate", "overflow_share",
                   "days_to_warm", "p95_delay_s", "monthly_cost_usd")


def replicate(scenario: Scenario, seeds: int | Iterable[int] = 3,
              days: int | None = None) -> dict[int, Result]:
    """Run ``scenario`` once per seed and return ``{seed: Result}``.

    ``seeds`` is either a count (seeds ``scenario.seed``, ``scenario.seed + 1``, ...)
    or the seeds themselves. ``days`` shortens (or lengthens) every run. The options
    of one run share their traffic draws; different seeds draw new traffic and new
    provider behaviour, so the spread over seeds is the run-to-run uncertainty.
    """
    from sessim.runner import simulate

    if isinstance(seeds, int):
        if seeds < 1:
            raise ValueError(f"seeds must be at least 1, not {seeds}")
        seeds = range(scenario.seed, scenario.seed + seeds)
    seeds = list(seeds)
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct: {seeds}")
    return {int(seed): simulate(scenario, seed=int(seed), days=days) for seed in seeds}


def summary_bands(runs: dict[int, Result], metrics: Sequence[str] = SUMMARY_METRICS,
                  low: float = 0.1, high: float = 0.9) -> pd.DataFrame:
    """One row per option x metric: ``mean``, ``low``, ``high`` quantiles over seeds.

    ``runs`` is what :func:`replicate` returns. Missing values (``days_to_warm`` is
    NaN when an option did not warm within the run) are left out of the statistics;
    ``n`` counts the seeds that gave a value and ``runs`` all seeds, so ``n < runs``
    for ``days_to_warm`` means some runs ended before the option was warm.
    """
    _check_quantiles(low, high)
    frame = pd.concat([r.summary.assign(seed=s) for s, r in runs.items()], ignore_index=True)
    unknown = [m for m in metrics if m not in frame.columns]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; summary has {list(frame.columns)}")
    rows = []
    for option, g in frame.groupby("option", sort=False):
        for metric in metrics:
            values = g[metric].astype(float).dropna()
            rows.append({"option": option, "metric": metric, "mean": _stat(values, None),
                         "low": _stat(values, low), "high": _stat(values, high),
                         "n": len(values), "runs": len(g)})
    return pd.DataFrame(rows)


def mean_summary(runs: dict[int, Result]) -> pd.DataFrame:
    """One summary row per option, averaged over the seeds of :func:`replicate`.

    Numbers are means over seeds (``days_to_warm`` over the runs that warmed); text
    columns keep their first value, except ``worst_account_status``, which is the
    worst reached in any run. The result can be passed to :func:`recommend`.
    """
    frame = pd.concat([r.summary for r in runs.values()], ignore_index=True)
    grouped = frame.groupby("option", sort=False)
    out = grouped.mean(numeric_only=True)
    for column in frame.columns.drop("option"):
        if column not in out.columns:
            out[column] = grouped[column].first()
    if "worst_account_status" in frame.columns:
        out["worst_account_status"] = grouped["worst_account_status"].agg(_worst_status)
    return out.reset_index()[list(frame.columns)]


def daily_bands(runs: dict[int, Result], numerator: str, denominator: str | None = None,
                low: float = 0.1, high: float = 0.9) -> pd.DataFrame:
    """Per option and day, a daily total (or ratio of totals) with a band over seeds.

    Columns are summed over providers first (see ``Result.totals``); with a
    ``denominator`` the value is ``numerator / denominator`` (e.g. ``"deferred",
    "attempts"`` for the deferred share, ``"spam", "sent"`` for the spam-folder
    share). Returns columns ``option, day, mean, low, high``.
    """
    _check_quantiles(low, high)
    parts = []
    for seed, result in runs.items():
        totals = result.totals()
        for column in (numerator, denominator):
            if column is not None and column not in totals.columns:
                raise ValueError(f"unknown column {column!r}; daily totals have"
                                 f" {list(totals.columns)}")
        value = totals[numerator].astype(float)
        if denominator is not None:
            den = totals[denominator].astype(float)
            value = value / den.where(den > 0)
        parts.append(totals[["option", "day"]].assign(seed=seed, value=value))
    frame = pd.concat(parts, ignore_index=True)
    grouped = frame.groupby(["option", "day"], sort=False)["value"]
    out = grouped.mean().rename("mean").to_frame()
    out["low"] = grouped.quantile(low)
    out["high"] = grouped.quantile(high)
    return out.reset_index()


def plot_daily_bands(frame: pd.DataFrame, title: str, ylabel: str = "") -> Figure:
    """A matplotlib Figure of a :func:`daily_bands` frame: a line per option and its band."""
    import matplotlib.pyplot as plt

    from sessim import plots  # noqa: F401  (selects the non-interactive backend outside Jupyter)

    fig, ax = plt.subplots(figsize=(7, 3.8))
    for i, (option, g) in enumerate(frame.groupby("option", sort=False)):
        ax.plot(g.day, g["mean"], color=f"C{i}", label=option)
        ax.fill_between(g.day, g["low"], g["high"], color=f"C{i}", alpha=0.2, linewidth=0)
    ax.set_title(title)
    ax.set_xlabel("day")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return fig


def recommend(summary: pd.DataFrame, inbox_tolerance: float = 0.005,
              max_deferral_rate: float = 0.05) -> str:
    """A plain-language recommendation computed from a run's summary.

    Rules, in order: an option whose account reached "Under review" or worse is
    ruled out (unless all did). Among the rest, the options whose inbox rate is
    within ``inbox_tolerance`` (absolute, default half a percentage point) of the
    best are "as good"; of those, the ones that deferred at most
    ``max_deferral_rate`` of their attempts are preferred, and the cheapest (by
    monthly cost) is recommended. The sentence gives the numbers it used, names
    the runner-up and what it would change, and says when a dedicated pool was
    still warming (not warm, or much of its mail overflowed to shared IPs).
    """
    need = {"option", "inbox_rate", "spam_rate", "deferral_rate", "monthly_cost_usd"}
    missing = need - set(summary.columns)
    if missing:
        raise ValueError(f"summary lacks column(s) {sorted(missing)}")
    if summary.empty:
        raise ValueError("summary has no options")
    s = summary.reset_index(drop=True)
    status = s.get("worst_account_status", pd.Series("Healthy", index=s.index))
    healthy = status == "Healthy"
    candidates = s[healthy] if healthy.any() else s
    best_inbox = candidates.inbox_rate.max()
    as_good = candidates[candidates.inbox_rate >= best_inbox - inbox_tolerance]
    smooth = as_good[as_good.deferral_rate <= max_deferral_rate]
    pick = (smooth if not smooth.empty else as_good)
    pick = pick.loc[pick.monthly_cost_usd.idxmin()]

    text = []
    if not healthy.any():
        text.append("No option kept the SES account healthy (worst status:"
                    f" {_worst_status(status)}){_peaks(s)}; clean the list before choosing"
                    " IPs, since every IP option sends from the same account.")
    lead = "Of these, the least bad is" if not healthy.any() else "Choose"
    text += [f"{lead} {pick.option!r}: {_pct(pick.inbox_rate)} of mail reached the inbox,"
            f" {_pct(pick.spam_rate)} went to spam, {_pct(pick.deferral_rate)} of attempts"
            f" were deferred, at about ${pick.monthly_cost_usd:,.0f} a month."]
    others = s[s.option != pick.option]
    if not others.empty:
        rival = others.loc[others.inbox_rate.idxmax()]
        gap = rival.inbox_rate - pick.inbox_rate
        dcost = rival.monthly_cost_usd - pick.monthly_cost_usd
        more = "more" if dcost >= 0 else "less"
        if not healthy[rival.name] and healthy.any():
            text.append(f"{rival.option!r} inboxed {_pp(gap)} more but its account"
                        f" reached {status[rival.name]}.")
        elif gap > 0 and rival.deferral_rate > max_deferral_rate >= pick.deferral_rate:
            text.append(f"{rival.option!r} inboxed {_pp(gap)} more but deferred"
                        f" {_pct(rival.deferral_rate)} of attempts (over"
                        f" {_pct(max_deferral_rate)}), at ${abs(dcost):,.0f} a month {more}.")
        elif abs(gap) < 5e-5:
            text.append(f"{rival.option!r} inboxed the same (within 0.01 percentage points)"
                        f" at ${abs(dcost):,.0f} a month {more}.")
        elif gap > 0:
            text.append(f"{rival.option!r} inboxed {_pp(gap)} more, within the"
                        f" {_pp(inbox_tolerance)} tolerance, at ${abs(dcost):,.0f} a month"
                        f" {more}.")
        else:
            text.append(f"The next best, {rival.option!r}, inboxed {_pp(-gap)} less"
                        f" at ${rival.monthly_cost_usd:,.0f} a month.")
    if healthy.any() and not healthy.all():
        text.append("Ruled out, the SES account reached review or pause: "
                    + ", ".join(f"{r.option!r} ({status[i]})"
                                for i, r in s[~healthy].iterrows()) + ".")
    if pick.deferral_rate > max_deferral_rate:
        text.append(f"Caution: it deferred over {_pct(max_deferral_rate)} of attempts, so"
                    " mail was delayed.")
    text.extend(_warming_notes(s))
    return " ".join(text)


# ---------------------------------------------------------------- helpers
def _worst_status(values: pd.Series) -> str:
    from sessim.runner import STATUS_ORDER

    known = [v for v in values if v in STATUS_ORDER]
    if not known:
        return str(values.iloc[0])
    return max(known, key=STATUS_ORDER.index)


def _peaks(s: pd.DataFrame) -> str:
    if not {"peak_bounce_rate", "peak_complaint_rate"} <= set(s.columns):
        return ""
    return (f"; peak bounce rate {_pct(s.peak_bounce_rate.max())} (SES reviews at 5%),"
            f" peak complaint rate {_pct(s.peak_complaint_rate.max())} (SES reviews at 0.1%)")


def _check_quantiles(low: float, high: float) -> None:
    if not 0.0 <= low <= high <= 1.0:
        raise ValueError(f"need 0 <= low <= high <= 1, got low={low}, high={high}")


def _stat(values: pd.Series, q: float | None) -> float:
    if values.empty:
        return math.nan
    return float(values.mean() if q is None else np.quantile(values, q))


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def _pp(x: float) -> str:
    return f"{100 * x:.2f} percentage points"


def _warming_notes(s: pd.DataFrame) -> list[str]:
    notes = []
    if "pool" not in s.columns:
        return notes
    for row in s[s.pool != "shared"].itertuples():
        warm = getattr(row, "days_to_warm", math.nan)
        overflow = getattr(row, "overflow_share", 0.0)
        if warm is None or (isinstance(warm, float) and math.isnan(warm)):
            notes.append(f"{row.option!r} was not warm by the end of the run"
                         f" ({_pct(overflow)} of its mail went out on shared IPs);"
                         " run longer to judge it warm.")
        elif overflow >= 0.1:
            notes.append(f"{row.option!r} sent {_pct(overflow)} of its mail on shared IPs"
                         f" while warming (warm after {int(warm)} days).")
    return notes
