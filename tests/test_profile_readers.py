"""File forms of SES exports: each is streamed to the same records, bad text is located."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from sessim.errors import InputError
from sessim.profile.readers import BadInput, expand_paths, read_objects
from sessim.profile.records import parse_event, provider_of
from sessim.profile.scan import events_in, scan
from sessim.profile.synth import KnownTraffic, sns_wrap, synth_records

RECORDS = list(synth_records(KnownTraffic(days=2, steady_daily=20, campaign_volume=30,
                                          campaign_list_size=40), seed=3))


def _values(path: Path, chunk: int = 1 << 20) -> list:
    out = list(read_objects(path, chunk))
    assert not [x for x in out if isinstance(x, BadInput)]
    return [v for _, v in out]


FORMS = {
    "jsonl": lambda rs: "\n".join(json.dumps(r) for r in rs) + "\n",
    "array": lambda rs: json.dumps(rs, indent=2),
    "compact-array": lambda rs: json.dumps(rs),
    "concatenated": lambda rs: "".join(json.dumps(r) for r in rs),
    "pretty-concatenated": lambda rs: "\n".join(json.dumps(r, indent=2) for r in rs),
}


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("chunk", [97, 1 << 20])
@pytest.mark.parametrize("gz", [False, True])
def test_every_form_yields_the_same_records(tmp_path: Path, form: str, chunk: int,
                                            gz: bool) -> None:
    """JSON lines, arrays and Firehose concatenation, gzipped or not, at any chunk size."""
    text = FORMS[form](RECORDS).encode()
    path = tmp_path / "export.data"  # the name says nothing: gzip is sniffed
    path.write_bytes(gzip.compress(text) if gz else text)
    assert _values(path, chunk) == RECORDS


def test_sns_wrapped_notifications_are_unwrapped(tmp_path: Path) -> None:
    """SNS `Message` strings holding `notificationType` records parse like event records."""
    path = tmp_path / "sns.jsonl"
    path.write_text("\n".join(json.dumps(sns_wrap(r)) for r in RECORDS))
    plain = [parse_event(r) for r in RECORDS]
    wrapped = [e for e in events_in(path)]
    assert wrapped == plain


def test_bad_records_are_counted_with_file_and_line(tmp_path: Path) -> None:
    """Unparseable text and records missing fields are reported by line; the rest is used."""
    good = json.dumps(RECORDS[0])
    lines = [good, "{not json", good, json.dumps({"eventType": "Send"}),
             json.dumps({"foo": 1}), "\"text\"", good]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    items = list(events_in(path))
    bad = [i for i in items if isinstance(i, BadInput)]
    assert [b.line for b in bad] == [2, 4, 5, 6]
    assert "not valid JSON" in bad[0].reason and "no mail object" in bad[1].reason
    assert str(bad[0]).startswith(f"{path}: line 2:")
    assert len(items) - len(bad) == 3


def test_bad_object_in_pretty_array_resyncs(tmp_path: Path) -> None:
    """A broken object inside a pretty-printed array costs that object, not the file."""
    text = json.dumps(RECORDS[:3], indent=2)
    broken = text.replace('"eventType": "Send"', '"eventType": Send', 1)
    path = tmp_path / "a.json"
    path.write_text(broken)
    items = list(events_in(path))
    good = [i for i in items if not isinstance(i, BadInput)]
    assert good[-2:] == [parse_event(r) for r in RECORDS[1:3]]


def test_no_usable_record_is_an_input_error(tmp_path: Path) -> None:
    """An export without usable records is a clear InputError naming the problem."""
    path = tmp_path / "empty.jsonl"
    path.write_text("garbage\n{}\n")
    with pytest.raises(InputError, match="no usable SES event records"):
        scan([path])
    with pytest.raises(InputError, match="file not found"):
        expand_paths([tmp_path / "missing.json"])


@pytest.mark.parametrize("address, provider", [
    ("a@gmail.com", "gmail"), ("a@googlemail.com", "gmail"), ("a@hotmail.co.uk", "microsoft"),
    ("a@outlook.com", "microsoft"), ("a@live.com", "microsoft"), ("a@msn.com", "microsoft"),
    ("a@yahoo.fr", "yahoo"), ("a@aol.com", "yahoo"), ("a@ymail.com", "yahoo"),
    ("a@icloud.com", "apple"), ("a@me.com", "apple"), ("a@mac.com", "apple"),
    ("a@Example.ORG", "other"), ("a@me.example.org", "other"), ("a@gmail.example.com", "other"),
])
def test_provider_by_recipient_domain(address: str, provider: str) -> None:
    """Recipient domains map to the providers of FACTS.md."""
    assert provider_of(address) == provider
