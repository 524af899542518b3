"""Shared pieces of the batch tests: a tiny sweep over the reference scenario."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "scenarios" / "ses-ip-options.yaml"


def write_sweep(folder: Path, body: str = "", name: str = "tiny") -> Path:
    """A sweep of the reference scenario over 2 days: 2 IP counts x 2 replications."""
    text = body or (
        "parameters:\n"
        "  options.dedicated.pool.ip_count: [1, 2]\n"
        "replications: 2\n"
        "seed: 5\n"
        "days: 2\n"
        "metrics: [inbox_rate]\n")
    path = folder / f"{name}.yaml"
    path.write_text(f"name: {name}\nscenarios: [{REFERENCE}]\n" + text)
    return path


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (except plots) by relative path."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and "plots" not in p.parts}
