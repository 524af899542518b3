"""Batch runs: sweeps and replications of scenarios on one machine or a Dask cluster.

    from sessim.batch import load_sweep, run_batch
    report = run_batch(load_sweep("scenarios/sweeps/ip-count-x-volume.yaml"), "results/b")

Names are imported lazily: importing the command does not import the runner.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {"BatchReport": "run", "plan_tasks": "run", "run_batch": "run",
          "Sweep": "sweep", "apply_override": "sweep", "load_sweep": "sweep",
          "replication_seeds": "sweep"}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f"sessim.batch.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'sessim.batch' has no attribute {name!r}")
