"""Batch runs: sweeps and replications of scenarios on one machine or a Dask cluster.

    from sessim.batch import load_sweep, run_batch
    report = run_batch(load_sweep("scenarios/sweeps/ip-count-x-volume.yaml"), "results/b")
"""

from sessim.batch.run import BatchReport, plan_tasks, run_batch
from sessim.batch.sweep import Sweep, apply_override, load_sweep, replication_seeds

__all__ = ["BatchReport", "Sweep", "apply_override", "load_sweep", "plan_tasks",
           "replication_seeds", "run_batch"]
