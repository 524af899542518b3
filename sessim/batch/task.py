"""One run of a batch: a picklable task, and the function that executes it anywhere.

:func:`execute` runs on a worker (this process, a pool process or a Dask worker)
and returns the run's files as bytes, so the client writes them and no shared
file system is needed. The files do not include wall time, so they are the same
bytes whatever the executor.
"""

from __future__ import annotations

import json
import traceback
from dataclasses import dataclass, field
from typing import Any

from sessim.batch.sweep import Point, build_scenario
from sessim.errors import SessimError
from sessim.runner import FLOAT_FORMAT, simulate
from sessim.yamlio import dump_yaml

__all__ = ["RunOutput", "RunTask", "execute"]


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one (point, replication) run."""

    run_id: str
    scenario: str
    base: dict
    point: Point
    replication: int
    seed: int
    days: int | None
    source: str


@dataclass
class RunOutput:
    """What a worker sends back: the run's files, or the error that stopped it."""

    run_id: str
    files: dict[str, bytes] = field(default_factory=dict)
    error: str | None = None


def execute(task: RunTask) -> RunOutput:
    """Build, validate and simulate one run; never raises for a failed run."""
    try:
        scenario = build_scenario(task.base, task.point, task.source)
        result = simulate(scenario, seed=task.seed, days=task.days)
    except SessimError as exc:
        return RunOutput(task.run_id, error=f"{type(exc).__name__}: {exc}")
    except Exception:  # noqa: BLE001 - a crashing run is recorded, the batch goes on
        return RunOutput(task.run_id, error=traceback.format_exc())
    summary = result.summary.copy()
    summary.insert(0, "replication", task.replication)
    summary.insert(0, "point", task.point.index)
    summary.insert(0, "scenario", task.scenario)
    manifest: dict[str, Any] = {k: v for k, v in result.manifest.items() if k != "wall_seconds"}
    manifest.update(run_id=task.run_id, point=task.point.index, replication=task.replication,
                    overrides={k: v for k, v in task.point.values})
    files = {
        "scenario.yaml": dump_yaml(result.scenario.model_dump(mode="json")),
        "manifest.json": json.dumps(manifest, indent=2, default=str) + "\n",
        "daily.csv": result.daily.to_csv(index=False, float_format=FLOAT_FORMAT),
        "account_daily.csv": result.account_daily.to_csv(index=False, float_format=FLOAT_FORMAT),
        "summary.csv": summary.to_csv(index=False, float_format=FLOAT_FORMAT),
    }
    return RunOutput(task.run_id, {k: v.encode() for k, v in files.items()})
