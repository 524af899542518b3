"""Fault matrix of real sending against a scripted loopback SMTP server (aiosmtpd).

Each test states a fault and checks the SES-format events, the suppression list
and the outbox state that must follow it.
"""

from __future__ import annotations

import pytest
from send_sink import (
    Handler,
    Sink,
    authenticator,
    make_cert,
    read_events,
    server_context,
    write_job,
)

from sessim.errors import PeerError
from sessim.send import runner
from sessim.send.state import State


@pytest.fixture
def sink():
    handler = Handler(slow_s=1.5)
    controller = Sink(handler)
    controller.start()
    yield controller
    controller.stop()


def run(tmp_path, port, emails, **kw):
    files = write_job(tmp_path, port, emails, **kw)
    inputs = runner.load_inputs(*files)
    progress, states = runner.send(inputs, tmp_path / "state", tmp_path / "events.jsonl")
    return read_events(tmp_path / "events.jsonl"), states


def types(events, email):
    return [e["eventType"] for e in events if e["mail"]["destination"][0] == email]


def suppressed(tmp_path):
    state = State(tmp_path / "state")
    try:
        return dict(state.suppressed())
    finally:
        state.close()


def test_clean_delivery_fills_placeholders_and_writes_send_and_delivery(tmp_path, sink):
    """Each recipient: one Send, one Delivery; placeholders filled; config-set header set."""
    events, states = run(tmp_path, sink.port, ["ann@a.example.com", "bob@b.example.com"])
    assert states == {"delivered": 2}
    assert types(events, "ann@a.example.com") == ["Send", "Delivery"]
    data = {r: d for r, _, d in sink.handler.received}
    assert b"Subject: Hello N0" in data["ann@a.example.com"]
    assert b"X-SES-CONFIGURATION-SET: warmup-dedicated" in data["ann@a.example.com"]
    delivery = [e for e in events if e["eventType"] == "Delivery"][0]
    assert set(delivery["delivery"]) == {"timestamp", "processingTimeMillis", "recipients",
                                         "smtpResponse", "reportingMTA"}
    assert delivery["delivery"]["smtpResponse"].startswith("250")


@pytest.mark.parametrize("code, delay_type", [
    ("451", "RecipientServerError"), ("452", "MailboxFull"), ("454", "SendingDeferral")])
def test_transient_replies_are_retried_then_delivered(tmp_path, sink, code, delay_type):
    """451 / 452 / 454 per recipient: DeliveryDelay with SES's delayType, then Delivery;
    nothing suppressed."""
    email = f"{code}x2-carl@c.example.com"
    events, states = run(tmp_path, sink.port, [email, "ok@c.example.com"])
    assert types(events, email) == ["Send", "DeliveryDelay", "DeliveryDelay", "Delivery"]
    delay = [e for e in events if e["eventType"] == "DeliveryDelay"][0]["deliveryDelay"]
    assert delay["delayType"] == delay_type
    assert delay["delayedRecipients"][0]["diagnosticCode"].startswith(f"smtp; {code}")
    assert states == {"delivered": 2}
    assert suppressed(tmp_path) == {}


def test_550_bounces_once_and_suppresses_then_rerun_is_suppressed(tmp_path, sink):
    """550 5.1.1: one Permanent bounce, the address is suppressed; a new job to it is
    reported as an OnAccountSuppressionList bounce and not sent."""
    events, states = run(tmp_path, sink.port, ["550-dan@d.example.com", "eve@d.example.com"])
    bounce = [e for e in events if e["eventType"] == "Bounce"]
    assert len(bounce) == 1
    b = bounce[0]["bounce"]
    assert (b["bounceType"], b["bounceSubType"]) == ("Permanent", "General")
    assert b["bouncedRecipients"][0]["status"] == "5.1.1"
    assert suppressed(tmp_path) == {"550-dan@d.example.com": "BOUNCE"}
    assert states == {"bounced": 1, "delivered": 1}
    # A second job (another recipients file) in the same state folder.
    (tmp_path / "second").mkdir()
    files = write_job(tmp_path / "second", sink.port, ["550-dan@d.example.com"])
    runner.send(runner.load_inputs(*files), tmp_path / "state", tmp_path / "events.jsonl")
    last = read_events(tmp_path / "events.jsonl")[-1]
    assert last["bounce"]["bounceSubType"] == "OnAccountSuppressionList"
    assert sum(r == "550-dan@d.example.com" for r, _, _ in sink.handler.received) == 0


def test_persistent_deferral_expires_as_transient_bounce(tmp_path, sink):
    """Deferred past expiry: a Transient bounce, not suppressed."""
    events, states = run(tmp_path, sink.port, ["454-fay@f.example.com"], expiry=0.0001)
    assert types(events, "454-fay@f.example.com")[-1] == "Bounce"
    assert events[-1]["bounce"]["bounceType"] == "Transient"
    assert suppressed(tmp_path) == {}
    assert states == {"bounced": 1}


def test_disconnect_in_the_middle_of_data_is_retried(tmp_path, sink):
    """Connection dropped during DATA: DeliveryDelay (TransientCommunicationFailure), then
    delivered once on a new connection."""
    events, states = run(tmp_path, sink.port, ["dropx1-gus@g.example.com"])
    assert types(events, "dropx1-gus@g.example.com") == ["Send", "DeliveryDelay", "Delivery"]
    delay = [e for e in events if e["eventType"] == "DeliveryDelay"][0]
    assert delay["deliveryDelay"]["delayType"] == "TransientCommunicationFailure"
    assert sink.handler.drops == 1
    assert states == {"delivered": 1}


def test_421_at_connect_is_a_deferral(tmp_path, sink):
    """421 on connection: DeliveryDelay, retried on a new connection, delivered."""
    sink.handler.refuse_connections = 1
    events, states = run(tmp_path, sink.port, ["hal@h.example.com"])
    assert types(events, "hal@h.example.com") == ["Send", "DeliveryDelay", "Delivery"]
    assert states == {"delivered": 1}


def test_server_slower_than_the_timeout(tmp_path, sink):
    """DATA answered after the timeout: a DeliveryDelay, then delivered (the slow first
    copy may also arrive: a message in flight may be sent twice)."""
    events, states = run(tmp_path, sink.port, ["slowx1-ivy@i.example.com"])
    assert types(events, "slowx1-ivy@i.example.com") == ["Send", "DeliveryDelay", "Delivery"]
    assert "timed out" in [e for e in events if e["eventType"] == "DeliveryDelay"][0][
        "deliveryDelay"]["delayedRecipients"][0]["diagnosticCode"]
    assert states == {"delivered": 1}


def test_unreachable_server_keeps_the_queue(tmp_path):
    """Nobody listening: a PeerError naming the relay; every message still queued."""
    from send_sink import free_port
    files = write_job(tmp_path, free_port(), ["jo@j.example.com", "kim@j.example.com"])
    inputs = runner.load_inputs(*files)
    with pytest.raises(PeerError, match="127.0.0.1"):
        runner.send(inputs, tmp_path / "state")
    state = State(tmp_path / "state")
    assert state.counts(inputs.job) == {"queued": 2}
    state.close()


def test_tls_handshake_failure_keeps_the_queue(tmp_path):
    """Implicit TLS with a certificate the client does not trust: a clear error, queue kept."""
    cert, key = make_cert(tmp_path)
    other, _ = make_cert(tmp_path, "other")
    controller = Sink(Handler(), ssl_context=server_context(cert, key))
    controller.start()
    try:
        relay = (f"{{host: 127.0.0.1, port: {controller.port}, tls: implicit,"
                 f" ca_file: '{other}', timeout_s: 2}}")
        files = write_job(tmp_path, controller.port, ["lee@l.example.com"], relay=relay)
        inputs = runner.load_inputs(*files)
        with pytest.raises(PeerError, match="certificate|TLS|SSL"):
            runner.send(inputs, tmp_path / "state")
        state = State(tmp_path / "state")
        assert state.counts(inputs.job) == {"queued": 1}
        state.close()
        assert controller.handler.received == []
    finally:
        controller.stop()


@pytest.mark.parametrize("mode", ["starttls", "implicit"])
def test_tls_with_verified_certificate_and_auth_from_env(tmp_path, mode, monkeypatch):
    """STARTTLS and implicit TLS verified against the given CA file; AUTH with credentials
    from the environment; the password appears in no event and no state."""
    cert, key = make_cert(tmp_path)
    ctx = server_context(cert, key)
    # aiosmtpd does not see implicit TLS as TLS for AUTH: the socket is TLS anyway.
    kwargs = ({"ssl_context": ctx, "auth_require_tls": False} if mode == "implicit" else
              {"tls_context": ctx, "require_starttls": True, "auth_require_tls": True})
    controller = Sink(Handler(), authenticator=authenticator("user1", "s3cret-pw"),
                      auth_required=True, **kwargs)
    controller.start()
    monkeypatch.setenv("T_SMTP_USER", "user1")
    monkeypatch.setenv("T_SMTP_PASS", "s3cret-pw")
    try:
        relay = (f"{{host: 127.0.0.1, port: {controller.port}, tls: {mode},"
                 f" ca_file: '{cert}', username_env: T_SMTP_USER,"
                 f" password_env: T_SMTP_PASS, timeout_s: 2}}")
        events, states = run(tmp_path, controller.port, ["max@m.example.com"], relay=relay)
        assert states == {"delivered": 1}
        assert len(controller.handler.received) == 1
        for path in (tmp_path / "events.jsonl", *(tmp_path / "state").iterdir()):
            assert b"s3cret-pw" not in path.read_bytes()
    finally:
        controller.stop()


def test_rate_limit_is_never_exceeded_at_the_sink(tmp_path, sink):
    """max_send_rate_per_s = 40 (token bucket, 1 s burst): over any window of w seconds the
    sink receives at most 40 * w + 40 messages, plus the 4 that may be in flight on the
    connections; 120 messages take at least 2 s."""
    emails = [f"r{i}@rate.example.com" for i in range(120)]
    run(tmp_path, sink.port, emails, rate=40)
    times = sorted(t for _, t, _ in sink.handler.received)
    assert len(times) == 120
    assert times[-1] - times[0] >= 1.9, "rate limit not applied"
    for w in (0.25, 0.5, 1.0):
        worst = max(sum(1 for t in times[i:] if t - start <= w)
                    for i, start in enumerate(times))
        assert worst <= 40 * w + 40 + 4, f"{worst} messages within {w} s at 40/s"
