"""Run a sweep: plan the runs, skip finished ones, execute the rest, write and summarise.

Layout of the output folder::

    sweep.json            the validated sweep and a fingerprint of it and its bases
    points.csv            point index -> parameter values
    runs/<run-id>/        one finished run (written atomically: present means complete)
    failed/<run-id>.txt   the error of a run that failed (removed when it later succeeds)
    runs.csv              every planned run with its seed and status
    batch_summary.csv     statistics per scenario x point x option x metric
    plots/                each chosen metric against each swept parameter

Killed or interrupted, the same call resumes: runs whose folder exists are kept;
failed and missing runs are run again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sessim.batch.executors import Executor, run_tasks
from sessim.batch.sweep import LoadedSweep
from sessim.batch.sweep import replication_seeds as _seeds
from sessim.batch.task import RunOutput, RunTask, execute
from sessim.errors import InputError

__all__ = ["BatchReport", "plan_tasks", "run_batch"]


@dataclass
class BatchReport:
    """What a batch did: counts of runs and the errors of failed ones."""

    out: Path
    planned: int = 0
    reused: int = 0
    ran: int = 0
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed


def plan_tasks(loaded: LoadedSweep) -> list[RunTask]:
    """Every (base scenario, point, replication) run, in a fixed order."""
    sweep = loaded.sweep
    seeds = _seeds(sweep.seed, sweep.replications)
    tasks = []
    for name, base in loaded.bases:
        for point in sweep.points():
            for rep, seed in enumerate(seeds):
                run_id = f"{name}-p{point.index:04d}-r{rep:04d}"
                source = f"{loaded.path}: scenario {name!r} point {point.index} ({point.label()})"
                tasks.append(RunTask(run_id, name, base, point, rep, seed, sweep.days, source))
    return tasks


def fingerprint(loaded: LoadedSweep) -> str:
    text = json.dumps([loaded.sweep.model_dump(mode="json"), loaded.bases], sort_keys=True,
                      default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def run_batch(loaded: LoadedSweep, out: str | Path, executor: Executor = "serial",
              workers: int | None = None, scheduler: str | None = None,
              on_start: Callable[[int, int], None] | None = None,
              on_done: Callable[[RunOutput], None] | None = None,
              plots: bool = True) -> BatchReport:
    """Run the sweep's missing runs into ``out``, then write the summary and plots.

    ``on_start(todo, total)`` is called once before running; ``on_done`` after each
    finished run.
    """
    out = Path(out)
    tasks = plan_tasks(loaded)
    _prepare(loaded, out, tasks)
    todo = [t for t in tasks if not (out / "runs" / t.run_id / "summary.csv").exists()]
    report = BatchReport(out, planned=len(tasks), reused=len(tasks) - len(todo))
    if on_start:
        on_start(len(todo), len(tasks))
    for output in run_tasks(execute, todo, executor, workers, scheduler):
        _store(out, output)
        report.ran += 1
        if on_done:
            on_done(output)
    statuses = _write_runs_table(out, tasks)
    report.failed = {rid: err for rid, err in statuses.items() if err is not None}
    _write_results(loaded, out, tasks, plots)
    return report


def _prepare(loaded: LoadedSweep, out: Path, tasks: list[RunTask]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    meta = {"fingerprint": fingerprint(loaded), "sweep": loaded.sweep.model_dump(mode="json"),
            "runs": len(tasks)}
    meta_file = out / "sweep.json"
    if meta_file.exists():
        old = json.loads(meta_file.read_text())
        if old.get("fingerprint") != meta["fingerprint"] and any((out / "runs").glob("*")):
            raise InputError(f"{out} holds runs of a different sweep (or its base scenarios"
                             " changed); choose another --out or delete it")
    _atomic_write(meta_file, (json.dumps(meta, indent=2, default=str) + "\n").encode())
    points = pd.DataFrame([{"point": p.index, **dict(p.values)} for p in loaded.sweep.points()])
    _atomic_write(out / "points.csv", points.to_csv(index=False).encode())


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _store(out: Path, output: RunOutput) -> None:
    """Write one run's files into runs/<id> atomically, or its error into failed/."""
    failed = out / "failed" / f"{output.run_id}.txt"
    if output.error is not None:
        _atomic_write(failed, (output.error.rstrip() + "\n").encode())
        return
    runs = out / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{output.run_id}.", dir=runs))
    try:
        for name, data in output.files.items():
            (tmp / name).write_bytes(data)
        os.replace(tmp, runs / output.run_id)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    failed.unlink(missing_ok=True)


def _write_runs_table(out: Path, tasks: list[RunTask]) -> dict[str, str | None]:
    rows, statuses = [], {}
    for t in tasks:
        failed = out / "failed" / f"{t.run_id}.txt"
        if (out / "runs" / t.run_id / "summary.csv").exists():
            status, error = "ok", None
        elif failed.exists():
            status, error = "failed", failed.read_text().strip()
        else:
            status, error = "missing", "not run"
        statuses[t.run_id] = error
        rows.append({"run_id": t.run_id, "scenario": t.scenario, "point": t.point.index,
                     "replication": t.replication, "seed": t.seed, "status": status,
                     "error": error.splitlines()[-1].strip() if error else ""})
    _atomic_write(out / "runs.csv", pd.DataFrame(rows).to_csv(index=False).encode())
    return statuses


def _write_results(loaded: LoadedSweep, out: Path, tasks: list[RunTask], plots: bool) -> None:
    from sessim.batch.summary import summarise

    frames = [pd.read_csv(out / "runs" / t.run_id / "summary.csv") for t in tasks
              if (out / "runs" / t.run_id / "summary.csv").exists()]
    if not frames:
        return
    table = summarise(pd.concat(frames, ignore_index=True), loaded.sweep)
    from sessim.runner import FLOAT_FORMAT

    _atomic_write(out / "batch_summary.csv",
                  table.to_csv(index=False, float_format=FLOAT_FORMAT).encode())
    if plots:
        from sessim.batch.plots import save_sweep_plots

        save_sweep_plots(table, loaded.sweep, out / "plots")
