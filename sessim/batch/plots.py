"""Plots of a sweep: each chosen metric against each swept parameter, with bands.

One PNG per (metric, parameter): a panel per option; in each panel one line per
combination of the other parameters (and base scenario), the mean with a shaded
5th-95th percentile band and error bars for the 95% confidence interval.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sessim.batch.sweep import Sweep

__all__ = ["save_sweep_plots"]


def save_sweep_plots(table: pd.DataFrame, sweep: Sweep, folder: Path) -> list[Path]:
    """Write the plots into ``folder``; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    params = list(sweep.parameters)
    written = []
    for metric in sweep.metrics:
        rows = table[table.metric == metric]
        if rows.empty:
            continue
        for param in params:
            # Name the scenario in the legend only when the sweep has several.
            scenarios = ["scenario"] if rows.scenario.nunique() > 1 else []
            others = [*scenarios, *[p for p in params if p != param]]
            options = sorted(rows.option.unique())
            fig, axes = plt.subplots(1, len(options), figsize=(4.2 * len(options), 3.6),
                                     squeeze=False, sharey=True)
            for ax, option in zip(axes[0], options):
                _panel(ax, rows[rows.option == option], param, others)
                ax.set_title(option)
                ax.set_xlabel(param.rsplit(".", 2)[-2] + "." + param.rsplit(".", 1)[-1]
                              if param.count(".") else param)
            axes[0][0].set_ylabel(metric)
            handles, labels = axes[0][0].get_legend_handles_labels()
            if len(labels) > 1:
                fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 3),
                           fontsize="small", frameon=False)
                fig.subplots_adjust(bottom=0.3)
            fig.suptitle(f"{sweep.name}: {metric} (mean, 5-95% band, 95% CI)")
            fig.tight_layout(rect=(0, 0.12 if len(labels) > 1 else 0, 1, 1))
            path = folder / f"{metric}__{param}.png"
            fig.savefig(path, dpi=100, metadata={"Software": None})
            plt.close(fig)
            written.append(path)
    return written


def _panel(ax, rows: pd.DataFrame, param: str, others: list[str]) -> None:
    values = list(dict.fromkeys(rows[param]))
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    groups = rows.groupby(others, sort=True, dropna=False) if others else [((), rows)]
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        group = group.sort_values(param) if numeric else group
        x = group[param].to_numpy() if numeric else [values.index(v) for v in group[param]]
        label = ", ".join(f"{n.rsplit('.', 1)[-1]}={v}" for n, v in zip(others, key))
        line, = ax.plot(x, group["mean"], marker="o", label=label)
        ax.fill_between(x, group["p5"], group["p95"], alpha=0.2, color=line.get_color())
        ax.errorbar(x, group["mean"], yerr=[group["mean"] - group["ci95_low"],
                                            group["ci95_high"] - group["mean"]],
                    fmt="none", ecolor=line.get_color(), capsize=3)
    if numeric:  # ticks at the swept values, written compactly (2M, not 2000000)
        ticks = sorted(values)
        ax.set_xticks(ticks, [_compact(v) for v in ticks])
    else:
        ax.set_xticks(range(len(values)), [str(v) for v in values])
    ax.grid(alpha=0.3)


def _compact(value: float) -> str:
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"
