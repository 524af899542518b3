"""Tests for sessim.yamlio: line-aware YAML loading, error messages and dumping."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from typing import Annotated, Literal

import pydantic
import pytest
import yaml
from pydantic import BaseModel, ConfigDict, Field

from sessim.errors import EngineMisuse, InputError, PeerError, SessimError
from sessim.yamlio import LineMap, dump_yaml, load_yaml, validation_error_message

NESTED = """\
# a comment line
name: demo
options:
  - kind: dedicated
    pool:
      ip_count: 2
      warmup: true
  - kind: shared

streams:
  - 10
  - 20
"""


def write(tmp_path: Path, text: str, name: str = "x.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --- errors ---------------------------------------------------------------


def test_error_hierarchy() -> None:
    """Every sessim error derives from SessimError so the CLI can catch them in one place."""
    for cls in (InputError, EngineMisuse, PeerError):
        assert issubclass(cls, SessimError)
    assert issubclass(SessimError, Exception)
    assert not issubclass(InputError, PeerError)


# --- load_yaml ------------------------------------------------------------


def test_load_returns_plain_data(tmp_path: Path) -> None:
    """load_yaml returns plain dicts, lists and scalars, the same as yaml.safe_load."""
    data, _ = load_yaml(write(tmp_path, NESTED))
    assert data == yaml.safe_load(NESTED)
    assert type(data) is dict
    assert type(data["options"]) is list


def test_lines_for_nested_keys_and_list_items(tmp_path: Path) -> None:
    """Mapping keys and sequence items are recorded with their 1-based lines by path."""
    _, lines = load_yaml(write(tmp_path, NESTED))
    assert lines.line_for(("name",)) == 2
    assert lines.line_for(("options",)) == 3
    assert lines.line_for(("options", 0)) == 4
    assert lines.line_for(("options", 0, "kind")) == 4
    assert lines.line_for(("options", 0, "pool")) == 5
    assert lines.line_for(("options", 0, "pool", "ip_count")) == 6
    assert lines.line_for(("options", 0, "pool", "warmup")) == 7
    assert lines.line_for(("options", 1)) == 8
    assert lines.line_for(("streams", 0)) == 11
    assert lines.line_for(("streams", 1)) == 12
    assert ("options", 0, "pool", "ip_count") in lines


def test_line_for_falls_back_to_deepest_known_prefix(tmp_path: Path) -> None:
    """A path below what exists (e.g. a missing key) gets the nearest parent's line."""
    _, lines = load_yaml(write(tmp_path, NESTED))
    assert lines.line_for(("options", 0, "pool", "missing_key")) == 5
    assert lines.line_for(("options", 0, "pool", "ip_count", "deeper", 3)) == 6
    assert lines.line_for(("nope",)) == 2  # the top-level mapping starts after the comment
    assert LineMap().line_for(("anything",)) is None


def test_lines_with_anchors_and_merge_keys(tmp_path: Path) -> None:
    """Aliases and ``<<`` merges load safely; keys set directly keep their own line."""
    text = """\
    base: &base
      ip_count: 1
      region: eu
    pool:
      <<: *base
      ip_count: 3
    """
    data, lines = load_yaml(write(tmp_path, text))
    assert data["pool"] == {"ip_count": 3, "region": "eu"}
    assert lines.line_for(("pool", "ip_count")) == 6
    assert lines.line_for(("pool", "region")) == 3


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    """A YAML syntax error raises InputError naming the file, the line and YAML's problem."""
    path = write(tmp_path, "name: demo\noptions:\n  - a\n  b: [1, 2\n")
    with pytest.raises(InputError) as info:
        load_yaml(path)
    message = str(info.value)
    assert message.startswith(f"{path}: line ")
    assert "could not parse YAML" in message
    assert "expected" in message  # YAML's own problem text


def test_syntax_error_line_number(tmp_path: Path) -> None:
    """The reported line is the one where YAML found the problem."""
    path = write(tmp_path, "a: 1\nb: 2\nc: : :\n\td: 4\n")
    with pytest.raises(InputError, match=r": line 3: could not parse YAML: "):
        load_yaml(path)


def test_unsafe_tag_is_rejected(tmp_path: Path) -> None:
    """Only safe loading is done: python/object tags raise InputError, not run code."""
    path = write(tmp_path, "x: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(InputError, match=r"line 1: could not parse YAML"):
        load_yaml(path)


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_empty_file_raises(tmp_path: Path, text: str) -> None:
    """An empty file (or only comments) raises InputError saying it is empty."""
    path = write(tmp_path, text)
    with pytest.raises(InputError, match="empty"):
        load_yaml(path)


@pytest.mark.parametrize(("text", "kind"), [("- a\n- b\n", "a list"), ("just text\n", "a string")])
def test_top_level_not_mapping_raises(tmp_path: Path, text: str, kind: str) -> None:
    """A top level that is not a mapping raises InputError naming what it got."""
    path = write(tmp_path, text)
    with pytest.raises(InputError, match=f"top level must be a mapping.*got {kind}"):
        load_yaml(path)


def test_missing_and_unreadable_files_raise(tmp_path: Path) -> None:
    """A missing file, a directory and non-UTF-8 bytes all raise InputError with the path."""
    missing = tmp_path / "nope.yaml"
    with pytest.raises(InputError, match="not found") as info:
        load_yaml(missing)
    assert str(missing) in str(info.value)
    with pytest.raises(InputError, match="could not read"):
        load_yaml(tmp_path)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"a: \xff\xfe\n")
    with pytest.raises(InputError, match="could not read"):
        load_yaml(binary)


# --- validation_error_message -------------------------------------------


class Pool(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ip_count: int = Field(gt=0)
    warmup: bool = False


class Option(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str
    pool: Pool


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    options: list[Option]


BAD = """\
name: demo
options:
  - kind: dedicated
    pool:
      ip_count: 2
  - kind: dedicated
    pool:
      ip_count: -1
      colour: blue
  - kind: shared
    pool:
      ip_count: lots
"""


def errors_for(tmp_path: Path, text: str, model: type[BaseModel] = Scenario) -> str:
    path = write(tmp_path, text)
    data, lines = load_yaml(path)
    with pytest.raises(pydantic.ValidationError) as info:
        model.model_validate(data)
    return validation_error_message(info.value, str(path), lines)


def test_message_counts_errors_and_indents(tmp_path: Path) -> None:
    """The first line gives the error count; each error follows on its own indented line."""
    message = errors_for(tmp_path, BAD)
    first, *rest = message.splitlines()
    assert first == f"{tmp_path / 'x.yaml'}: 3 errors in scenario"
    assert len(rest) == 3
    assert all(line.startswith(f"  {tmp_path / 'x.yaml'}: line ") for line in rest)


def test_message_negative_number(tmp_path: Path) -> None:
    """A gt=0 violation names its line, the dotted path with [index], and the value."""
    message = errors_for(tmp_path, BAD)
    assert (
        f"  {tmp_path / 'x.yaml'}: line 8: options[1].pool.ip_count: "
        "Input should be greater than 0 (got -1)"
    ) in message.splitlines()


def test_message_unknown_key(tmp_path: Path) -> None:
    """An unknown key (extra='forbid') names the key's own line and path."""
    message = errors_for(tmp_path, BAD)
    assert (
        f"  {tmp_path / 'x.yaml'}: line 9: options[1].pool.colour: "
        "Extra inputs are not permitted (got 'blue')"
    ) in message.splitlines()


def test_message_wrong_type(tmp_path: Path) -> None:
    """A wrong type names the line, the path and the offending value."""
    message = errors_for(tmp_path, BAD)
    line = next(x for x in message.splitlines() if "options[2]" in x)
    assert line.startswith(f"  {tmp_path / 'x.yaml'}: line 12: options[2].pool.ip_count: ")
    assert "valid integer" in line
    assert line.endswith("(got 'lots')")


def test_message_missing_key_uses_parent_line(tmp_path: Path) -> None:
    """A missing key points at its parent's line and does not dump the parent as 'got'."""
    text = "name: demo\noptions:\n  - kind: dedicated\n    pool:\n      warmup: true\n"
    message = errors_for(tmp_path, text)
    assert message.splitlines()[0].endswith(": 1 error in scenario")
    assert message.splitlines()[1] == (
        f"  {tmp_path / 'x.yaml'}: line 4: options[0].pool.ip_count: Field required"
    )


def test_message_long_value_is_shortened(tmp_path: Path) -> None:
    """Scalar inputs are shown shortened to 60 characters; non-scalars are not shown."""
    text = f"name: [1, 2]\noptions: []\nextra: {'y' * 200}\n"
    lines = errors_for(tmp_path, text).splitlines()[1:]
    name_line = next(x for x in lines if ": name: " in x)
    assert "(got" not in name_line
    extra_line = next(x for x in lines if ": extra: " in x)
    shown = extra_line.split("(got ", 1)[1][:-1]
    assert len(shown) == 60
    assert shown.endswith("...")


class Dedicated(BaseModel):
    kind: Literal["dedicated"]
    pool: Pool


class Shared(BaseModel):
    kind: Literal["shared"]
    share: Annotated[int, pydantic.AfterValidator(lambda v: v)] = Field(gt=0)


class TaggedScenario(BaseModel):
    options: list[Annotated[Dedicated | Shared, Field(discriminator="kind")]]
    size: int | list[int] = 0


def test_message_drops_internal_loc_parts_and_finds_lines_past_tags(tmp_path: Path) -> None:
    """Loc parts with '[' or '(' are dropped; tag names do not stop the line lookup."""
    text = """\
    options:
      - kind: dedicated
        pool:
          ip_count: 0
      - kind: shared
        share: -5
    size: big
    """
    message = errors_for(tmp_path, text, TaggedScenario)
    lines = message.splitlines()[1:]
    source = tmp_path / "x.yaml"
    assert f"  {source}: line 4: options[0].dedicated.pool.ip_count: " in message
    assert any(x.startswith(f"  {source}: line 6: options[1].shared.share: ") for x in lines)
    size_lines = [x for x in lines if ".size" in x or ": size" in x]
    assert size_lines and all(x.startswith(f"  {source}: line 7: size") for x in size_lines)
    assert "list[int]" not in message
    assert "function-after" not in message


def test_message_without_line_map() -> None:
    """With no LineMap the message still names the source and the field path."""
    with pytest.raises(pydantic.ValidationError) as info:
        Scenario.model_validate({"name": "n", "options": [{"kind": "k", "pool": {"ip_count": 0}}]})
    message = validation_error_message(info.value, "<cli>", None)
    assert message.splitlines() == [
        "<cli>: 1 error in scenario",
        "  <cli>: options[0].pool.ip_count: Input should be greater than 0 (got 0)",
    ]


# --- dump_yaml ------------------------------------------------------------


def test_dump_yaml_round_trips(tmp_path: Path) -> None:
    """dump_yaml output loads back to the same data, keeping key order."""
    data = {
        "name": "démo ✓",
        "zeta": 1,
        "alpha": [1, 2.5, None, True, "yes", "012"],
        "options": [{"kind": "dedicated", "pool": {"ip_count": 3}}],
        "empty": {},
    }
    text = dump_yaml(data)
    assert "démo ✓" in text  # allow_unicode
    assert "{" not in text.replace("{}", "")  # block style
    path = tmp_path / "out.yaml"
    path.write_text(text, encoding="utf-8")
    loaded, _ = load_yaml(path)
    assert loaded == data
    assert list(loaded) == list(data)


def test_dump_yaml_dates_and_determinism() -> None:
    """Dates become ISO strings, tuples lists, no anchors; the output is deterministic."""
    shared = {"a": 1}
    data = {
        "start": dt.date(2024, 3, 1),
        "at": dt.datetime(2024, 3, 1, 12, 30),
        "pair": (1, 2),
        "x": shared,
        "y": shared,
    }
    text = dump_yaml(data)
    assert text == dump_yaml(data)
    assert "&" not in text and "*" not in text
    loaded = yaml.safe_load(text)
    assert loaded["start"] == "2024-03-01"
    assert loaded["at"] == "2024-03-01T12:30:00"
    assert loaded["pair"] == [1, 2]
    assert loaded["x"] == loaded["y"] == {"a": 1}
