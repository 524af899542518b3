"""A sending job: the engine driven on the wall clock through the SMTP transport.

The loop is the same as the simulation's (:class:`sessim.world.simulation.OptionWorld`):
``engine.submit`` / ``engine.restore``, ``engine.poll(now)``, the transport makes
each attempt, ``engine.on_outcomes``, ``engine.drain_events``. Here the clock is
``time.time``, attempts run concurrently on asyncio tasks, and every engine
event is turned into durable state (:mod:`.state`) and SES-format records
(:mod:`.ses_events`) committed together.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sessim.engine.core import SHARED_POOL, Engine, EngineConfig
from sessim.engine.events import (
    Attempt,
    Batch,
    Bounced,
    Delayed,
    Delivered,
    EngineEvent,
    Outcome,
    Rejected,
    Sent,
    Suppressed,
)
from sessim.engine.replies import Reply
from sessim.engine.warmup import WarmupPolicy
from sessim.errors import InputError
from sessim.scenario import Scenario
from sessim.send import ses_events as ses
from sessim.send.config import Sending
from sessim.send.recipients import Template, own_headers
from sessim.send.smtp_transport import Envelope, RelayUnavailable
from sessim.send.state import EventLog, Row, State

DEDICATED = "dedicated"
Send = Callable[[Envelope], Awaitable[Reply]]


@dataclass(slots=True)
class Message:
    """The engine batch payload of real sending: one outbox row."""

    row_id: int
    email: str
    fields: dict[str, str]


@dataclass(slots=True)
class Progress:
    sent: int = 0
    delivered: int = 0
    deferred: int = 0
    bounced: int = 0
    suppressed: int = 0
    rejected: int = 0
    queued: int = 0
    started: float = field(default_factory=time.time)

    def rate(self, now: float) -> float:
        return self.sent / max(now - self.started, 1e-6)

    def line(self, now: float) -> str:
        return (f"sent {self.sent}  delivered {self.delivered}  deferred {self.deferred}"
                f"  bounced {self.bounced}  suppressed {self.suppressed}"
                f"  queued {self.queued}  rate {self.rate(now):.1f}/s")


def warmup_start(scenario: Scenario, sending: Sending) -> float:
    day = sending.warmup_start or scenario.start_date
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp()


def warmup_policy(scenario: Scenario, sending: Sending) -> WarmupPolicy | None:
    """The warm-up policy of the option the sending section names, started on its day 1."""
    if sending.option is None:
        return None
    from sessim.world.simulation import warmup_policy as option_policy

    option = next((o for o in scenario.options if o.name == sending.option), None)
    if option is None:
        raise InputError(f"sending.option {sending.option!r} is not an option of the scenario"
                         f" (options: {[o.name for o in scenario.options]})")
    # No provider split of a pool-wide cap: real mail to all providers shares it.
    policy = option_policy(option, {})
    if policy is not None:
        policy.start = warmup_start(scenario, sending)
    return policy


def build_engine(scenario: Scenario, sending: Sending, now: float) -> Engine:
    """The engine for real sending: the scenario's retry schedule, expiry and shaping
    rules, the sending section's quota, rate and provider limits, no time quantum."""
    e = scenario.engine
    config = EngineConfig(
        routes={sending.configuration_sets[DEDICATED]: DEDICATED},
        daily_quota=sending.daily_quota or scenario.account.daily_quota,
        max_send_rate_per_s=sending.max_send_rate_per_s or scenario.account.max_send_rate_per_s,
        retry_schedule_s=tuple(sending.retry_schedule_s or e.retry_schedule_s),
        expiry_s=(sending.expiry_hours or e.expiry_hours) * 3600.0,
        shaping=e.shaping,
        rules=tuple(r.compiled() for r in e.shaping_rules),
        quantum_s=0.0,
        provider_max_per_hour=dict(sending.provider_max_per_hour))
    policy = warmup_policy(scenario, sending)
    return Engine(config, policies={DEDICATED: policy} if policy else {}, now=now)


def job_id(scenario: Scenario, recipients: bytes, message: bytes) -> str:
    """The job's fingerprint: same scenario name, recipients and message, same job."""
    h = hashlib.sha256(scenario.name.encode())
    for part in (recipients, message):
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:24]


def restore_counters(engine: Engine, state: State, sending: Sending, now: float) -> None:
    """The suppression list and the last day's quota and warm-up counters of ``state``
    into ``engine`` (reads only)."""
    for address, reason in state.suppressed():
        engine.suppression.add(sending.stream, reason, 1, address)
    for _, _, hour, count in state.counters("quota", now - 86400.0):
        engine.quota.add(hour * 3600.0, count)
    policy = engine.policies.get(DEDICATED)
    if policy is not None:
        for _, provider, hour, count in state.counters("warmup", now - 86400.0):
            policy.record(provider, hour * 3600.0, count)


class SendJob:
    """Run one job to completion (or until the relay fails)."""

    def __init__(self, scenario: Scenario, sending: Sending, template: Template, job: str,
                 state: State, log: EventLog, send: Send,
                 sign: Callable[[bytes], bytes] | None = None,
                 clock: Callable[[], float] = time.time,
                 progress: Callable[[Progress], None] | None = None,
                 engine: Engine | None = None, max_inflight: int | None = None) -> None:
        self.s, self.sending, self.template, self.job = scenario, sending, template, job
        self.state, self.log, self.send, self.sign = state, log, send, sign
        self.clock, self.on_progress = clock, progress
        self.engine = engine or build_engine(scenario, sending, clock())
        self.rows: dict[int, Row] = {}
        self.progress = Progress(started=clock())
        self.provider_slots = {p: asyncio.Semaphore(n)
                               for p, n in sending.provider_connections.items()}
        self.domain = sending.envelope_from.rsplit("@", 1)[-1]
        self.failure: RelayUnavailable | None = None
        self._warmup: Counter = Counter()
        self._send_logged: set[int] = set()
        self.max_inflight = max_inflight or sending.relay.connections

    # ------------------------------------------------------------ set-up
    def restore(self) -> int:
        """Suppression list, quota and warm-up counters, and the queued messages, from
        the state database into the engine. Returns the number of queued messages."""
        engine, now = self.engine, self.clock()
        restore_counters(engine, self.state, self.sending, now)
        cs = self.sending.configuration_sets[DEDICATED]
        n = 0
        for row in self.state.pending(self.job):
            self.rows[row.id] = row
            if row.send_logged:
                self._send_logged.add(row.id)
            batch = Batch(self.sending.stream, row.provider, cs, 1, row.email, row.message_id,
                          Message(row.id, row.email, row.fields))
            engine.restore(batch, row.next_at, row.attempts, row.first_at or now,
                           row.pool, row.accepted)
            n += 1
        self.progress.queued = n
        return n

    # ------------------------------------------------------------ loop
    async def run(self) -> Progress:
        """Send until the queue is empty; raises :class:`RelayUnavailable` (after
        committing everything finished) if the relay cannot be used."""
        engine = self.engine
        inflight: set[asyncio.Task] = set()
        last_progress = self.clock()
        while True:
            now = self.clock()
            # Poll only with a connection free, so an attempt is taken from the rate
            # bucket when it can go out (the relay sees the engine's pace).
            if self.failure is None and len(inflight) < self.max_inflight:
                for attempt in engine.poll(now, self.max_inflight - len(inflight)):
                    self._count_attempt(attempt, now)
                    inflight.add(asyncio.create_task(self._attempt(attempt)))
            if not inflight:
                self._flush()
            if self.on_progress and now - last_progress >= 1.0:
                self.on_progress(self.progress)
                last_progress = now
            if not inflight and (self.failure is not None or engine.next_wakeup() is None):
                break
            wake = engine.next_wakeup()
            wait = 1.0 if wake is None or self.failure else min(1.0, max(0.0, wake - now))
            if len(inflight) >= self.max_inflight:
                wait = 1.0
            if inflight:
                done, inflight = await asyncio.wait(inflight, timeout=wait,
                                                    return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    attempt, reply = task.result()
                    if reply is not None:
                        engine.on_outcomes(self.clock(), attempt, [Outcome(1, reply)])
                # Commit outcomes before anything new goes out: after a crash, only
                # the attempts on the wire can be sent again.
                self._flush()
            elif wait > 0:
                await asyncio.sleep(wait)
        self._flush()
        if self.on_progress:
            self.on_progress(self.progress)
        if self.failure is not None:
            raise self.failure
        return self.progress

    async def _attempt(self, attempt: Attempt) -> tuple[Attempt, Reply | None]:
        msg: Message = attempt.batch.payload
        if self.failure is not None:
            return attempt, None
        pool_key = DEDICATED if attempt.pool == DEDICATED else "shared"
        config_set = self.sending.configuration_sets[pool_key]
        row = self.rows[msg.row_id]
        data = self.template.render(msg.fields, own_headers(
            msg.email, self.sending.from_header, row.message_id, self.clock(), config_set,
            checked=True))
        if self.sign is not None:
            data = self.sign(data)
        envelope = Envelope(self.sending.envelope_from, msg.email, data)
        slot = self.provider_slots.get(attempt.batch.provider)
        try:
            if slot is None:
                reply = await self.send(envelope)
            else:
                async with slot:
                    reply = await self.send(envelope)
        except RelayUnavailable as exc:
            self.failure = self.failure or exc
            return attempt, None
        return attempt, reply

    def _count_attempt(self, attempt: Attempt, now: float) -> None:
        if attempt.pool == DEDICATED and DEDICATED in self.engine.policies:
            self._warmup[attempt.batch.provider, int(now // 3600)] += attempt.count

    # ------------------------------------------------------------ durable results
    def _flush(self) -> None:
        events = self.engine.drain_events()
        if not events and not self._warmup:
            return
        with self.state.transaction():
            for (provider, hour), count in self._warmup.items():
                self.state.count("warmup", DEDICATED, provider, hour * 3600.0, count)
            self._warmup.clear()
            for event in events:
                self._record(event)
            self.log.write()

    def _info(self, batch: Batch, pool: str | None, first: float | None) -> ses.MailInfo:
        msg: Message = batch.payload
        row = self.rows[msg.row_id]
        key = "shared" if pool == SHARED_POOL else DEDICATED
        return ses.MailInfo(row.message_id, self.sending.envelope_from,
                            self.sending.from_header, msg.email,
                            self.template.render_subject(msg.fields),
                            self.sending.configuration_sets[key],
                            first if first is not None else (row.first_at or 0.0),
                            self.domain)

    def _record(self, event: EngineEvent) -> None:
        st, log, p, mta = self.state, self.log, self.progress, self.sending.reporting_mta
        batch = event.attempt.batch if hasattr(event, "attempt") else getattr(
            event, "batch", None)
        if batch is None or not isinstance(batch.payload, Message):
            return  # not this job's mail (e.g. simulated cohorts of a shared engine)
        if isinstance(event, Sent):
            # The Send record waits for the first attempt's outcome: only then is the
            # pool (and so the configuration set) known.
            msg: Message = event.batch.payload
            st.accepted(msg.row_id, event.time)
            st.count("quota", "", "", event.time, event.count)
            p.sent += 1
        elif isinstance(event, Suppressed):
            msg = event.batch.payload
            st.final(msg.row_id, "suppressed", event.time)
            st.count("quota", "", "", event.time, event.count)
            log.add(ses.suppressed_record(self._info(event.batch, None, event.time),
                                          event.time, mta))
            p.suppressed += 1
            p.queued -= 1
        elif isinstance(event, (Delivered, Delayed, Bounced, Rejected)):
            a = event.attempt
            msg = a.batch.payload
            info = self._info(a.batch, a.pool, a.first_submitted)
            if msg.row_id not in self._send_logged:
                # First outcome of the message: its Send record (with the pool that
                # carried it) is committed with it, so exactly once.
                log.add(ses.send_record(info))
                st.send_logged(msg.row_id)
                self._send_logged.add(msg.row_id)
            if isinstance(event, Delivered):
                st.final(msg.row_id, "delivered", event.time)
                log.add(ses.delivery_record(info, event.time, event.reply, mta))
                p.delivered += 1
                p.queued -= 1
            elif isinstance(event, Delayed):
                st.retry(msg.row_id, a.attempt_no, event.retry_at, a.pool)
                expiry = a.first_submitted + self.engine.config.expiry_s
                log.add(ses.delay_record(info, event.time, event.classification, event.reply,
                                         expiry))
                p.deferred += 1
            elif isinstance(event, Bounced):
                st.final(msg.row_id, "bounced", event.time)
                c = event.classification
                if c.bounce_type == "Permanent" and not c.ip_block:
                    st.suppress(msg.email, "BOUNCE", event.time)
                log.add(ses.bounce_record(info, event.time, c, event.reply, mta))
                p.bounced += 1
                p.queued -= 1
            else:
                st.final(msg.row_id, "rejected", event.time)
                log.add(ses.reject_record(info, event.reply))
                p.rejected += 1
                p.queued -= 1
