"""Regression: every reference scenario still gives its golden summary and daily totals.

Regenerate the goldens after a deliberate model change with
``python -m sessim.golden --regenerate`` and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sessim.golden import REGENERATE, _compare_frames, compare, scenario_files

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"


@pytest.mark.parametrize("scenario", scenario_files(ROOT), ids=lambda p: p.stem)
def test_scenario_matches_golden(scenario: Path) -> None:
    """A fresh run of each scenarios/*.yaml matches tests/golden/<scenario>/ within tolerance."""
    problems = compare(scenario, GOLDEN)
    assert not problems, ("\n".join(problems)
                          + f"\nIf the change is intended, regenerate with: {REGENERATE}")


def test_every_golden_has_a_scenario() -> None:
    """No golden is left behind for a scenario that was removed or renamed."""
    stems = {p.stem for p in scenario_files(ROOT)}
    orphans = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir()) if GOLDEN.exists() else []
    assert set(orphans) <= stems, f"goldens without a scenario: {set(orphans) - stems};" \
                                  f" run: {REGENERATE}"


def test_difference_message_names_column_option_and_size() -> None:
    """A failing comparison says which column and option differ, by how much, and the tolerance."""
    old = pd.DataFrame({"option": ["shared", "dedicated"], "inbox_rate": [0.99, 0.98],
                        "messages": [100, 200], "worst_account_status": ["Healthy"] * 2})
    new = old.assign(inbox_rate=[0.99, 0.97], worst_account_status=["Healthy", "Under review"])
    problems = _compare_frames("demo/summary.csv", old, new, ("option",))
    assert len(problems) == 2
    assert "column 'inbox_rate', option 'dedicated': golden 0.98, now 0.97" in problems[0]
    assert "diff -0.01" in problems[0] and "tolerance rel" in problems[0]
    assert "'worst_account_status', option 'dedicated'" in problems[1]


def test_values_within_tolerance_pass() -> None:
    """Differences below a column's tolerance are not reported."""
    old = pd.DataFrame({"option": ["a"], "day": [0], "sent": [1_000_000], "cost_usd": [10.0]})
    new = old.assign(sent=[1_000_000.4], cost_usd=[10.00001])
    assert _compare_frames("x", old, new, ("option", "day")) == []
