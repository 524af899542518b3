"""Read and write YAML, keeping line numbers for error messages.

:func:`load_yaml` reads a file with PyYAML's safe loader and also returns a
:class:`LineMap`, which gives the 1-based line of every mapping key and
sequence item, keyed by its path, e.g. ``("options", 0, "pool", "ip_count")``.
:func:`validation_error_message` uses it to turn a pydantic
``ValidationError`` into a message that names the file, the line and the field
path of each error. :func:`dump_yaml` writes deterministic YAML, e.g. for
resolved scenario files.

Problems with the file itself (missing, unreadable, not YAML, empty, top level
not a mapping) raise :class:`sessim.errors.InputError`.
"""

from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import Any

import pydantic
import yaml

from sessim.errors import InputError

__all__ = ["LineMap", "dump_yaml", "load_yaml", "validation_error_message"]

Loc = tuple[Any, ...]

_MAX_SHOWN = 60


class LineMap:
    """1-based source lines of YAML nodes, keyed by their path tuple.

    The empty path ``()`` is the top-level node.
    """

    def __init__(self, lines: Mapping[Loc, int] | None = None) -> None:
        self._lines: dict[Loc, int] = dict(lines or {})

    def line_for(self, path: Loc) -> int | None:
        """Line of the deepest known prefix of ``path``, or None if none is known.

        Pydantic error locations can point below what exists in the file (a
        missing key, say), so this falls back to the nearest parent's line.
        """
        path = tuple(path)
        for end in range(len(path), -1, -1):
            line = self._lines.get(path[:end])
            if line is not None:
                return line
        return None

    def __contains__(self, path: object) -> bool:
        return path in self._lines

    def __len__(self) -> int:
        return len(self._lines)

    def __repr__(self) -> str:
        return f"LineMap({len(self._lines)} paths)"


class _LineLoader(yaml.SafeLoader):
    """Safe loader that also records the line of every mapping key and sequence item."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.lines: dict[Loc, int] = {}

    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:
        # An impossible date (2026-02-30) raises a bare ValueError with no line.
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"not a valid date: {node.value!r} ({exc})", node.start_mark
            ) from exc

    def load_with_lines(self) -> tuple[Any, bool]:
        """Return ``(data, found)``; ``found`` is False for an empty document."""
        node = self.get_single_node()
        if node is None:
            return None, False
        data = self.construct_document(node)
        self.lines[()] = node.start_mark.line + 1
        self._record(node, (), set())
        return data, True

    def _record(self, node: yaml.Node, path: Loc, active: set[int]) -> None:
        # ``active`` guards against recursive structures built with anchors.
        if id(node) in active:
            return
        active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                self._record_mapping(node, path, active)
            elif isinstance(node, yaml.SequenceNode):
                for index, item in enumerate(node.value):
                    self.lines[path + (index,)] = item.start_mark.line + 1
                    self._record(item, path + (index,), active)
        finally:
            active.discard(id(node))

    def _record_mapping(self, node: yaml.MappingNode, path: Loc, active: set[int]) -> None:
        # By now construct_document has flattened ``<<: *anchor`` merges into
        # node.value (merged pairs first), so keys set directly win, as in the data.
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue  # complex keys cannot appear in a pydantic loc
            key = self.construct_object(key_node)
            self.lines[path + (key,)] = key_node.start_mark.line + 1
            self._record(value_node, path + (key,), active)


_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _LineLoader.construct_yaml_timestamp)


def load_yaml(path: str | Path) -> tuple[Any, LineMap]:
    """Read a YAML file whose top level is a mapping; return the data and its lines.

    The data is plain Python (dicts, lists, scalars) as built by PyYAML's safe
    loader. Raises :class:`InputError` if the file is missing or unreadable,
    is not valid YAML, is empty, or its top level is not a mapping.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{source}: file not found") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: could not read file: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise InputError(f"{source}: could not read file: {exc.strerror or exc}") from None

    loader = _LineLoader(text)
    try:
        data, found = loader.load_with_lines()
    except yaml.YAMLError as exc:
        raise InputError(_yaml_error_message(source, exc)) from exc
    finally:
        loader.dispose()

    if not found or data is None:
        raise InputError(f"{source}: file is empty; expected a YAML mapping")
    if not isinstance(data, dict):
        line = loader.lines.get((), 1)
        raise InputError(
            f"{source}: line {line}: top level must be a mapping (key: value), got {_kind(data)}"
        )
    return data, LineMap(loader.lines)


def _yaml_error_message(source: str, exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    if problem:
        detail = f"{context}: {problem}" if context else problem
    else:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if mark is not None:
        return (
            f"{source}: line {mark.line + 1}: could not parse YAML: {detail} "
            f"(column {mark.column + 1})"
        )
    return f"{source}: could not parse YAML: {detail}"


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"


def _is_internal(part: Any) -> bool:
    """Pydantic-internal loc parts such as 'function-after[...]' or 'list[int]'."""
    return isinstance(part, str) and ("[" in part or "(" in part)


def _field_path(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _source_path(loc: Loc, lines: LineMap) -> Loc:
    """Map a pydantic loc onto a path in the file.

    Parts the file does not have are skipped when the next part then matches
    (tag names of discriminated unions, union member names); otherwise the walk
    stops, and the line is that of the deepest part found.
    """
    path: Loc = ()
    i = 0
    while i < len(loc):
        if path + (loc[i],) in lines:
            path += (loc[i],)
            i += 1
        elif i + 1 < len(loc) and path + (loc[i + 1],) in lines:
            i += 1
        else:
            break
    return path


def _shown(value: Any) -> str | None:
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = repr(value)
    elif isinstance(value, (int, float, _dt.date, _dt.time)):
        text = str(value)
    else:
        return None
    if len(text) > _MAX_SHOWN:
        text = text[: _MAX_SHOWN - 3] + "..."
    return text


def validation_error_message(
    exc: pydantic.ValidationError,
    source: str,
    lines: LineMap | None,
    *,
    what: str = "scenario",
) -> str:
    """One readable message for ``exc``: a count line, then one line per error.

    Example::

        x.yaml: 2 errors in scenario
          x.yaml: line 12: options[0].pool.ip_count: Input should be greater than 0 (got -1)
          x.yaml: line 3: name: Field required

    ``source`` names the file; ``lines`` (from :func:`load_yaml`) supplies line
    numbers and may be None when the data did not come from a file. ``what``
    names the thing validated in the count line.
    """
    errors = exc.errors(include_url=False)
    count = len(errors)
    out = [f"{source}: {count} error{'' if count == 1 else 's'} in {what}"]
    for error in errors:
        loc = tuple(part for part in error.get("loc", ()) if not _is_internal(part))
        parts = [source]
        if lines is not None:
            line = lines.line_for(_source_path(loc, lines))
            if line is not None:
                parts.append(f"line {line}")
        if loc:
            parts.append(_field_path(loc))
        message = error.get("msg", "invalid value").removeprefix("Value error, ")
        shown = _shown(error.get("input")) if error.get("type") != "missing" else None
        if shown is not None:
            message += f" (got {shown})"
        parts.append(message)
        out.append("  " + ": ".join(parts))
    return "\n".join(out)


class _Dumper(yaml.SafeDumper):
    """Safe dumper that never emits anchors and writes dates as ISO strings."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_iso(dumper: yaml.SafeDumper, value: _dt.date | _dt.time) -> yaml.Node:
    return dumper.represent_str(value.isoformat())


def _represent_str_value(dumper: yaml.SafeDumper, value: Any) -> yaml.Node:
    return dumper.represent_str(str(value))


def _represent_enum(dumper: yaml.SafeDumper, value: enum.Enum) -> yaml.Node:
    return dumper.represent_data(value.value)


for _type in (_dt.date, _dt.datetime, _dt.time):
    _Dumper.add_representer(_type, _represent_iso)
_Dumper.add_multi_representer(_dt.date, _represent_iso)  # subclasses, e.g. pandas.Timestamp
_Dumper.add_representer(tuple, yaml.SafeDumper.represent_list)
_Dumper.add_multi_representer(PurePath, _represent_str_value)
_Dumper.add_multi_representer(enum.Enum, _represent_enum)


def dump_yaml(data: Any) -> str:
    """Deterministic YAML text for ``data``, keys in insertion order.

    Dates and datetimes become ISO strings, tuples become lists, paths become
    strings and enums their values. No anchors or aliases are emitted.
    """
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
    )
