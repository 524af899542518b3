"""The notebooks run top to bottom, and are committed without outputs.

Each notebook is executed with nbclient in a python3 kernel from this environment,
with notebooks/ as the working directory (as ``jupyter lab notebooks/`` gives), so
the notebooks load scenarios from ``../scenarios/``. A cell that raises fails the test.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
# Generous per-cell limit: the longest cell runs a few simulations of a few weeks.
CELL_TIMEOUT_S = 600


def test_there_are_notebooks():
    """The glob below found the notebooks (a moved folder must not pass silently)."""
    assert [p.name for p in PATHS] == ["01-choose-ip-option.ipynb", "02-warmup-plans.ipynb"]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_runs_clean(path: Path):
    """Every cell of the notebook runs without an error, top to bottom."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError naming the cell on the first error
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors, errors


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path: Path):
    """Code cells carry no outputs or execution counts, so diffs show only code."""
    nb = nbformat.read(path, as_version=4)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
             and (c.outputs or c.execution_count is not None)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; clear them before committing"
