"""Stream SES event records out of export files, in constant memory.

One reader handles every file form an SES export comes in: JSON lines, a JSON
array (pretty-printed or not), Firehose-style concatenated objects with no
separator, each optionally gzip-compressed (detected by its magic bytes, not
its name). Memory stays bounded by the chunk size plus the longest single
record, whatever the file size:

* a file with one record per line (JSON lines, and arrays written one element
  per line) is read line by line and each line decoded with orjson when it is
  installed (about 2.5x the stdlib's speed on SES records), else the stdlib;
* anything else (pretty-printed records, Firehose objects with no newline
  between them, a one-line array) is read in chunks and decoded incrementally
  with :meth:`json.JSONDecoder.raw_decode`.

Text that does not parse is reported as a :class:`BadInput` with its file and
line, and the reader resynchronises at the next line that starts an object.
SNS unwrapping and field checks are the job of :mod:`sessim.profile.records`.
"""

from __future__ import annotations

import gzip
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sessim.errors import InputError

try:
    import orjson

    _loads = orjson.loads
    DECODER_NAME = "orjson"
except ImportError:  # pragma: no cover - orjson is a dependency; keep working without it
    _loads = json.loads
    DECODER_NAME = "json (stdlib)"

SNIFF_BYTES = 1 << 20
CHUNK_CHARS = 1 << 20
# A record longer than this is not an SES event; give up on it rather than buffer more.
MAX_RECORD_CHARS = 64 << 20
_GZIP_MAGIC = b"\x1f\x8b"
_SEPARATORS = re.compile(r"[\s,\[\]]*")
_NEXT_OBJECT = re.compile(r"\n[ \t\r,\[]*\{")


@dataclass(frozen=True, slots=True)
class BadInput:
    """A place in a file that could not be used, and why."""

    source: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: line {self.line}: {self.reason}"


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, with folders replaced by the files under them (sorted, hidden skipped)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(f for f in sorted(p.rglob("*"))
                       if f.is_file() and not any(part.startswith(".")
                                                  for part in f.relative_to(p).parts))
        elif p.is_file():
            out.append(p)
        else:
            raise InputError(f"{p}: file not found")
    return out


def open_binary(path: Path) -> io.BufferedIOBase:
    """Open ``path`` for reading bytes, transparently gunzipping it."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 - returned to the caller
    except OSError as exc:
        raise InputError(f"{path}: could not read file: {exc.strerror or exc}") from None
    if raw.peek(2)[:2] == _GZIP_MAGIC:
        return io.BufferedReader(gzip.GzipFile(fileobj=raw), 1 << 16)  # type: ignore[arg-type]
    return raw


def open_text(path: Path) -> io.TextIOBase:
    """Open ``path`` as UTF-8 text (a leading BOM dropped), transparently gunzipping it."""
    return io.TextIOWrapper(open_binary(path), encoding="utf-8-sig", errors="replace")


def _element(line: bytes) -> bytes:
    """A line stripped of what surrounds an array element: ``[``, ``]``, a trailing comma."""
    s = line.strip()
    if s[:1] == b"[":
        s = s[1:].lstrip()
    if s[-1:] == b",":
        s = s[:-1].rstrip()
    if s[-2:] == b"}]":
        s = s[:-1]
    if s[:3] == b"\xef\xbb\xbf":
        s = s[3:]
    return s


def one_record_per_line(path: Path) -> bool:
    """Whether the file's first record is alone on its line (then read it line by line)."""
    with open_binary(path) as fh:
        head = fh.read(SNIFF_BYTES)
    lines = head.split(b"\n")
    for line in lines[:-1]:  # the last piece may be cut short
        s = _element(line)
        if s:
            try:
                return isinstance(_loads(s), dict)
            except ValueError:
                return False
    return False


def read_objects(path: Path, chunk_chars: int = CHUNK_CHARS
                 ) -> Iterator[tuple[int, Any] | BadInput]:
    """Yield ``(line, value)`` for each top-level JSON value in ``path``, or a BadInput.

    ``line`` is the 1-based line on which the value starts. Values inside a
    top-level array are yielded one by one (the array itself never is).
    """
    if one_record_per_line(path):
        return _read_lines(path)
    return _read_chunks(path, chunk_chars)


def _read_lines(path: Path) -> Iterator[tuple[int, Any] | BadInput]:
    source = str(path)
    loads = _loads
    with open_binary(path) as fh:
        for number, line in enumerate(fh, 1):
            if line[-2:] != b",\n":  # array elements end with a comma: strip it first
                try:
                    yield number, loads(line)
                    continue
                except ValueError:
                    pass
            s = _element(line)
            if not s:
                continue
            try:
                yield number, loads(s)
                continue
            except ValueError:
                pass
            # Several objects on one line (Firehose), or a broken one: decode one by one.
            text = s.decode("utf-8", errors="replace")
            yield from _read_text(text, source, number)


def _read_text(text: str, source: str, line: int) -> Iterator[tuple[int, Any] | BadInput]:
    decode = json.JSONDecoder().raw_decode
    pos = _SEPARATORS.match(text, 0).end()
    while pos < len(text):
        try:
            value, pos = decode(text, pos)
        except json.JSONDecodeError as exc:
            yield BadInput(source, line, f"not valid JSON: {exc.msg}")
            return
        yield line, value
        pos = _SEPARATORS.match(text, pos).end()


def _read_chunks(path: Path, chunk_chars: int) -> Iterator[tuple[int, Any] | BadInput]:
    source = str(path)
    decode = json.JSONDecoder().raw_decode
    skip = _SEPARATORS.match
    with open_text(path) as fh:
        buf = ""
        pos = 0
        line = 1  # line number at ``pos``
        eof = False
        resync_from = -1  # >= 0 while skipping a bad record: where to look for the next
        while True:
            if resync_from >= 0:
                found = _NEXT_OBJECT.search(buf, resync_from)
                if found is None:
                    if eof:
                        return
                    line += buf.count("\n", pos, len(buf) - 1)
                    buf, pos, resync_from = buf[-1:], 0, 0  # keep a trailing newline
                    chunk = fh.read(chunk_chars)
                    eof = not chunk
                    buf += chunk
                    continue
                line += buf.count("\n", pos, found.start() + 1)
                pos = found.start() + 1
                resync_from = -1
            end = skip(buf, pos).end()
            if end >= len(buf):
                if eof:
                    return
                line += buf.count("\n", pos)
                buf, pos = fh.read(chunk_chars), 0
                eof = not buf
                continue
            line += buf.count("\n", pos, end)
            pos = end
            try:
                value, end = decode(buf, pos)
            except json.JSONDecodeError as exc:
                incomplete = buf.find("\n", exc.pos) == -1
                if incomplete and not eof and len(buf) - pos < MAX_RECORD_CHARS:
                    chunk = fh.read(chunk_chars)
                    eof = not chunk
                    buf = buf[pos:] + chunk
                    pos = 0
                    continue
                yield BadInput(source, line + buf.count("\n", pos, exc.pos),
                               f"not valid JSON: {exc.msg}")
                resync_from = max(exc.pos, pos)
                continue
            yield line, value
            line += buf.count("\n", pos, end)
            pos = end
            if pos > chunk_chars:  # drop consumed text so the buffer stays small
                buf, pos = buf[pos:], 0
