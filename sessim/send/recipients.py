"""Recipients CSV and message template: read, check, render.

The CSV needs an ``email`` column; every other column is a placeholder field:
``{{first_name}}`` in the message is replaced by that row's value. A bad row
(wrong field count, invalid address, CR/LF in a value) is reported with its
line number; the caller skips it or aborts. The message file must be an RFC 5322
message (header fields, a blank line, a body); it is refused before anything is
sent otherwise.
"""

from __future__ import annotations

import csv
import email.policy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import formatdate, parseaddr
from pathlib import Path

from sessim.errors import InputError

_FIELD_NAME = re.compile(rb"^[\x21-\x39\x3b-\x7e]+:")
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_\-]+)\s*\}\}")
# A practical address check (RFC 5321 dot-atom local part, a dotted domain); no
# quoted local parts, no IP literals.
_ADDRESS = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
# Headers sessim sets itself; the template's own are dropped.
OWN_HEADERS = ("to", "from", "message-id", "date", "x-ses-configuration-set")
# Headers a template may not have: they would be sent (Bcc is never transmitted).
REFUSED_HEADERS = ("bcc", "resent-bcc")
MAX_LINE = 998  # RFC 5322 2.1.1, octets without CRLF
_POLICY = email.policy.SMTP


@dataclass(frozen=True, slots=True)
class Recipient:
    line: int  # line number in the CSV (header is line 1)
    email: str
    fields: dict[str, str]


@dataclass(frozen=True, slots=True)
class BadRow:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


def valid_address(address: str) -> bool:
    """True for a plain ``local@domain`` address without CR, LF or spaces."""
    return len(address) <= 254 and bool(_ADDRESS.match(address))


def check_header_value(name: str, value: str) -> None:
    """Refuse CR or LF in a header value (header injection)."""
    if "\r" in value or "\n" in value:
        raise InputError(f"CR or LF in the {name} header value {value!r}")


def read_recipients(path: str | Path) -> Iterator[Recipient | BadRow]:
    """Rows of the recipients CSV, good ones as :class:`Recipient`, bad ones as
    :class:`BadRow` (with the CSV line number)."""
    try:
        fh = open(path, newline="", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read recipients file {path}: {exc.strerror}") from exc
    with fh:
        try:
            yield from _rows(path, csv.reader(fh))
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not UTF-8 text ({exc.reason}); save the file as"
                             " UTF-8") from None


def recipient_columns(path: str | Path) -> list[str]:
    """The column names of the recipients CSV (its first line)."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            return [h.strip() for h in next(csv.reader(fh), [])]
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason}); save the file as"
                         " UTF-8") from None
    except (OSError, csv.Error) as exc:
        raise InputError(f"cannot read the header of recipients file {path}: {exc}") from exc


def _rows(path: str | Path, reader) -> Iterator[Recipient | BadRow]:
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{path}: the recipients file is empty") from None
    except csv.Error as exc:
        raise InputError(f"{path}: line 1: {exc}") from exc
    names = [h.strip() for h in header]
    if "email" not in names:
        raise InputError(f"{path}: line 1: needs an 'email' column, has {names}")
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield BadRow(reader.line_num, f"unreadable CSV: {exc}")
            continue
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(names):
            yield BadRow(line, f"{len(row)} fields, the header has {len(names)}")
            continue
        values = dict(zip(names, (cell.strip() for cell in row)))
        email = values["email"]
        if not valid_address(email):
            yield BadRow(line, f"invalid address {email!r}")
            continue
        bad = [k for k, v in values.items() if "\r" in v or "\n" in v]
        if bad:
            yield BadRow(line, f"CR or LF in field {bad[0]!r}")
            continue
        yield Recipient(line, email, values)


@dataclass(frozen=True, slots=True)
class Template:
    """A message file split into header lines and body, placeholders intact."""

    headers: list[tuple[str, str]]
    body: str

    @property
    def subject(self) -> str:
        return next((v for k, v in self.headers if k.lower() == "subject"), "")

    def fields(self) -> set[str]:
        text = "\n".join(v for _, v in self.headers) + self.body
        return set(_PLACEHOLDER.findall(text))

    def render_subject(self, values: dict[str, str]) -> str:
        """The subject as the recipient reads it: placeholders filled, folding undone."""
        return _fill(self.subject, values).replace("\n", "")

    def render(self, values: dict[str, str], own: list[tuple[str, str]]) -> bytes:
        """The message for one recipient: ``own`` headers first, then the template's
        (placeholders filled; CR/LF in a filled header value is refused; a value with
        non-ASCII characters is encoded per RFC 2047)."""
        lines = []
        for name, value in own:
            check_header_value(name, value)
            lines.append(_header(name, value))
        for name, value in self.headers:
            if name.lower() in OWN_HEADERS:
                continue
            filled = _fill(value, values)
            # Only the folding the template itself had is allowed.
            if filled.count("\n") != value.count("\n"):
                raise InputError(f"CR or LF in the {name} header value {filled!r}")
            lines.append(_header(name, filled))
        body = _fill(self.body, values).replace("\r\n", "\n").replace("\n", "\r\n")
        return ("\r\n".join(lines) + "\r\n\r\n" + body).encode("utf-8")


def _fill(text: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), text)


def _header(name: str, value: str) -> str:
    """One header field, CRLF between its folded lines: ASCII values as written (the
    template's folding kept), others encoded (RFC 2047) and folded by the email package."""
    if value.isascii():
        return f"{name}: {value}".replace("\n", "\r\n")
    return _POLICY.header_factory(name, value.replace("\n", "")).fold(
        policy=_POLICY).rstrip("\r\n")


def check_lines(data: bytes, what: str) -> None:
    """Refuse a message with a line longer than 998 octets (RFC 5322 2.1.1): relays
    answer it with 500 for every recipient."""
    for no, line in enumerate(data.split(b"\r\n"), start=1):
        if len(line) > MAX_LINE:
            raise InputError(f"{what}: line {no} is {len(line)} octets long, more than"
                             f" {MAX_LINE} (RFC 5322 2.1.1); wrap it or use a"
                             " Content-Transfer-Encoding (quoted-printable or base64)")


def read_template(path: str | Path) -> Template:
    """Read and check a message file; :class:`InputError` if it is not RFC 5322 or not
    UTF-8, has a line over 998 octets, or has a Bcc header."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read message file {path}: {exc.strerror}") from exc
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InputError(f"{path}: line {line}: not UTF-8 text ({exc.reason}); save the"
                         " message file as UTF-8") from None
    text = raw.replace(b"\r\n", b"\n")
    head, sep, body = text.partition(b"\n\n")
    if not sep and not head.endswith(b"\n"):
        raise InputError(f"{path}: not an RFC 5322 message: no blank line between the"
                         " header and the body")
    headers: list[tuple[str, str]] = []
    for no, line in enumerate(head.split(b"\n"), start=1):
        if len(line) > MAX_LINE:
            raise InputError(f"{path}: line {no}: longer than 998 characters (RFC 5322 2.1.1)")
        if line[:1] in (b" ", b"\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + "\n" + line.decode("utf-8"))
        elif _FIELD_NAME.match(line):
            name, _, value = line.decode("utf-8").partition(":")
            if name.lower() in REFUSED_HEADERS:
                raise InputError(f"{path}: line {no}: the message has a {name} header: every"
                                 " recipient would see it and its addresses would get"
                                 " nothing (mail goes to the CSV's addresses only);"
                                 " remove it")
            headers.append((name, value.strip()))
        else:
            raise InputError(f"{path}: line {no}: not an RFC 5322 header field: {line[:60]!r}")
    if not any(k.lower() == "subject" for k, _ in headers):
        raise InputError(f"{path}: the message has no Subject header")
    first_body_line = head.count(b"\n") + 3  # after the header lines and the blank line
    for no, line in enumerate(body.split(b"\n"), start=first_body_line):
        if len(line) > MAX_LINE:
            raise InputError(f"{path}: line {no}: {len(line)} octets long, more than"
                             f" {MAX_LINE} (RFC 5322 2.1.1); wrap it or use a"
                             " Content-Transfer-Encoding (quoted-printable or base64)")
    return Template(headers, body.decode("utf-8"))


def check_from(from_header: str) -> None:
    """Refuse a From header without one valid address, or with CR/LF."""
    check_header_value("From", from_header)
    _, addr = parseaddr(from_header)
    if not addr or not valid_address(addr):
        raise InputError(f"invalid From address {from_header!r}")


def own_headers(to: str, from_header: str, message_id: str, when: float,
                config_set: str, checked: bool = False) -> list[tuple[str, str]]:
    """The header fields sessim writes into every message (``checked``: the From
    header already passed :func:`check_from`)."""
    if not checked:
        check_from(from_header)
    return [("From", from_header), ("To", to), ("Date", formatdate(when, usegmt=True)),
            ("Message-ID", f"<{message_id}>"), ("X-SES-CONFIGURATION-SET", config_set)]
