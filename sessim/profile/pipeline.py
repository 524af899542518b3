"""Scan, derive, write: the one-call API behind ``sessim profile``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sessim.errors import InputError
from sessim.profile.aggregate import Profile
from sessim.profile.derive import ProfileFigures, derive
from sessim.profile.report import report_rows, report_text, write_csv
from sessim.profile.scan import scan
from sessim.profile.to_scenario import scenario_yaml


@dataclass
class ProfileResult:
    """A scanned export: counters, measured figures, scenario YAML and report rows."""

    profile: Profile
    figures: ProfileFigures
    yaml_text: str
    rows: list[tuple[str, str, Any]]

    @property
    def text(self) -> str:
        return report_text(self.rows)

    def write(self, scenario_path: str | Path, report_path: str | Path) -> None:
        """Write the scenario YAML and the report CSV (each atomically)."""
        scenario_path = Path(scenario_path)
        tmp = scenario_path.with_name(scenario_path.name + ".tmp")
        try:
            scenario_path.parent.mkdir(parents=True, exist_ok=True)
            Path(report_path).parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(self.yaml_text, encoding="utf-8")
            tmp.replace(scenario_path)
            write_csv(self.rows, report_path)
        except OSError as exc:
            raise InputError(f"could not write output: {exc}") from exc


def build_profile(paths: Iterable[str | Path], name: str = "profiled") -> ProfileResult:
    """Scan SES export files or folders and build the scenario and report."""
    profile = scan(paths)
    figures = derive(profile)
    return ProfileResult(profile, figures, scenario_yaml(figures, name),
                         report_rows(profile, figures))

