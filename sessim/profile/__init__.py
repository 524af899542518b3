"""Profile SES event exports and turn them into a scenario (``sessim profile``).

Pipeline: :mod:`readers` (file forms, streaming) -> :mod:`records` (fields,
checks) -> :mod:`aggregate` (constant-memory counters) -> :mod:`derive`
(measured figures) -> :mod:`to_scenario` (YAML) and :mod:`report` (CSV, text).
"""

from __future__ import annotations

from typing import Any

# Re-exported lazily, so that ``sessim --help`` does not import numpy and pydantic.
_EXPORTS = {"build_profile": "pipeline", "ProfileResult": "pipeline", "scan": "scan",
            "derive": "derive", "Profile": "aggregate", "ProfileFigures": "derive"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
