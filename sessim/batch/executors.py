"""Executors: run tasks serially, in a local process pool, or on Dask distributed.

Each executor is one function ``(fn, tasks, workers, ...) -> iterator of outputs``
yielding outputs as they finish (order does not matter: the caller writes each
run to its own folder and summarises them sorted). Dask is optional
(``pip install 'sessim[dask]'``); without a scheduler address a LocalCluster
with ``workers`` single-threaded worker processes is started and closed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Literal

from sessim.errors import InputError

__all__ = ["EXECUTORS", "Executor", "run_tasks"]

Executor = Literal["serial", "processes", "dask"]
EXECUTORS: tuple[str, ...] = ("serial", "processes", "dask")  # also in sessim.batch.cli


def run_tasks(fn: Callable[[Any], Any], tasks: Sequence[Any], executor: Executor = "serial",
              workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """Yield ``fn(task)`` for every task, as each finishes."""
    if not tasks:
        return iter(())
    if executor == "serial":
        return (fn(t) for t in tasks)
    workers = workers or os.cpu_count() or 1
    if executor == "processes":
        return _processes(fn, tasks, workers)
    if executor == "dask":
        return _dask(fn, tasks, workers, scheduler)
    raise InputError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")


def _processes(fn: Callable[[Any], Any], tasks: Sequence[Any], workers: int) -> Iterator[Any]:
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)))
    try:
        futures = [pool.submit(fn, t) for t in tasks]
        for future in as_completed(futures):
            yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _dask(fn: Callable[[Any], Any], tasks: Sequence[Any], workers: int,
          scheduler: str | None) -> Iterator[Any]:
    try:
        from dask.distributed import Client, LocalCluster
        from dask.distributed import as_completed as dask_completed
    except ImportError as exc:
        raise InputError("the dask executor needs the dask extra:"
                         " pip install 'sessim[dask]'") from exc
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler)
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
    except OSError as exc:
        raise InputError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from exc
    try:
        futures = client.map(fn, list(tasks), pure=False)
        for future in dask_completed(futures):
            yield future.result()
            future.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
