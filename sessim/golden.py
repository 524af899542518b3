"""Golden copies of the reference scenarios' results, and their comparison.

For every ``scenarios/*.yaml`` that validates, ``tests/golden/<scenario>/`` holds
``summary.csv`` (one row per option) and ``daily_totals.csv`` (option x day, all
providers summed), from a run with the scenario's own seed over at most
:data:`GOLDEN_MAX_DAYS` days (so the regression suite stays quick). The test
suite reruns them and compares column by column with the tolerances in
:data:`TOLERANCES`.

Regenerate after a deliberate model change (then review the diff)::

    python -m sessim.golden --regenerate
"""

from __future__ import annotations

import argparse
import io
import math
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sessim.errors import InputError
from sessim.runner import FLOAT_FORMAT, simulate
from sessim.scenario import load_scenario

__all__ = ["GOLDEN_MAX_DAYS", "REGENERATE", "TOLERANCES", "Tolerance", "compare",
           "golden_frames", "regenerate"]

# Days simulated per golden: long enough to cover SES auto warm-up's 45 days.
GOLDEN_MAX_DAYS = 60
REGENERATE = "python -m sessim.golden --regenerate"
FILES = ("summary.csv", "daily_totals.csv")
KEYS = {"summary.csv": ("option",), "daily_totals.csv": ("option", "day")}


@dataclass(frozen=True)
class Tolerance:
    """A value matches if ``|new - old| <= abs + rel * |old|`` (NaN matches NaN)."""

    rel: float = 0.0
    abs: float = 0.0

    def ok(self, old: float, new: float) -> bool:
        if math.isnan(old) or math.isnan(new):
            return math.isnan(old) and math.isnan(new)
        return abs(new - old) <= self.abs + self.rel * abs(old)


# Runs are deterministic, so tolerances only absorb floating-point noise across
# platforms and library versions (CSV values keep 6 significant digits).
COUNT = Tolerance(rel=1e-6, abs=0.5)
RATE = Tolerance(rel=1e-5, abs=1e-7)
MONEY = Tolerance(rel=1e-5, abs=0.01)
SECONDS = Tolerance(rel=1e-4, abs=0.01)
TOLERANCES: dict[str, Tolerance] = {
    **{c: RATE for c in ("inbox_rate", "spam_rate", "deferral_rate", "bounce_rate",
                         "complaint_rate", "peak_bounce_rate", "peak_complaint_rate",
                         "overflow_share")},
    **{c: MONEY for c in ("total_cost_usd", "monthly_cost_usd", "cost_per_1000_usd",
                          "cost_usd")},
    **{c: SECONDS for c in ("mean_delay_s", "p95_delay_s")},
    "days_to_warm": Tolerance(),
    "ips": Tolerance(),
}
DEFAULT_TOLERANCE = COUNT  # every other numeric column (message counts)


def golden_frames(scenario_file: str | Path) -> dict[str, pd.DataFrame]:
    """Fresh summary and daily totals of one scenario, as they would be stored."""
    scenario = load_scenario(scenario_file)
    result = simulate(scenario, days=min(scenario.duration_days, GOLDEN_MAX_DAYS))
    frames = {"summary.csv": result.summary, "daily_totals.csv": result.totals()}
    # Round-trip through CSV so fresh and stored values carry the same rounding.
    return {name: pd.read_csv(io.StringIO(_csv(frame))) for name, frame in frames.items()}


def _csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, float_format=FLOAT_FORMAT)


def scenario_files(root: Path) -> list[Path]:
    return sorted((root / "scenarios").glob("*.yaml"))


def regenerate(root: Path, names: list[str] | None = None) -> list[Path]:
    """Rewrite the goldens of every (or the named) scenario under ``root``."""
    golden = root / "tests" / "golden"
    written = []
    files = scenario_files(root)
    for file in files:
        if names and file.stem not in names:
            continue
        folder = golden / file.stem
        folder.mkdir(parents=True, exist_ok=True)
        for fname, frame in golden_frames(file).items():
            (folder / fname).write_text(_csv(frame))
        written.append(folder)
    if not names:  # drop goldens of scenarios that no longer exist
        stems = {f.stem for f in files}
        for folder in golden.glob("*"):
            if folder.is_dir() and folder.name not in stems:
                shutil.rmtree(folder)
    return written


def compare(scenario_file: Path, golden_dir: Path) -> list[str]:
    """Differences between a fresh run and its golden, one readable line each."""
    name = scenario_file.stem
    folder = golden_dir / name
    if not folder.is_dir():
        return [f"{name}: no golden in {folder}; create it with: {REGENERATE}"]
    fresh = golden_frames(scenario_file)
    problems = []
    for fname in FILES:
        if not (folder / fname).exists():
            problems.append(f"{name}: {folder / fname} is missing; run: {REGENERATE}")
            continue
        old = pd.read_csv(folder / fname)
        problems += _compare_frames(f"{name}/{fname}", old, fresh[fname], KEYS[fname])
    return problems


def _compare_frames(where: str, old: pd.DataFrame, new: pd.DataFrame,
                    keys: tuple[str, ...]) -> list[str]:
    if list(old.columns) != list(new.columns):
        return [f"{where}: columns changed: golden {list(old.columns)}, now {list(new.columns)}"]
    old_keys = old[list(keys)].astype(str).agg("/".join, axis=1).tolist()
    new_keys = new[list(keys)].astype(str).agg("/".join, axis=1).tolist()
    if old_keys != new_keys:
        return [f"{where}: rows ({'/'.join(keys)}) changed: golden has {len(old_keys)},"
                f" now {len(new_keys)}; first golden {old_keys[:3]}, now {new_keys[:3]}"]
    problems = []
    for column in old.columns:
        if column in keys:
            continue
        problems += _compare_column(where, column, old, new, keys)
    return problems


def _compare_column(where: str, column: str, old: pd.DataFrame, new: pd.DataFrame,
                    keys: tuple[str, ...]) -> list[str]:
    numeric = pd.api.types.is_numeric_dtype(old[column]) and pd.api.types.is_numeric_dtype(
        new[column])
    tol = TOLERANCES.get(column, DEFAULT_TOLERANCE)
    bad: dict[str, list[str]] = {}
    for i in range(len(old)):
        a, b = old[column].iloc[i], new[column].iloc[i]
        same = tol.ok(float(a), float(b)) if numeric else str(a) == str(b)
        if same:
            continue
        option = str(old["option"].iloc[i])
        at = "" if len(keys) == 1 else " on day " + str(old[keys[1]].iloc[i])
        diff = f" (diff {float(b) - float(a):+.6g})" if numeric else ""
        bad.setdefault(option, []).append(f"golden {a}, now {b}{diff}{at}")
    lines = []
    for option, diffs in bad.items():
        more = f" and {len(diffs) - 1} more rows" if len(diffs) > 1 else ""
        limit = f"; tolerance rel {tol.rel:g} abs {tol.abs:g}" if numeric else ""
        lines.append(f"{where}: column {column!r}, option {option!r}: {diffs[0]}{more}{limit}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sessim.golden", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--regenerate", action="store_true", help="rewrite the goldens")
    parser.add_argument("--root", default=".", help="project folder (default: .)")
    parser.add_argument("scenarios", nargs="*",
                        help="only these scenario file stems (default: all)")
    args = parser.parse_args(argv)
    root = Path(args.root)
    try:
        if args.regenerate:
            for folder in regenerate(root, args.scenarios or None):
                sys.stdout.write(f"wrote {folder}\n")
            return 0
        problems = [p for f in scenario_files(root)
                    if not args.scenarios or f.stem in args.scenarios
                    for p in compare(f, root / "tests" / "golden")]
    except InputError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    for p in problems:
        sys.stdout.write(p + "\n")
    sys.stdout.write(f"{len(problems)} differences\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
