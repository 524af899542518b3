"""Library entry points behind ``sessim send``: check the inputs, load the outbox,
run the job, or show the day's routing (dry run)."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sessim.engine.core import SHARED_POOL
from sessim.engine.events import Batch, Outcome, Suppressed
from sessim.engine.replies import Reply
from sessim.errors import InputError
from sessim.scenario import Scenario, load_scenario
from sessim.send.config import Sending
from sessim.send.job import (
    DEDICATED,
    Progress,
    SendJob,
    build_engine,
    job_id,
    restore_counters,
)
from sessim.send.recipients import (
    BadRow,
    Recipient,
    Template,
    check_from,
    check_lines,
    own_headers,
    read_recipients,
    read_template,
    recipient_columns,
    valid_address,
)
from sessim.send.smtp_transport import SmtpTransport, credentials
from sessim.send.state import EventLog, State


@dataclass(frozen=True, slots=True)
class Inputs:
    scenario: Scenario
    sending: Sending
    template: Template
    recipients: list[Recipient]
    bad_rows: list[BadRow]
    job: str


def load_inputs(scenario_path: str | Path, recipients_path: str | Path,
                message_path: str | Path, on_bad_row: str = "abort") -> Inputs:
    """Read and check everything before anything is sent (:class:`InputError` if bad)."""
    scenario = load_scenario(scenario_path)
    if scenario.sending is None:
        raise InputError(f"{scenario_path}: the scenario has no 'sending' section")
    sending = scenario.sending
    check_from(sending.from_header)
    for address in (sending.envelope_from,):
        if not valid_address(address):
            raise InputError(f"{scenario_path}: sending.envelope_from: invalid address"
                             f" {address!r}")
    check_plaintext_auth(sending)
    template = read_template(message_path)
    columns = recipient_columns(recipients_path)
    unknown = sorted(template.fields() - set(columns))
    if unknown:
        names = ", ".join("{{" + u + "}}" for u in unknown)
        raise InputError(f"{message_path}: placeholder(s) {names} have no column in"
                         f" {recipients_path} (columns: {', '.join(columns)})")
    good: list[Recipient] = []
    bad: list[BadRow] = []
    seen: dict[str, int] = {}
    for row in read_recipients(recipients_path):
        if isinstance(row, Recipient) and row.email.lower() in seen:
            row = BadRow(row.line, f"duplicate of line {seen[row.email.lower()]}"
                                   f" ({row.email})")
        if isinstance(row, BadRow):
            if on_bad_row == "abort":
                raise InputError(f"{recipients_path}: {row} (use --on-bad-row skip to skip"
                                 " bad rows)")
            bad.append(row)
            continue
        seen[row.email.lower()] = row.line
        good.append(row)
    check_rendered(sending, template, good, message_path, recipients_path)
    job = job_id(scenario, Path(recipients_path).read_bytes(), Path(message_path).read_bytes())
    return Inputs(scenario, sending, template, good, bad, job)


def check_plaintext_auth(sending: Sending) -> None:
    """Refuse credentials sent in clear (``tls: none``) to a relay that is not on this
    machine, unless ``sending.allow_plaintext_auth`` says so."""
    relay = sending.relay
    if relay.tls != "none" or not (relay.username_env or relay.password_env):
        return
    if _loopback(relay.host) or sending.allow_plaintext_auth:
        return
    raise InputError(f"sending.relay: tls: none with a user name and password would send the"
                     f" credentials in clear to {relay.host}; use tls: starttls or implicit,"
                     " or set sending.allow_plaintext_auth: true to allow it")


def _loopback(host: str) -> bool:
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_rendered(sending: Sending, template: Template, recipients: list[Recipient],
                   message_path: str | Path, recipients_path: str | Path) -> None:
    """Render every recipient's message before anything is queued: a filled placeholder
    must not make a line longer than 998 octets or put CR/LF into a header."""
    cs = max(sending.configuration_sets.values(), key=len)
    domain = sending.envelope_from.rsplit("@", 1)[-1]
    message_id = "x" * 25 + f"-00000000@{domain}"
    for r in recipients:
        try:
            data = template.render(r.fields, own_headers(r.email, sending.from_header,
                                                         message_id, 0.0, cs, checked=True))
            check_lines(data, f"{message_path} rendered for line {r.line} of"
                              f" {recipients_path} ({r.email})")
        except InputError as exc:
            if str(exc).startswith(str(message_path)):
                raise
            raise InputError(f"{message_path} rendered for line {r.line} of"
                             f" {recipients_path} ({r.email}): {exc}") from None


def load_outbox(inputs: Inputs, state: State, now: float) -> None:
    """Put the job's recipients in the outbox, once (a rerun resumes the same job)."""
    if state.job_loaded(inputs.job):
        return
    sending = inputs.sending
    domain = sending.envelope_from.rsplit("@", 1)[-1]
    state.load_job(inputs.job, ((r.line, r.email, r.fields, sending.provider_of(r.email),
                                 f"{inputs.job[:16]}-{r.line:08d}@{domain}")
                                for r in inputs.recipients), now)


def send(inputs: Inputs, state_dir: str | Path, events_path: str | Path | None = None,
         progress: Callable[[Progress], None] | None = None,
         environ: dict[str, str] | None = None) -> tuple[Progress, dict[str, int]]:
    """Run the job to completion; returns the progress counters and the outbox states."""
    from sessim.send.dkim import Signer

    creds = credentials(inputs.sending.relay, environ)
    signer = Signer(inputs.sending.dkim) if inputs.sending.dkim else None
    state = State(state_dir)
    log = EventLog(events_path or Path(state_dir) / "events.jsonl", state)
    try:
        load_outbox(inputs, state, time.time())

        async def main() -> Progress:
            transport = SmtpTransport(inputs.sending.relay, creds)
            job = SendJob(inputs.scenario, inputs.sending, inputs.template, inputs.job, state,
                          log, transport.send, signer.sign if signer else None,
                          progress=progress)
            job.restore()
            try:
                return await job.run()
            finally:
                await transport.close()

        result = _run(main())
        return result, state.counts(inputs.job)
    finally:
        log.close()
        state.close()


def _run(coro):
    """Run on uvloop when it is installed (optional, faster), else on asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def routing_today(inputs: Inputs, now: float | None = None,
                  state_dir: str | Path | None = None) -> tuple[int | None, list[dict]]:
    """Dry run: the job played on the same engine with a simulated clock and a peer
    that accepts everything. Per provider: recipients, how many the warming pool
    carries today, how many overflow to the shared pool, how many wait for tomorrow.
    With ``state_dir`` (an existing state folder, opened read-only), the play starts
    from its suppression list, quota and warm-up counters, and only the job's messages
    still queued there (all of them if the job was not started); without, from a fresh
    state. Returns the warm-up day (None without warm-up) and the rows."""
    now = time.time() if now is None else now
    engine = build_engine(inputs.scenario, inputs.sending, now)
    cs = inputs.sending.configuration_sets[DEDICATED]
    emails = [r.email for r in inputs.recipients]
    if state_dir is not None:
        state = State.read_only(state_dir)
        try:
            restore_counters(engine, state, inputs.sending, now)
            if state.job_loaded(inputs.job):
                emails = [row.email for row in state.pending(inputs.job)]
        finally:
            state.close()
    totals: Counter = Counter()
    for email in emails:
        provider = inputs.sending.provider_of(email)
        totals[provider] += 1
        engine.submit(now, Batch(inputs.sending.stream, provider, cs, 1, email))
    day_end = now - now % 86400.0 + 86400.0
    carried: Counter = Counter()
    ok = [Outcome(1, Reply(250, "2.0.0", "OK"))]
    t = now
    suppressed: Counter = Counter()
    while t < day_end:
        for attempt in engine.poll(t):
            carried[attempt.batch.provider, attempt.pool] += 1
            engine.on_outcomes(t, attempt, ok)
        for event in engine.drain_events():
            if isinstance(event, Suppressed):
                suppressed[event.batch.provider] += event.count
        wake = engine.next_wakeup()
        if wake is None:
            break
        t = max(wake, t + 1e-6)
    rows = []
    for provider, total in sorted(totals.items()):
        dedicated, shared = carried[provider, DEDICATED], carried[provider, SHARED_POOL]
        gone = suppressed[provider]
        rows.append({"provider": provider, "recipients": total, DEDICATED: dedicated,
                     "shared": shared, "suppressed": gone,
                     "later": total - dedicated - shared - gone})
    policy = engine.policies.get(DEDICATED)
    return (policy.day(now) if policy else None), rows
