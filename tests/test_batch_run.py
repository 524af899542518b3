"""Batch runs: outputs, statistics, failures recorded, resume, executors give identical bytes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from batch_helpers import tree_bytes, write_sweep
from click.testing import CliRunner

from sessim.batch import load_sweep, run_batch
from sessim.batch.summary import t_975
from sessim.cli import main


def test_batch_writes_runs_summary_and_plots(tmp_path: Path) -> None:
    """Each run gets its folder; batch_summary has stats per point x option x metric; plots."""
    report = run_batch(load_sweep(write_sweep(tmp_path)), tmp_path / "out")
    out = tmp_path / "out"
    assert report.ok and report.planned == 4 and report.ran == 4
    runs = sorted(p.name for p in (out / "runs").iterdir())
    assert runs == [f"ses-ip-options-p000{p}-r000{r}" for p in (0, 1) for r in (0, 1)]
    for run in runs:
        files = {f.name for f in (out / "runs" / run).iterdir()}
        assert {"summary.csv", "daily.csv", "manifest.json", "scenario.yaml"} <= files
    table = pd.read_csv(out / "batch_summary.csv")
    assert list(table.columns) == ["scenario", "point", "options.dedicated.pool.ip_count",
                                   "option", "metric", "n", "mean", "std", "p5", "p95",
                                   "ci95_low", "ci95_high"]
    assert set(table.metric) >= {"inbox_rate", "monthly_cost_usd", "paused_share"}
    assert (table.n == 2).all() or set(table[table.n != 2].metric) == {"days_to_warm"}
    ips = table[(table.metric == "ips") & (table.option == "dedicated")]
    assert ips["mean"].tolist() == [1, 2]
    row = table[(table.metric == "inbox_rate") & (table.option == "shared")].iloc[0]
    assert row.p5 <= row["mean"] <= row.p95 and row.ci95_low <= row["mean"] <= row.ci95_high
    assert (out / "plots" / "inbox_rate__options.dedicated.pool.ip_count.png").exists()


def test_t_quantiles() -> None:
    """The 95% t quantile matches tables and tends to 1.96."""
    assert t_975(1) == 12.706 and t_975(9) == 2.262
    assert abs(t_975(60) - 2.000) < 1e-3 and abs(t_975(10_000) - 1.960) < 1e-3


def test_failed_runs_are_recorded_and_others_go_on(tmp_path: Path) -> None:
    """An override that does not validate fails its runs only; the CLI exits 1."""
    sweep = write_sweep(tmp_path, "parameters:\n  options.dedicated.pool.ip_count: [-1, 1]\n"
                                  "days: 1\n")
    result = CliRunner().invoke(main, ["batch", str(sweep), "--out", str(tmp_path / "o"),
                                       "--quiet"])
    assert result.exit_code == 1, result.output
    assert "1 run, 1 failed" not in result.output and "2 runs: 0 reused, 2 run, 1 failed" \
        in result.output
    error = (tmp_path / "o" / "failed" / "ses-ip-options-p0000-r0000.txt").read_text()
    assert "ip_count: Input should be greater than 0 (got -1)" in error
    runs = pd.read_csv(tmp_path / "o" / "runs.csv")
    assert runs.status.tolist() == ["failed", "ok"]
    assert (tmp_path / "o" / "batch_summary.csv").exists()


def test_bad_sweep_exits_2(tmp_path: Path) -> None:
    """An invalid sweep file is an input error: exit code 2 and a message naming the line."""
    sweep = write_sweep(tmp_path, "replications: many\n")
    result = CliRunner().invoke(main, ["batch", str(sweep), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "line 3: replications" in result.output


def test_interrupted_batch_resumes_without_recomputing(tmp_path: Path) -> None:
    """Killed after one run, the same call keeps that run and computes only the rest."""
    loaded = load_sweep(write_sweep(tmp_path))
    out = tmp_path / "out"

    def stop(output) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(loaded, out, on_done=stop, plots=False)
    assert len(list((out / "runs").iterdir())) == 1
    first = tree_bytes(out / "runs")
    report = run_batch(loaded, out, plots=False)
    assert (report.reused, report.ran) == (1, 3)
    assert all(tree_bytes(out / "runs")[k] == v for k, v in first.items())
    again = run_batch(loaded, out, plots=False)
    assert (again.reused, again.ran) == (4, 0)


def test_changed_sweep_refuses_existing_folder(tmp_path: Path) -> None:
    """Reusing an output folder for a different sweep is an input error, not a mix."""
    out = tmp_path / "out"
    run_batch(load_sweep(write_sweep(tmp_path, "days: 1\n")), out, plots=False)
    result = CliRunner().invoke(main, ["batch", str(write_sweep(tmp_path, "days: 2\n")),
                                       "--out", str(out), "--quiet"])
    assert result.exit_code == 2 and "different sweep" in result.output


def test_process_pool_gives_the_same_bytes_as_serial(tmp_path: Path) -> None:
    """Outputs do not depend on the executor or the number of workers."""
    loaded = load_sweep(write_sweep(tmp_path))
    run_batch(loaded, tmp_path / "serial", plots=False)
    run_batch(loaded, tmp_path / "pool", executor="processes", workers=2, plots=False)
    assert tree_bytes(tmp_path / "serial") == tree_bytes(tmp_path / "pool")
