"""Run a scenario: every option over the same traffic, then tidy frames and a summary.

``simulate(scenario) -> Result``; ``Result.save(folder)`` writes the run's files
atomically (into a temporary folder renamed at the end), so a crash never
leaves half a result.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sessim import __version__
from sessim.errors import InputError
from sessim.rng import stream as rng_stream
from sessim.scenario import Scenario
from sessim.world.simulation import OptionWorld
from sessim.world.traffic import draw_traffic
from sessim.yamlio import dump_yaml

STATUS_ORDER = ("Healthy", "Under review", "Sending paused")
# Assumption: a pool counts as warm from the first day that starts a week of days
# on which its warm-up is complete and under 5% of its attempts are deferred.
WARM_DEFERRAL_RATE = 0.05
WARM_STREAK_DAYS = 7
FLOAT_FORMAT = "%.6g"


@dataclass
class Result:
    """One run: the resolved scenario, the daily frames, the summary and a manifest."""

    scenario: Scenario
    daily: pd.DataFrame
    account_daily: pd.DataFrame
    summary: pd.DataFrame
    manifest: dict = field(default_factory=dict)

    def save(self, folder: str | Path) -> Path:
        """Write scenario.yaml, manifest.json, the CSVs and the plots into ``folder``."""
        from sessim.plots import save_plots

        folder = check_output_folder(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; a result is not
        try:
            (tmp / "scenario.yaml").write_text(
                dump_yaml(self.scenario.model_dump(mode="json")))
            (tmp / "manifest.json").write_text(json.dumps(self.manifest, indent=2) + "\n")
            self.daily.to_csv(tmp / "daily.csv", index=False, float_format=FLOAT_FORMAT)
            self.account_daily.to_csv(tmp / "account_daily.csv", index=False,
                                      float_format=FLOAT_FORMAT)
            self.summary.to_csv(tmp / "summary.csv", index=False, float_format=FLOAT_FORMAT)
            save_plots(self, tmp)
            if folder.exists():
                shutil.rmtree(folder)
            os.replace(tmp, folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return folder

    def plot(self, name: str = "comparison"):
        """A matplotlib Figure: one of reputation, inbox_spam, deferrals, warmup,
        cumulative_cost, comparison (see :mod:`sessim.plots`)."""
        from sessim.plots import PLOTS

        if name not in PLOTS:
            raise ValueError(f"unknown plot {name!r}; choose from {', '.join(PLOTS)}")
        return PLOTS[name](self)

    def totals(self) -> pd.DataFrame:
        """Daily totals per option (all providers summed)."""
        counts = self.daily.select_dtypes("number").columns.drop(
            ["day", "reputation", "ip_reputation", "domain_reputation", "warmup_pct", "ips"])
        # "queued" stays: summed over providers it is the whole queue.
        return self.daily.groupby(["option", "day"], sort=False)[list(counts)].sum().reset_index()


def check_output_folder(folder: str | Path) -> Path:
    """The folder, resolved; InputError if it holds anything but an earlier run."""
    folder = Path(folder).resolve()
    if folder.exists() and (not folder.is_dir() or (
            any(folder.iterdir()) and not (folder / "manifest.json").exists())):
        raise InputError(f"{folder}: exists and is not a sessim run folder; refusing to"
                         " replace it (choose an empty or new folder)")
    return folder


def simulate(scenario: Scenario, seed: int | None = None, days: int | None = None,
             progress: Callable[[], None] | None = None) -> Result:
    """Simulate every option of ``scenario``; ``progress`` is called once per option-day."""
    update = {k: v for k, v in (("seed", seed), ("duration_days", days)) if v is not None}
    if update:
        scenario = Scenario.model_validate({**scenario.model_dump(), **update})
    started = time.perf_counter()
    traffic = draw_traffic(scenario, rng_stream(scenario.seed, "traffic"))
    daily, account, rows = [], [], []
    for option in scenario.options:
        world = OptionWorld(scenario, option, traffic, on_day=progress)
        recorder = world.run()
        frame = recorder.daily(option.name, scenario.start_date)
        daily.append(frame)
        account.append(pd.DataFrame(recorder.account_rows))
        rows.append(_summary_row(scenario, option.name, option.pool.type, frame,
                                 account[-1], recorder.delay_stats(), world))
    manifest = {"sessim_version": __version__, "scenario": scenario.name,
                "seed": scenario.seed, "scenario_sha256": scenario.sha256(),
                "wall_seconds": round(time.perf_counter() - started, 3)}
    return Result(scenario, pd.concat(daily, ignore_index=True),
                  pd.concat(account, ignore_index=True), pd.DataFrame(rows), manifest)


def compare(results: dict[str, Result]) -> pd.DataFrame:
    """The summaries of several results in one frame, with a ``run`` column first."""
    frames = [r.summary.assign(run=label) for label, r in results.items()]
    out = pd.concat(frames, ignore_index=True)
    return out[["run", *[c for c in out.columns if c != "run"]]]


def _rate(num: float, den: float) -> float:
    return float(num / den) if den else 0.0


def _summary_row(scenario: Scenario, option: str, pool: str, daily: pd.DataFrame,
                 account: pd.DataFrame, delays: tuple[float, float], world: OptionWorld) -> dict:
    t = daily.sum(numeric_only=True)
    per_day = daily.groupby("day").agg(attempts=("attempts", "sum"),
                                       deferred=("deferred", "sum"),
                                       warm=("warmup_pct", "min"))
    deferral = per_day.deferred / per_day.attempts.where(per_day.attempts > 0, np.nan)
    warm = (per_day.warm >= 100.0) & (deferral.fillna(0.0) < WARM_DEFERRAL_RATE)
    # Warm from the first day that starts a week (or the rest of the run) of warm days.
    flags = warm.to_numpy()
    warm_days = [d for d in range(len(flags)) if flags[d:d + WARM_STREAK_DAYS].all()]
    days_to_warm = 0 if pool == "shared" else warm_days[0] if warm_days else np.nan
    cost = float(daily.cost_usd.sum())
    last = account.iloc[-1]
    return {
        "option": option, "pool": pool, "ips": int(daily.ips.max()),
        "messages": int(t.sent), "delivered": int(t.accepted),
        "inbox_rate": _rate(t.inbox, t.sent), "spam_rate": _rate(t.spam, t.sent),
        "deferral_rate": _rate(t.deferred, t.attempts),
        "bounce_rate": float(last.bounce_rate), "complaint_rate": float(last.complaint_rate),
        "peak_bounce_rate": float(account.bounce_rate.max()),
        "peak_complaint_rate": float(account.complaint_rate.max()),
        "blocked": int(t.blocked), "rejected": int(t.rejected),
        "overflow_share": _rate(t.overflow, t.sent),
        "mean_delay_s": delays[0], "p95_delay_s": delays[1],
        "days_to_warm": days_to_warm, "worst_account_status": world.account.worst,
        "total_cost_usd": cost,
        "monthly_cost_usd": cost / scenario.duration_days * 30.0,
        "cost_per_1000_usd": _rate(cost * 1000.0, t.sent),
    }
