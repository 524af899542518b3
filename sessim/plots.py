"""PNG plots of a run: each a projection of Result.daily / Result.summary.

Every function returns a matplotlib Figure (for notebooks); :func:`save_plots`
writes them all.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

if TYPE_CHECKING:
    from sessim.runner import Result


def _grid(n: int, title: str) -> tuple[Figure, list]:
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 3.6), sharey=True, squeeze=False)
    fig.suptitle(title)
    return fig, list(axes[0])


def reputation(result: Result) -> Figure:
    """Reputation (0..1) per provider over time, one panel per option."""
    options = list(result.summary.option)
    fig, axes = _grid(len(options), "Reputation of each option's own pool per provider"
                              " (score filtering uses, 0..1)")
    for ax, option in zip(axes, options):
        d = result.daily[result.daily.option == option]
        for provider, g in d.groupby("provider", sort=False):
            ax.plot(g.day, g.reputation, label=provider)
        ax.set_title(option)
        ax.set_xlabel("day")
        ax.set_ylim(0, 1)
    axes[0].legend(fontsize=8)
    return fig


def _per_day(result: Result) -> pd.DataFrame:
    """Per option and day: the counts summed over providers, the lowest warm-up %."""
    per_day = result.totals()
    per_day["warmup"] = result.daily.groupby(["option", "day"], sort=False).warmup_pct.min(
        ).to_numpy()
    return per_day


def _panels(result: Result, panels: list[tuple[str, str | None, str]]) -> Figure:
    """One panel per (numerator, denominator or None, title), a line per option."""
    per_day = _per_day(result)
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 3.8), squeeze=False)
    for ax, (num, den, title) in zip(axes[0], panels):
        for option, g in per_day.groupby("option", sort=False):
            y = g[num] if den is None else g[num] / g[den].where(g[den] > 0)
            ax.plot(g.day, y, label=option)
        ax.set_title(title)
        ax.set_xlabel("day")
    axes[0][0].legend(fontsize=8)
    return fig


def inbox_spam(result: Result) -> Figure:
    """Daily inbox placement (inbox share of delivered mail) and spam-folder share, per
    option. Delivered, not sent: deferred mail delivered on a later day would push a
    share of sent over 1."""
    return _panels(result, [("inbox", "accepted", "Inbox share of delivered mail"),
                            ("spam", "accepted", "Spam-folder share of delivered mail")])


def deferrals(result: Result) -> Figure:
    """Daily share of delivery attempts deferred (4xx), per option."""
    return _panels(result, [("deferred", "attempts", "Deferred share of attempts (4xx)")])


def warmup(result: Result) -> Figure:
    """Warm-up percentage (lowest over providers) and overflow to shared, per option."""
    return _panels(result, [("warmup", None, "Warm-up % (lowest provider)"),
                            ("overflow", "sent", "Share of sent overflowed to shared IPs")])


def cumulative_cost(result: Result) -> Figure:
    """Cumulative cost in USD, per option."""
    totals = result.totals()
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for option, g in totals.groupby("option", sort=False):
        ax.plot(g.day, g.cost_usd.cumsum(), label=option)
    ax.set_title("Cumulative cost (USD)")
    ax.set_xlabel("day")
    ax.legend(fontsize=8)
    return fig


def comparison(result: Result) -> Figure:
    """One panel comparing the options on the summary's key figures, values written
    on the bars."""
    s = result.summary
    metrics = [("inbox_rate", "inbox rate", 100, "{:.2f}%"),
               ("spam_rate", "spam-folder rate", 100, "{:.2f}%"),
               ("deferral_rate", "deferred share of attempts", 100, "{:.1f}%"),
               ("p95_delay_s", "p95 delay (hours)", 1 / 3600, "{:.1f} h"),
               ("bounce_rate", "SES bounce rate (end)", 100, "{:.2f}%"),
               ("monthly_cost_usd", "monthly cost (USD)", 1, "${:,.0f}")]
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5))
    for ax, (col, label, scale, fmt) in zip(axes.flat, metrics):
        values = s[col] * scale
        bars = ax.bar(s.option, values, color=[f"C{i}" for i in range(len(s))])
        ax.bar_label(bars, [fmt.format(v) for v in values], fontsize=8)
        ax.set_title(label)
        ax.margins(y=0.15)
        ax.tick_params(axis="x", labelrotation=20, labelsize=8)
    fig.suptitle(f"{result.scenario.name}: options compared")
    fig.tight_layout()
    return fig


PLOTS = {"reputation": reputation, "inbox_spam": inbox_spam, "deferrals": deferrals,
         "warmup": warmup, "cumulative_cost": cumulative_cost, "comparison": comparison}


def save_plots(result: Result, folder: Path) -> None:
    for name, make in PLOTS.items():
        fig = make(result)
        fig.savefig(folder / f"{name}.png", dpi=100, bbox_inches="tight",
                    metadata={"Software": None})
        plt.close(fig)
