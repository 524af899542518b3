"""Statistics over replications: one row per scenario x point x option x metric.

For every numeric column of the runs' ``summary.csv`` (and ``paused_share``, 1 for
a replication whose account reached "Sending paused", else 0, so its mean is the
share of paused replications): the number of replications, mean, standard
deviation (n - 1), 5th and 95th percentiles (linear interpolation) and a 95%
confidence interval of the mean from Student's t.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sessim.batch.sweep import Sweep

__all__ = ["KEYS", "summarise", "t_975"]

KEYS = ("scenario", "point", "replication", "option")
PAUSED = "Sending paused"

# Two-sided 95% quantiles of Student's t, df 1..30.
_T = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
      2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
      2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def t_975(df: int) -> float:
    """0.975 quantile of Student's t (table to df 30, Cornish-Fisher beyond)."""
    if df < 1:
        return math.nan
    if df <= len(_T):
        return _T[df - 1]
    z = 1.959964
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def summarise(runs: pd.DataFrame, sweep: Sweep) -> pd.DataFrame:
    """The batch summary from the concatenated per-run summaries."""
    runs = runs.copy()
    runs["paused_share"] = (runs["worst_account_status"] == PAUSED).astype(float)
    metrics = [c for c in runs.select_dtypes("number").columns if c not in KEYS]
    params = _param_frame(sweep)
    rows = []
    for (scenario, point, option), group in runs.groupby(["scenario", "point", "option"],
                                                         sort=True):
        for metric in metrics:
            rows.append({"scenario": scenario, "point": point, "option": option,
                         "metric": metric, **_stats(group[metric].to_numpy(dtype=float))})
    table = pd.DataFrame(rows)
    if not params.empty:
        table = table.merge(params, on="point", how="left")
        front = ["scenario", "point", *[c for c in params.columns if c != "point"]]
        table = table[front + [c for c in table.columns if c not in front]]
    return table


def _param_frame(sweep: Sweep) -> pd.DataFrame:
    rows = [{"point": p.index, **{k: _scalar(v) for k, v in p.values}} for p in sweep.points()]
    return pd.DataFrame(rows)


def _scalar(value: Any) -> Any:
    return value if isinstance(value, (int, float, str, bool)) or value is None else str(value)


def _stats(values: np.ndarray) -> dict[str, float]:
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return {"n": 0, "mean": math.nan, "std": math.nan, "p5": math.nan, "p95": math.nan,
                "ci95_low": math.nan, "ci95_high": math.nan}
    mean = float(values.mean())
    std = float(values.std(ddof=1)) if n > 1 else math.nan
    half = t_975(n - 1) * std / math.sqrt(n) if n > 1 else math.nan
    return {"n": n, "mean": mean, "std": std,
            "p5": float(np.quantile(values, 0.05)), "p95": float(np.quantile(values, 0.95)),
            "ci95_low": mean - half, "ci95_high": mean + half}
