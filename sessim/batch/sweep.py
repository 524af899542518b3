"""The sweep file: which scenarios, which parameters to vary, how many replications.

A sweep is YAML validated like a scenario (errors name the file, the line and the
field path). Parameters are dotted paths into the scenario; a path segment after a
list of named objects (``options``, ``sender.streams``, ...) selects the item by its
``name``, so ``options.dedicated.pool.ip_count`` is the ``ip_count`` of the option
named ``dedicated``; a number selects by position. Points come from the ``grid``
(every combination) or ``zip`` (the i-th value of each parameter) of the value
lists; each point runs ``replications`` times, with seeds spawned from ``seed``.
The same replication uses the same seed at every point (common random numbers).
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sessim.errors import InputError
from sessim.scenario import Scenario, load_scenario, set_path
from sessim.yamlio import load_yaml, validation_error_message

__all__ = ["Point", "Sweep", "apply_override", "load_sweep", "replication_seeds"]

DEFAULT_METRICS = ("inbox_rate", "spam_rate", "deferral_rate", "monthly_cost_usd")


class Sweep(BaseModel):
    """A batch of runs: base scenarios x points x replications."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    scenarios: Annotated[list[str], Field(min_length=1, description=(
        "Base scenario files, relative to the sweep file's folder."))]
    parameters: dict[str, Annotated[list[Any], Field(min_length=1)]] = Field(
        default_factory=dict, description="Dotted scenario path -> values to try.")
    mode: Literal["grid", "zip"] = "grid"
    replications: Annotated[int, Field(ge=1, le=100_000)] = 1
    seed: Annotated[int, Field(ge=0)] = 0
    days: Annotated[int, Field(gt=0)] | None = Field(
        None, description="Override every scenario's duration_days.")
    metrics: list[str] = Field(
        default_factory=lambda: list(DEFAULT_METRICS),
        description="Summary metrics to plot against each swept parameter.")

    @model_validator(mode="after")
    def _zip_lengths(self) -> Sweep:
        if self.mode == "zip":
            lengths = {len(v) for v in self.parameters.values()}
            if len(lengths) > 1:
                raise ValueError("mode zip needs value lists of equal length; got "
                                 + ", ".join(f"{k}: {len(v)}" for k, v in self.parameters.items()))
        for path in self.parameters:
            if not path or any(not part for part in path.split(".")):
                raise ValueError(f"parameter path {path!r} has an empty segment")
        return self

    def points(self) -> list[Point]:
        """The parameter combinations, in a fixed order."""
        names = list(self.parameters)
        lists = [self.parameters[n] for n in names]
        combos = itertools.product(*lists) if self.mode == "grid" else zip(*lists)
        if not names:
            combos = [()]
        return [Point(i, tuple(zip(names, values))) for i, values in enumerate(combos)]


@dataclass(frozen=True)
class Point:
    """One combination of parameter values."""

    index: int
    values: tuple[tuple[str, Any], ...]

    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.values) or "base"


def replication_seeds(master: int, replications: int) -> list[int]:
    """One scenario seed per replication, spawned from the master seed."""
    children = np.random.SeedSequence(master).spawn(replications)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


def apply_override(data: dict, path: str, value: Any) -> dict:
    """A copy of scenario ``data`` (plain dicts/lists) with ``path`` set to ``value``
    (paths as in :meth:`Scenario.with_changes`; InputError for a missing list item)."""
    out = copy.deepcopy(data)
    set_path(out, path, value)
    return out


@dataclass(frozen=True)
class LoadedSweep:
    """A validated sweep with its base scenarios (as plain data) resolved."""

    sweep: Sweep
    path: Path
    bases: tuple[tuple[str, dict], ...]  # (scenario name, model_dump(mode="json"))


def load_sweep(path: str | Path) -> LoadedSweep:
    """Read and validate a sweep file and its base scenarios.

    Checks every parameter path against every base scenario (value validation is
    left to each run, so one bad value fails only its runs).
    """
    path = Path(path)
    data, lines = load_yaml(path)
    try:
        sweep = Sweep.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_error_message(exc, str(path), lines, what="sweep")) from exc
    bases = []
    for i, name in enumerate(sweep.scenarios):
        file = path.parent / name
        try:
            scenario = load_scenario(file)
        except InputError as exc:
            line = lines.line_for(("scenarios", i))
            raise InputError(f"{path}: line {line}: scenarios[{i}]: cannot load base"
                             f" scenario:\n{exc}") from exc
        dumped = scenario.model_dump(mode="json")
        for param, values in sweep.parameters.items():
            line = lines.line_for(("parameters", param))
            try:
                changed = apply_override(dumped, param, values[0])
            except InputError as exc:
                raise InputError(f"{path}: line {line}: parameters.{param}: in scenario"
                                 f" {scenario.name!r}: {exc}") from exc
            _check_path_exists(changed, param, f"{path}: line {line}: parameters.{param}")
        bases.append((scenario.name, dumped))
    names = [n for n, _ in bases]
    if len(set(names)) != len(names):
        raise InputError(f"{path}: base scenarios must have distinct names, got {names}")
    return LoadedSweep(sweep, path, tuple(bases))


def _check_path_exists(data: dict, param: str, where: str) -> None:
    """A parameter path must name a scenario field: a misspelt last segment would make
    every run fail, so it is refused when the sweep is loaded. (A value that does not
    validate fails only its own runs.)"""
    try:
        Scenario.model_validate(data)
    except ValidationError as exc:
        unknown = [e for e in exc.errors() if e["type"] == "extra_forbidden"]
        if unknown:
            raise InputError(f"{where}: not a scenario field (check the spelling of"
                             f" {param.split('.')[-1]!r})") from exc


def build_scenario(base: dict, point: Point, source: str) -> Scenario:
    """The base scenario with the point's overrides, validated (InputError if not)."""
    data = copy.deepcopy(base)
    for param, value in point.values:
        try:
            set_path(data, param, value)
        except InputError as exc:
            raise InputError(f"{source}: {param}: {exc}") from exc
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_error_message(exc, source, None)) from exc
