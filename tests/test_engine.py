"""The sans-I/O engine: pacing, suppression, routing, warm-up, shaping, retries, expiry.

Each test drives one Engine with a scripted peer: a plain function from attempt to
outcomes, as a transport would.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from sessim.engine.core import SHARED_POOL, Engine, EngineConfig, Rule
from sessim.engine.events import Batch, Bounced, Delayed, Delivered, Held, Outcome, Suppressed
from sessim.engine.replies import Reply
from sessim.engine.warmup import DailyRamp

OK = Reply(250, "2.0.0", "OK")
UNKNOWN = Reply.parse("550 5.1.1 user unknown")
TSS04 = Reply.parse("421 4.7.0 [TSS04] Messages from 1.2.3.4 temporarily deferred due to"
                    " unexpected volume or user complaints")


def config(**kw) -> EngineConfig:
    base = {"routes": {"cs": "dedicated"}, "daily_quota": 1_000_000,
            "max_send_rate_per_s": 1000.0, "quantum_s": 3600.0}
    return EngineConfig(**{**base, **kw})


def drive(engine: Engine, now: float, peer) -> list:
    for attempt in engine.poll(now):
        engine.on_outcomes(now, attempt, peer(attempt))
    return engine.drain_events()


def test_engine_imports_no_io():
    """The engine package imports no simpy, asyncio or socket code."""
    code = ("import sys, sessim.engine.core, sessim.engine.replies;"
            "bad = {'simpy', 'asyncio', 'socket'} & set(sys.modules); print(sorted(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_max_rate_paces_instead_of_dropping():
    """Over the max send rate, the excess waits for the next tick; nothing is lost."""
    engine = Engine(config(max_send_rate_per_s=1.0))
    engine.submit(0.0, Batch("s", "gmail", "cs", 5000))
    first = drive(engine, 0.0, lambda a: [Outcome(a.count, OK)])
    assert sum(e.count for e in first if isinstance(e, Delivered)) == 3600
    assert [e.reason for e in first if isinstance(e, Held)] == ["rate"]
    second = drive(engine, 3600.0, lambda a: [Outcome(a.count, OK)])
    assert sum(e.count for e in second if isinstance(e, Delivered)) == 1400


def test_hard_bounces_are_suppressed_on_the_next_send():
    """A hard bounce suppresses the address; mailing it again is a Suppressed event."""
    engine = Engine(config(quantum_s=0.0))
    engine.submit(0.0, Batch("s", "gmail", "cs", recipient="a@example.com"))
    events = drive(engine, 0.0, lambda a: [Outcome(1, UNKNOWN)])
    assert isinstance(events[-1], Bounced) and events[-1].classification.bounce_type == "Permanent"
    engine.submit(10.0, Batch("s", "gmail", "cs", recipient="A@example.com"))
    events = drive(engine, 10.0, lambda a: [Outcome(1, OK)])
    assert [type(e) for e in events] == [Suppressed]


def test_cohort_suppression_is_proportional_to_the_list():
    """For anonymous cohorts, the suppressed share of a list is not mailed again."""
    engine = Engine(config(list_sizes={"s": 1000}))
    engine.suppression.add("s", "BOUNCE", 100)
    engine.submit(0.0, Batch("s", "gmail", "cs", 500))
    events = drive(engine, 0.0, lambda a: [Outcome(a.count, OK)])
    assert sum(e.count for e in events if isinstance(e, Suppressed)) == 50


def test_deferrals_retry_then_expire_as_transient_bounces():
    """A deferred message is retried on the schedule and bounces Transient at expiry."""
    engine = Engine(config(expiry_s=3 * 3600.0, shaping=False))
    engine.submit(0.0, Batch("s", "gmail", "cs", 10))
    kinds = []
    for hour in range(5):
        kinds += [type(e).__name__ for e in drive(engine, hour * 3600.0,
                                                  lambda a: [Outcome(a.count, TSS04)])]
    assert kinds.count("Delayed") == 3 and kinds[-1] == "Bounced"
    assert engine.queued() == 0


def test_yahoo_tss04_suspends_the_pool_for_four_hours():
    """The default Yahoo rule suspends that pool's traffic to Yahoo after a TSS04 reply."""
    rules = (Rule("yahoo-tss04", re.compile(r"\[(TSS04|TS01)\]"), "suspend", 4 * 3600.0),)
    engine = Engine(config(rules=rules))
    engine.submit(0.0, Batch("s", "yahoo", "cs", 10))
    drive(engine, 0.0, lambda a: [Outcome(a.count, TSS04)])
    for hour in (1, 2, 3):
        events = drive(engine, hour * 3600.0, lambda a: [Outcome(a.count, OK)])
        assert not any(isinstance(e, Delivered) for e in events), hour
    events = drive(engine, 4 * 3600.0, lambda a: [Outcome(a.count, OK)])
    assert sum(e.count for e in events if isinstance(e, Delivered)) == 10


def test_warmup_cap_overflows_to_shared_pool():
    """Over a plan's cap, the excess goes through the SES shared pool."""
    plan = DailyRamp(0.0, 1, [(1, 2400.0, None, None)], burst=1.0)
    engine = Engine(config(), policies={"dedicated": plan})
    engine.submit(0.0, Batch("s", "gmail", "cs", 1000))
    pools = {}
    for attempt in engine.poll(0.0):
        pools[attempt.pool] = attempt.count
    assert pools == {"dedicated": 100, SHARED_POOL: 900}


def test_delay_is_measured_from_submission():
    """Delivered events carry the delay since the message was submitted."""
    engine = Engine(config(shaping=False))
    engine.submit(0.0, Batch("s", "gmail", "cs", 4))
    drive(engine, 0.0, lambda a: [Outcome(a.count, TSS04)])
    events = drive(engine, 3600.0, lambda a: [Outcome(a.count, OK)])
    delivered = [e for e in events if isinstance(e, Delivered)]
    assert delivered[0].delay_s == 3600.0
    assert not any(isinstance(e, Delayed) for e in events)


def test_per_provider_hourly_limit_in_real_sending_paces_by_the_minute():
    """In real sending (no tick), a 500/hour provider limit lets a minute's worth through
    at once and holds the rest only until the next token, not for a minute each."""
    engine = Engine(config(quantum_s=0.0, provider_max_per_hour={"yahoo": 500.0}))
    for i in range(20):
        engine.submit(0.0, Batch("s", "yahoo", "cs", recipient=f"u{i}@yahoo.com"))
    sent_at = []
    now = 0.0
    while engine.next_wakeup() is not None and now < 600:
        now = max(now, engine.next_wakeup())
        sent_at += [now for _ in engine.poll(now)]
    assert len(sent_at) == 20
    assert sum(t == 0.0 for t in sent_at) == 8  # a minute of 500/h
    # then one per 7.2 s; the first waits for the 0.67 token the burst left short
    assert sent_at[-1] == pytest.approx((8 + 12 - 500 / 60) * 3600 / 500)
