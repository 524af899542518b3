"""The Dask executor on a real LocalCluster with two worker processes."""

from __future__ import annotations

from pathlib import Path

import pytest
from batch_helpers import tree_bytes, write_sweep

from sessim.batch import load_sweep, run_batch

pytest.importorskip("dask.distributed")


def test_dask_local_cluster_gives_the_same_bytes_as_serial(tmp_path: Path) -> None:
    """Two Dask worker processes produce exactly the serial executor's files."""
    loaded = load_sweep(write_sweep(tmp_path))
    run_batch(loaded, tmp_path / "serial", plots=False)
    report = run_batch(loaded, tmp_path / "dask", executor="dask", workers=2, plots=False)
    assert report.ok and report.ran == 4
    assert tree_bytes(tmp_path / "serial") == tree_bytes(tmp_path / "dask")
