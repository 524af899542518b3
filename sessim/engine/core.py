"""The sending engine: decides what to send, when, and through which pool.

Sans-I/O in the manner of h11: the engine reads no clock and touches no socket.
Its caller feeds it the time and what happened, and acts on its answers:

    engine.submit(now, batch)              # mail to send
    for attempt in engine.poll(now):       # attempts to make now
        outcomes = transport(attempt)      # the caller's I/O: SMTP, or a simulated provider
        engine.on_outcomes(now, attempt, outcomes)
    engine.next_wakeup()                   # when to call poll again
    engine.drain_events()                  # what happened, as flat records

In order, for each message the engine applies: the account suppression list,
the account's 24-hour quota and max send rate (pacing, never dropping), routing
from configuration set to pool, the pool's warm-up cap (overflow to the shared
pool or hold), adaptive per-provider shaping (reply-regex rules that suspend or
slow a pool's traffic to a provider), then classifies each reply: deliver,
retry on the schedule until expiry, or bounce (and suppress hard bounces).

Simulation submits cohorts (``count`` anonymous messages); real sending submits
one addressed message per batch. The same code path serves both.
"""

from __future__ import annotations

import heapq
import itertools
import math
import re
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from sessim.engine.events import (
    Attempt,
    Batch,
    Bounced,
    Delayed,
    Delivered,
    EngineEvent,
    Held,
    Outcome,
    Overflowed,
    Rejected,
    Sent,
    ShapingChanged,
    Suppressed,
)
from sessim.engine.limits import RollingWindow, Suppression, TokenBucket
from sessim.engine.replies import Classification, Reply, classify
from sessim.engine.warmup import WarmupPolicy
from sessim.errors import EngineMisuse

SHARED_POOL = "ses-shared-pool"
# The relay itself refused the message (e.g. the SES account is paused): a Reject.
_EXPIRED_GENERAL = Classification("Bounce", "Transient", "General", None, False, False,
                                  "expired")
_EXPIRED_FULL = Classification("Bounce", "Transient", "MailboxFull", None, False, False,
                               "expired")
RELAY_REJECT = re.compile(r"^554 .*(Message rejected|Sending paused|suspended)", re.I)


@dataclass(frozen=True, slots=True)
class Rule:
    """Shaping automation: when ``regex`` matches ``threshold`` replies within
    ``window_s``, ``suspend`` the pool's traffic to the provider for
    ``duration_s``, or ``slow`` it to ``factor`` x what was accepted in the last
    hour (KumoMTA-style; defaults in the scenario's ``engine.shaping_rules``)."""

    name: str
    regex: re.Pattern[str]
    action: str
    duration_s: float
    factor: float = 1.0
    threshold: int = 1
    window_s: float = 3600.0
    provider: str | None = None
    # A slowed limit never drops below this, so the pool keeps probing the provider
    # instead of starving itself when an hour accepted nothing.
    min_per_hour: float = 60.0


@dataclass(frozen=True, slots=True)
class EngineConfig:
    routes: dict[str, str]  # configuration set -> pool; others use the shared pool
    daily_quota: int
    max_send_rate_per_s: float
    retry_schedule_s: tuple[float, ...] = (5.0, 10.0, 30.0, 1200.0)
    expiry_s: float = 72 * 3600.0
    shaping: bool = True
    rules: tuple[Rule, ...] = ()
    # Simulation: every time the engine schedules is rounded up to the clock's tick,
    # and retries of equal cohorts merge; 0 for real sending.
    quantum_s: float = 0.0
    provider_max_per_hour: dict[str, float] = field(default_factory=dict)
    list_sizes: dict[str, int | None] = field(default_factory=dict)


class _Pending:
    """A queue entry: ``count`` messages of ``batch`` due at ``due``."""

    __slots__ = ("due", "batch", "count", "pool", "attempts", "first", "accepted")

    def __init__(self, due: float, batch: Batch, count: int, pool: str | None, attempts: int,
                 first: float, accepted: bool) -> None:
        self.due, self.batch, self.count, self.pool = due, batch, count, pool
        self.attempts, self.first, self.accepted = attempts, first, accepted


class _Shaping:
    __slots__ = ("suspended_until", "limit", "limit_until", "bucket", "matches", "accepted")

    def __init__(self) -> None:
        self.suspended_until = -math.inf
        self.limit: float | None = None
        self.limit_until = -math.inf
        self.bucket: TokenBucket | None = None
        self.matches: dict[str, deque[tuple[float, int]]] = defaultdict(deque)
        self.accepted = RollingWindow(3600.0)


class Engine:
    """One SES account's sending engine (see the module docstring)."""

    def __init__(self, config: EngineConfig, policies: dict[str, WarmupPolicy] | None = None,
                 now: float = 0.0, suppression: Suppression | None = None) -> None:
        self.config = config
        self.policies = policies or {}
        self.suppression = suppression or Suppression(config.list_sizes)
        burst = config.max_send_rate_per_s * max(1.0, config.quantum_s)
        self.rate = TokenBucket(config.max_send_rate_per_s, burst, now)
        self.quota = RollingWindow(86400.0)
        self._heap: list[tuple[float, int, _Pending]] = []
        self._slots: dict[tuple, _Pending] = {}
        self._seq = itertools.count()
        self._ids = itertools.count(1)
        self._shaping: dict[tuple[str, str], _Shaping] = defaultdict(_Shaping)
        self._events: list[EngineEvent] = []
        self._static: dict[tuple[str, str], TokenBucket] = {}

    # ------------------------------------------------------------ inputs
    def submit(self, now: float, batch: Batch) -> None:
        """Accept mail for sending; it is considered at the next :meth:`poll`."""
        self._queue(_Pending(now, batch, batch.count, None, 0, now, False))

    def restore(self, batch: Batch, due: float, attempts: int, first_submitted: float,
                pool: str | None = None, accepted: bool | None = None) -> None:
        """Re-queue mail read back from durable state after a restart: due at ``due``,
        with ``attempts`` already made since ``first_submitted``. ``accepted`` (default:
        any attempt made) means the account already took it: no second Sent."""
        self._queue(_Pending(due, batch, batch.count, pool, attempts, first_submitted,
                             attempts > 0 if accepted is None else accepted))

    def on_outcomes(self, now: float, attempt: Attempt, outcomes: Sequence[Outcome]) -> None:
        """Feed back what the receiving side answered for each message of an attempt."""
        total = sum(o.count for o in outcomes)
        if total != attempt.count:
            raise EngineMisuse(f"attempt {attempt.id} carried {attempt.count} messages but"
                               f" outcomes account for {total}")
        provider = attempt.batch.provider
        shaping = self._shaping[attempt.pool, provider]
        # Deliveries first, so that a "slow" rule sees what this attempt got accepted.
        for outcome in sorted(outcomes, key=lambda o: o.reply.code >= 300):
            if outcome.count == 0:
                continue
            result = classify(outcome.reply, provider)
            if outcome.reply.code == 554 and RELAY_REJECT.match(str(outcome.reply)):
                self._events.append(Rejected(now, attempt, outcome.count, outcome.reply))
            elif result.outcome == "Delivery":
                shaping.accepted.add(now, outcome.count)
                delay = now - attempt.first_submitted
                self._events.append(Delivered(now, attempt, outcome.count, delay, outcome.reply))
            elif result.outcome == "DeliveryDelay":
                self._retry(now, attempt, outcome, result)
            else:
                self._bounce(now, attempt, outcome.count, result, outcome.reply)
            if result.throttle:
                policy = self.policies.get(attempt.pool)
                if policy is not None:
                    policy.throttled(provider, now)
                if self.config.shaping:
                    self._apply_rules(now, attempt.pool, provider, str(outcome.reply),
                                      outcome.count, shaping)

    def complaint(self, now: float, stream: str, count: int = 1,
                  recipient: str | None = None) -> None:
        """A feedback-loop complaint: the addresses are suppressed (reason COMPLAINT)."""
        self.suppression.add(stream, "COMPLAINT", count, recipient)

    # ------------------------------------------------------------ outputs
    def poll(self, now: float, limit: int | None = None) -> list[Attempt]:
        """The attempts to make now; everything not sendable yet stays queued.
        ``limit``: consider at most that many queue entries (a caller with a fixed
        number of connections takes only what it can send now)."""
        due: list[_Pending] = []
        while self._heap and self._heap[0][0] <= now and (limit is None or len(due) < limit):
            _, _, item = heapq.heappop(self._heap)
            self._slots.pop(self._slot_key(item), None)
            due.append(item)
        attempts: list[Attempt] = []
        for item in due:
            if not item.accepted and not self._admit(now, item):
                continue
            pool = item.pool or self.config.routes.get(item.batch.config_set, SHARED_POOL)
            self._route(now, item, pool, attempts)
        return attempts

    def next_wakeup(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def drain_events(self) -> list[EngineEvent]:
        events, self._events = self._events, []
        return events

    def queued(self) -> int:
        """Messages waiting in the queue (not yet delivered, bounced or rejected)."""
        return sum(item.count for _, _, item in self._heap)

    def queued_by_provider(self) -> dict[str, int]:
        """Messages waiting in the queue, per provider."""
        out: dict[str, int] = {}
        for _, _, item in self._heap:
            out[item.batch.provider] = out.get(item.batch.provider, 0) + item.count
        return out

    # ------------------------------------------------------------ steps
    def _admit(self, now: float, item: _Pending) -> bool:
        """Suppression, quota and rate for mail not yet accepted by the account."""
        batch = item.batch
        suppressed, reason = self.suppression.check(batch.stream, item.count, batch.recipient)
        if suppressed:
            self._events.append(Suppressed(now, batch, suppressed, reason))
            # Suppressed sends still count against the quota (FACTS.md "Suppression").
            self.quota.add(now, suppressed)
            item.count -= suppressed
            if item.count == 0:
                return False
        quota_left = self.config.daily_quota - self.quota.used(now)
        allowed = max(0, min(item.count, quota_left, self.rate.available(now)))
        if allowed < item.count:
            rest = item.count - allowed
            reason = "quota" if quota_left < item.count else "rate"
            until = (self.quota.next_expiry(now) if reason == "quota"
                     else self.rate.when_available(now, 1 if allowed else rest))
            until = self._at(max(until, now + 1e-9))
            self._events.append(Held(now, batch, rest, "", reason, until))
            self._queue(_Pending(until, batch, rest, None, 0, item.first, False))
            item.count = allowed
        if item.count == 0:
            return False
        self.rate.take(item.count)
        self.quota.add(now, item.count)
        item.accepted = True
        self._events.append(Sent(now, batch, item.count))
        return True

    def _route(self, now: float, item: _Pending, pool: str, attempts: list[Attempt]) -> None:
        """Warm-up cap of the pool, then shaping; emits the attempts."""
        provider = item.batch.provider
        policy = self.policies.get(pool)
        count = item.count
        if policy is not None and item.pool is None:
            cap = policy.cap(provider, now)
            if cap.remaining is not None and count > cap.remaining:
                allowed = int(cap.remaining)
                excess = count - allowed
                policy.note_excess(provider, now, excess)
                if cap.overflow and pool != SHARED_POOL:
                    self._events.append(Overflowed(now, item.batch, excess, pool, SHARED_POOL))
                    self._shape(now, item, SHARED_POOL, excess, attempts)
                else:
                    until = self._at(math.floor(now / 3600.0 + 1) * 3600.0)
                    self._hold(now, item, excess, pool, None, "warmup", until)
                count = allowed
        if count:
            self._shape(now, item, pool, count, attempts, policy)

    def _shape(self, now: float, item: _Pending, pool: str, count: int,
               attempts: list[Attempt], policy: WarmupPolicy | None = None) -> None:
        provider = item.batch.provider
        state = self._shaping[pool, provider]
        hold_until = None
        if state.suspended_until > now:
            hold_until, allowed = state.suspended_until, 0
        else:
            allowed = count
            if state.limit is not None and state.limit_until < now:
                state.limit, state.bucket = None, None
            buckets = [b for b in (state.bucket, self._static_bucket(pool, provider, now)) if b]
            for bucket in buckets:
                allowed = min(allowed, bucket.available(now))
            if allowed < count:  # until the next tick, or (real sending) the next token
                hold_until = (now + self.config.quantum_s if self.config.quantum_s else
                              max(b.when_available(now, allowed + 1) for b in buckets))
        if hold_until is not None and allowed < count:
            # Routed and capped already: it stays on this pool.
            self._hold(now, item, count - allowed, pool, pool, "shaping", self._at(hold_until))
        if allowed <= 0:
            return
        for bucket in (state.bucket, self._static_bucket(pool, provider, now)):
            if bucket is not None:
                bucket.take(allowed)
        if policy is not None:
            policy.record(provider, now, allowed)
        attempts.append(Attempt(next(self._ids), item.batch, pool, allowed, item.attempts + 1,
                                item.first))

    def _hold(self, now: float, item: _Pending, count: int, pool: str, keep_pool: str | None,
              reason: str, until: float) -> None:
        """Keep accepted mail queued until ``until``, or bounce it if that is past expiry."""
        if until > item.first + self.config.expiry_s:
            attempt = Attempt(next(self._ids), item.batch, pool, count, item.attempts,
                              item.first)
            reply = Reply(451, "4.4.7", f"Message expired in queue (held by {reason})")
            self._events.append(Bounced(now, attempt, count, _EXPIRED_GENERAL, reply,
                                        expired=True))
            return
        self._events.append(Held(now, item.batch, count, pool, reason, until))
        self._queue(_Pending(until, item.batch, count, keep_pool, item.attempts, item.first,
                             True))

    def _static_bucket(self, pool: str, provider: str, now: float) -> TokenBucket | None:
        per_hour = self.config.provider_max_per_hour.get(provider)
        if per_hour is None:
            return None
        bucket = self._static.get((pool, provider))
        if bucket is None:
            bucket = self._static[pool, provider] = self._hourly_bucket(per_hour, now)
        return bucket

    def _hourly_bucket(self, per_hour: float, now: float) -> TokenBucket:
        """A per-hour limit as a token bucket holding a tick's worth (simulation) or a
        minute's worth (real sending) of messages."""
        return TokenBucket(per_hour / 3600.0, per_hour * max(self.config.quantum_s, 60.0) / 3600.0,
                           now)

    def _retry(self, now: float, attempt: Attempt, outcome: Outcome,
               result: Classification) -> None:
        schedule = self.config.retry_schedule_s
        wait = schedule[min(attempt.attempt_no - 1, len(schedule) - 1)]
        retry_at = self._at(now + wait)
        if retry_at > attempt.first_submitted + self.config.expiry_s:
            expired = (_EXPIRED_FULL if result.delay_type == "MailboxFull"
                       else _EXPIRED_GENERAL)
            self._events.append(Bounced(now, attempt, outcome.count, expired, outcome.reply,
                                        expired=True))
            return
        batch = attempt.batch
        if outcome.payload is not None:
            batch = Batch(batch.stream, batch.provider, batch.config_set, batch.count,
                          batch.recipient, batch.message_id, outcome.payload)
        self._events.append(Delayed(now, attempt, outcome.count, result, outcome.reply, retry_at))
        self._queue(_Pending(retry_at, batch, outcome.count, attempt.pool, attempt.attempt_no,
                             attempt.first_submitted, True))

    def _bounce(self, now: float, attempt: Attempt, count: int, result: Classification,
                reply) -> None:
        self._events.append(Bounced(now, attempt, count, result, reply))
        if result.bounce_type == "Permanent" and not result.ip_block:
            self.suppression.add(attempt.batch.stream, "BOUNCE", count, attempt.batch.recipient)

    def _apply_rules(self, now: float, pool: str, provider: str, text: str, count: int,
                     state: _Shaping) -> None:
        for rule in self.config.rules:
            if rule.provider not in (None, provider) or not rule.regex.search(text):
                continue
            window = state.matches[rule.name]
            window.append((now, count))
            while window and window[0][0] <= now - rule.window_s:
                window.popleft()
            if sum(n for _, n in window) < rule.threshold:
                continue
            until = now + rule.duration_s
            if rule.action == "suspend":
                state.suspended_until = max(state.suspended_until, until)
                limit = None
            else:
                limit = max(rule.min_per_hour, rule.factor * state.accepted.used(now))
                state.limit, state.limit_until = limit, until
                state.bucket = self._hourly_bucket(limit, now)
            self._events.append(ShapingChanged(now, pool, provider, rule.name, rule.action,
                                               until, limit))
            return  # first matching rule acts

    # ------------------------------------------------------------ queue
    def _at(self, t: float) -> float:
        q = self.config.quantum_s
        return math.ceil(t / q - 1e-9) * q if q else t

    def _slot_key(self, item: _Pending) -> tuple:
        # Cohorts submitted on the same day merge; their mean submission time
        # carries the delay and the expiry (so expiry is exact to within a day).
        age = int(item.first // 86400.0) if self.config.quantum_s else 0
        b = item.batch
        return (item.due, b.stream, b.provider, b.config_set, b.payload, item.pool,
                item.accepted, item.attempts > 0, age)

    def _queue(self, item: _Pending) -> None:
        if self.config.quantum_s and item.batch.recipient is None:
            key = self._slot_key(item)
            slot = self._slots.get(key)
            if slot is not None:  # merge equal cohorts due together
                total = slot.count + item.count
                slot.first = (slot.first * slot.count + item.first * item.count) / total
                slot.attempts = max(slot.attempts, item.attempts)
                slot.count = total
                return
            self._slots[key] = item
        heapq.heappush(self._heap, (item.due, next(self._seq), item))
