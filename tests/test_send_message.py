"""What goes out and what the events say about it: line lengths, DATA-phase
refusals, configuration sets per pool, encoded headers, rendered subjects, unknown
placeholders, Bcc, Ctrl-C, plaintext AUTH, and the dry run's starting state."""

from __future__ import annotations

import dataclasses
import email
import email.policy

import pytest
from click.testing import CliRunner
from send_sink import Handler, Sink, free_port, read_events, write_job

from sessim.cli import main
from sessim.engine.replies import PROVIDERS, Reply, classify
from sessim.errors import InputError, PeerError
from sessim.send import runner
from sessim.send.recipients import Template
from sessim.send.smtp_transport import data_reply
from sessim.send.state import State


@pytest.fixture
def sink():
    controller = Sink(Handler())
    controller.start()
    yield controller
    controller.stop()


def cli(files, *extra):
    scenario, recipients, message = files
    return CliRunner().invoke(main, ["send", str(scenario), "--recipients", str(recipients),
                                     "--message", str(message), *extra])


def suppressed(folder):
    state = State(folder)
    try:
        return dict(state.suppressed())
    finally:
        state.close()


# ------------------------------------------------------------ 1. long lines
def test_body_line_over_998_octets_is_refused_before_sending(tmp_path):
    files = write_job(tmp_path, free_port(), ["a@x.example.com"])
    files[2].write_text("Subject: hi\n\nshort\n" + "x" * 999 + "\n")
    result = cli(files, "--state", str(tmp_path / "state"))
    assert result.exit_code == 2, result.output
    assert "line 4" in result.output and "998" in result.output
    assert not (tmp_path / "state").exists()


def test_placeholder_that_makes_a_line_too_long_is_refused(tmp_path):
    files = write_job(tmp_path, free_port(), ["a@x.example.com"])
    files[1].write_text("email,first_name\na@x.example.com," + "y" * 990 + "\n")
    result = cli(files, "--state", str(tmp_path / "state"))
    assert result.exit_code == 2, result.output
    assert "998" in result.output and "line 2" in result.output
    assert not (tmp_path / "state").exists()


def test_message_refused_at_data_does_not_suppress_the_recipient(tmp_path, sink):
    """aiosmtpd answers a body line over its limit with '500 Line too long': a refusal
    of the message, not of the address (Transient / ContentRejected, no suppression)."""
    files = write_job(tmp_path, sink.port, ["ann@a.example.com", "bob@b.example.com"])
    inputs = runner.load_inputs(*files)
    long = Template([("Subject", "hi")], "x" * 2000 + "\n")
    inputs = dataclasses.replace(inputs, template=long)
    _, states = runner.send(inputs, tmp_path / "state", tmp_path / "events.jsonl")
    assert states == {"bounced": 2}
    bounces = [e["bounce"] for e in read_events(tmp_path / "events.jsonl")
               if e["eventType"] == "Bounce"]
    assert {(b["bounceType"], b["bounceSubType"]) for b in bounces} == {
        ("Transient", "ContentRejected")}
    assert "Line too long" in bounces[0]["bouncedRecipients"][0]["diagnosticCode"]
    assert suppressed(tmp_path / "state") == {}


@pytest.mark.parametrize("text, kept", [
    ("500 Line too long", False),
    ("554 5.6.0 Message corrupt", False),
    ("552 5.3.4 Message size exceeds fixed limit", True),  # already Transient
    ("550 5.1.1 user unknown", True),  # about the recipient
    ("554 Message rejected: Email address is not verified", True),  # SES reject
    ("554 5.7.1 DKIM signature invalid", True),  # IP/authentication block
])
def test_data_phase_refusals_of_the_message_are_not_permanent(text, kept):
    reply = Reply.parse(text)
    mapped = data_reply(reply)
    assert (mapped == reply) is kept
    if not kept:
        for provider in (None, *PROVIDERS):
            assert classify(mapped, provider).bounce_type == "Transient"
        assert text in mapped.text


# ------------------------------------------------------------ 2. configuration set per pool
def test_send_record_has_the_configuration_set_of_the_pool_used(tmp_path, sink):
    """Warm-up cap 8/day (2 an hour): some messages overflow to the shared pool; each
    Send record names the configuration set its Delivery and the message carry."""
    emails = [f"u{i}@gmail.com" for i in range(6)]
    files = write_job(tmp_path, sink.port, emails, cap=8)
    inputs = runner.load_inputs(*files)
    runner.send(inputs, tmp_path / "state", tmp_path / "events.jsonl")
    events = read_events(tmp_path / "events.jsonl")
    by = {}
    for e in events:
        m = e["mail"]
        header = {h["name"]: h["value"] for h in m["headers"]}["X-SES-CONFIGURATION-SET"]
        assert m["tags"]["ses:configuration-set"] == [header]
        by.setdefault(m["destination"][0], {})[e["eventType"]] = header
    sent = {r: d for r, _, d in sink.handler.received}
    assert {v["Send"] for v in by.values()} == {"warmup-dedicated", "warmup-shared"}
    for address, kinds in by.items():
        assert kinds["Send"] == kinds["Delivery"]
        assert f"X-SES-CONFIGURATION-SET: {kinds['Send']}".encode() in sent[address]
    assert [e["eventType"] for e in events].count("Send") == len(emails)


# ------------------------------------------------------------ 3, 4. encoding, subject
def test_non_ascii_values_are_encoded_and_events_show_the_rendered_subject(tmp_path, sink):
    files = write_job(tmp_path, sink.port, ["ann@a.example.com"])
    files[1].write_text("email,first_name\nann@a.example.com,Chloé\n", encoding="utf-8")
    inputs = runner.load_inputs(*files)
    runner.send(inputs, tmp_path / "state", tmp_path / "events.jsonl")
    (_, _, data), = sink.handler.received
    head = data.split(b"\r\n\r\n")[0]
    assert head.isascii(), head
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert msg["Subject"] == "Hello Chloé"
    for e in read_events(tmp_path / "events.jsonl"):
        assert e["mail"]["commonHeaders"]["subject"] == "Hello Chloé"
        subject = {h["name"]: h["value"] for h in e["mail"]["headers"]}["Subject"]
        assert subject == "Hello Chloé"


def test_subject_in_events_is_the_rendered_one(tmp_path, sink):
    files = write_job(tmp_path, sink.port, ["ann@a.example.com"])
    inputs = runner.load_inputs(*files)
    runner.send(inputs, tmp_path / "state", tmp_path / "events.jsonl")
    subjects = {e["mail"]["commonHeaders"]["subject"]
                for e in read_events(tmp_path / "events.jsonl")}
    assert subjects == {"Hello N0"}


def test_message_file_that_is_not_utf8_is_refused(tmp_path):
    files = write_job(tmp_path, free_port(), ["a@x.example.com"])
    files[2].write_bytes(b"Subject: caf\xe9\n\nbody\n")
    result = cli(files, "--state", str(tmp_path / "state"))
    assert result.exit_code == 2, result.output
    assert "not UTF-8" in result.output and "line 1" in result.output
    files[1].write_bytes(b"email,first_name\na@x.example.com,Chlo\xe9\n")
    files[2].write_text("Subject: hi\n\nbody\n")
    result = cli(files, "--state", str(tmp_path / "state"))
    assert result.exit_code == 2 and "not UTF-8" in result.output, result.output


# ------------------------------------------------------------ 5. placeholders, Bcc
def test_unknown_placeholder_is_refused_naming_it_and_the_columns(tmp_path):
    files = write_job(tmp_path, free_port(), ["a@x.example.com"])
    files[2].write_text("Subject: Your {{plan}} plan\n\nHi {{first_name}}\n")
    result = cli(files, "--dry-run")
    assert result.exit_code == 2, result.output
    assert "{{plan}}" in result.output and "email, first_name" in result.output


def test_template_with_bcc_is_refused(tmp_path):
    files = write_job(tmp_path, free_port(), ["a@x.example.com"])
    files[2].write_text("Subject: hi\nBcc: boss@x.example.com\n\nbody\n")
    result = cli(files, "--dry-run")
    assert result.exit_code == 2, result.output
    assert "Bcc" in result.output and "line 2" in result.output


# ------------------------------------------------------------ 6. Ctrl-C
def test_ctrl_c_keeps_the_queue_and_exits_130(tmp_path, monkeypatch):
    files = write_job(tmp_path, free_port(), ["a@x.example.com"])

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "send", interrupted)
    result = cli(files, "--state", str(tmp_path / "state"))
    assert result.exit_code == 130, result.output
    assert "Aborted" not in result.output
    assert "queue is kept" in result.output and "same command" in result.output


# ------------------------------------------------------------ 7. plaintext AUTH
def test_plaintext_auth_to_a_remote_relay_is_refused_unless_allowed(tmp_path):
    relay = "{host: smtp.example.com, port: 25, tls: none, username_env: U, password_env: P}"
    files = write_job(tmp_path, 1, ["a@x.example.com"], relay=relay)
    result = cli(files, "--dry-run")
    assert result.exit_code == 2, result.output
    assert "in clear" in result.output and "allow_plaintext_auth" in result.output
    files = write_job(tmp_path, 1, ["a@x.example.com"], relay=relay,
                      extra="  allow_plaintext_auth: true\n")
    runner.load_inputs(*files)
    loopback = "{host: 127.0.0.1, port: 25, tls: none, username_env: U, password_env: P}"
    runner.load_inputs(*write_job(tmp_path, 1, ["a@x.example.com"], relay=loopback))


def test_relay_error_names_the_tls_mode_in_words(tmp_path):
    files = write_job(tmp_path, free_port(), ["a@x.example.com"])
    inputs = runner.load_inputs(*files)
    with pytest.raises(PeerError) as info:
        runner.send(inputs, tmp_path / "state", tmp_path / "events.jsonl")
    assert "without TLS" in str(info.value) and "none TLS" not in str(info.value)


# ------------------------------------------------------------ 8. dry run and state
def dry_rows(output):
    lines = output.splitlines()
    return {ln.split()[0]: [int(x) for x in ln.split()[1:]] for ln in lines[2:-1]}


def test_dry_run_starts_from_an_existing_state_read_only(tmp_path, sink):
    """A first job uses today's warm-up hour and bounces an address; the dry run of a
    second job starting from that state shows less warming capacity and the address
    suppressed, and leaves the state folder as it was."""
    state = tmp_path / "state"
    first = tmp_path / "first"
    first.mkdir()
    files = write_job(first, sink.port, ["550-gone@gmail.com"]
                      + [f"a{i}@gmail.com" for i in range(4)], cap=8)
    runner.send(runner.load_inputs(*files), state, first / "events.jsonl")
    assert "550-gone@gmail.com" in suppressed(state)

    files = write_job(tmp_path, sink.port, ["550-gone@gmail.com"]
                      + [f"b{i}@gmail.com" for i in range(5)], cap=8)
    fresh = cli(files, "--dry-run", "--state", str(tmp_path / "nowhere"))
    assert fresh.exit_code == 0, fresh.output
    assert "assumes a fresh state" in fresh.output
    assert not (tmp_path / "nowhere").exists()
    before = {p.name: p.read_bytes() for p in state.iterdir()}
    used = cli(files, "--dry-run", "--state", str(state))
    assert used.exit_code == 0, used.output
    assert "read only" in used.output
    assert {p.name: p.read_bytes() for p in state.iterdir()} == before
    f, u = dry_rows(fresh.output)["gmail"], dry_rows(used.output)["gmail"]
    # recipients, dedicated, shared, suppressed, later
    assert f[3] == 0 and u[3] == 1
    assert u[1] < f[1], (fresh.output, used.output)


def test_template_render_refuses_nothing_new_for_ascii():
    t = Template([("Subject", "Hi {{n}}"), ("X-Long", "a\n b")], "body\n")
    data = t.render({"n": "Ann"}, [])
    assert data == b"Subject: Hi Ann\r\nX-Long: a\r\n b\r\n\r\nbody\r\n"
    with pytest.raises(InputError):
        t.render({"n": "x\nBcc: v@example.com"}, [])
