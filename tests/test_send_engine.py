"""One engine for simulation and real sending: the same object driven by the simulated
transport on the SimPy clock and by the SMTP transport on a wall clock; per-provider
shaping and the engine's automation rules in real sending."""

from __future__ import annotations

import asyncio
import time

from send_sink import Handler, Sink, read_events, write_job

from sessim.engine.events import Batch, Delivered, Outcome, ShapingChanged
from sessim.engine.replies import Reply
from sessim.rng import stream as rng_stream
from sessim.scenario import load_scenario
from sessim.send import runner
from sessim.send.job import DEDICATED, SendJob, build_engine
from sessim.send.state import EventLog, State
from sessim.world.simulation import OptionWorld
from sessim.world.traffic import draw_traffic


def test_one_engine_object_driven_by_both_transports(tmp_path):
    """Simulate a day (SimTransport, SimPy clock), then hand the same Engine object to the
    SMTP job: it delivers real mail to a loopback server, and its counters hold both."""
    sink = Sink(Handler())
    sink.start()
    try:
        emails = ["ann@gmail.com", "bob@yahoo.com", "cy@example.org"]
        files = write_job(tmp_path, sink.port, emails)
        scenario = load_scenario(files[0]).model_copy(update={"duration_days": 1})
        world = OptionWorld(scenario, scenario.options[0],
                            draw_traffic(scenario, rng_stream(scenario.seed, "traffic")))
        world.run()
        engine = world.engine
        # Finish the simulated cohorts still queued (retries) with the simulated transport.
        t = 86400.0
        world.recorder.day = 0  # the recorder holds one day: count the tail on it
        while engine.queued() and t < 30 * 86400.0:
            attempts = engine.poll(t)
            for attempt, outcomes in zip(attempts, world.transport.resolve(t, attempts)):
                engine.on_outcomes(t, attempt, outcomes)
            t = max(t + 3600.0, engine.next_wakeup() or t)
        engine.drain_events()
        assert engine.queued() == 0
        simulated = engine.quota.used(86399.0)
        assert simulated > 0, "the simulated day sent nothing"

        inputs = runner.load_inputs(*files)
        state = State(tmp_path / "state")
        log = EventLog(tmp_path / "events.jsonl", state)
        # Wall clock placed after the simulated day, 1 s of wall time = 1 h of engine time
        # (the simulation's engine rounds its times to the hour tick).
        t0 = time.time()

        def clock():
            return t + (time.time() - t0) * 3600.0
        runner.load_outbox(inputs, state, clock())

        async def send_all():
            from sessim.send.smtp_transport import SmtpTransport
            transport = SmtpTransport(inputs.sending.relay)
            job = SendJob(inputs.scenario, inputs.sending, inputs.template, inputs.job, state,
                          log, transport.send, clock=clock, engine=engine)
            job.restore()
            try:
                return await job.run()
            finally:
                await transport.close()

        progress = asyncio.run(send_all())
        log.close()
        state.close()
        assert job_engine_is(engine, world)
        assert progress.delivered == 3
        assert sorted(r for r, _, _ in sink.handler.received) == sorted(emails)
        assert engine.quota.used(clock()) >= 3
        kinds = [e["eventType"] for e in read_events(tmp_path / "events.jsonl")]
        assert kinds.count("Delivery") == 3
    finally:
        sink.stop()


def job_engine_is(engine, world) -> bool:
    return world.engine is engine


def test_provider_table_and_per_provider_rate_limit(tmp_path):
    """Recipients map to providers by domain (default table plus overrides); the
    per-provider hourly limit holds Yahoo while Gmail flows (engine on a fake clock)."""
    extra = "  provider_domains: {corp.example: microsoft}\n  provider_max_per_hour: {yahoo: 2}\n"
    files = write_job(tmp_path, 1, ["a@x.example"], extra=extra)
    sending = load_scenario(files[0]).sending
    assert [sending.provider_of(a) for a in ("a@GoogleMail.com", "b@hotmail.com",
                                             "c@ymail.com", "d@me.com", "e@corp.example",
                                             "f@other.example")] == \
        ["gmail", "microsoft", "yahoo", "apple", "microsoft", "other"]
    scenario = load_scenario(files[0])
    engine = build_engine(scenario, sending, 1000.0)
    for i in range(5):
        for provider in ("yahoo", "gmail"):
            engine.submit(1000.0, Batch("warmup", provider, "warmup-dedicated", 1,
                                        f"{provider}{i}@x.example"))
    attempts = engine.poll(1000.0)
    by_provider = [a.batch.provider for a in attempts]
    assert by_provider.count("gmail") == 5
    assert by_provider.count("yahoo") == 1  # 2/hour: a 1 s burst carries 1
    assert engine.queued() == 4


def test_throttling_reply_triggers_the_engines_shaping_rule(tmp_path):
    """Gmail's 421-4.7.28 over real SMTP: DeliveryDelay (IPFailure) and the scenario's
    gmail-rate-limited rule slows the pool to Gmail, as in simulation."""
    sink = Sink(Handler())
    sink.start()
    try:
        files = write_job(tmp_path, sink.port, ["421x1-ann@gmail.com"])
        inputs = runner.load_inputs(*files)
        state = State(tmp_path / "state")
        log = EventLog(tmp_path / "events.jsonl", state)
        runner.load_outbox(inputs, state, time.time())
        seen = []

        async def go():
            from sessim.send.smtp_transport import SmtpTransport
            transport = SmtpTransport(inputs.sending.relay)
            job = SendJob(inputs.scenario, inputs.sending, inputs.template, inputs.job, state,
                          log, transport.send)
            original = job.engine.drain_events

            def spy():
                events = original()
                seen.extend(events)
                return events
            job.engine.drain_events = spy
            job.restore()
            await job.run()
            await transport.close()
        asyncio.run(go())
        log.close()
        state.close()
        rules = [e for e in seen if isinstance(e, ShapingChanged)]
        assert rules and rules[0].rule == "gmail-rate-limited" and rules[0].pool == DEDICATED
        delay = [e for e in read_events(tmp_path / "events.jsonl")
                 if e["eventType"] == "DeliveryDelay"][0]
        assert delay["deliveryDelay"]["delayType"] == "IPFailure"
    finally:
        sink.stop()


def test_provider_connection_limit(tmp_path):
    """provider_connections: {gmail: 1} means one Gmail attempt at a time, while others
    use the remaining connections."""
    extra = "  provider_connections: {gmail: 1}\n"
    relay = "{host: 127.0.0.1, port: 1, tls: none, connections: 4}"
    emails = [f"g{i}@gmail.com" for i in range(6)] + [f"o{i}@other.example" for i in range(6)]
    files = write_job(tmp_path, 1, emails, relay=relay, extra=extra)
    inputs = runner.load_inputs(*files)
    state = State(tmp_path / "state")
    log = EventLog(tmp_path / "events.jsonl", state)
    runner.load_outbox(inputs, state, time.time())
    active = {"gmail": 0, "other": 0}
    peak = {"gmail": 0, "other": 0}

    async def fake_send(envelope):
        provider = "gmail" if envelope.recipient.endswith("gmail.com") else "other"
        active[provider] += 1
        peak[provider] = max(peak[provider], active[provider])
        await asyncio.sleep(0.02)
        active[provider] -= 1
        return Reply(250, "2.0.0", "OK")

    async def go():
        job = SendJob(inputs.scenario, inputs.sending, inputs.template, inputs.job, state,
                      log, fake_send)
        job.restore()
        return await job.run()
    progress = asyncio.run(go())
    log.close()
    state.close()
    assert progress.delivered == 12
    assert peak["gmail"] == 1 and peak["other"] > 1


def test_engine_outcomes_are_the_simulations_classification():
    """The real sender feeds replies through the same on_outcomes / classify path."""
    engine = build_engine(*_scenario_and_sending())
    engine.submit(0.0, Batch("warmup", "gmail", "warmup-dedicated", 1, "a@gmail.com"))
    attempt, = engine.poll(0.0)
    engine.on_outcomes(0.0, attempt, [Outcome(1, Reply.parse("250 2.0.0 OK"))])
    assert any(isinstance(e, Delivered) for e in engine.drain_events())


def _scenario_and_sending():
    import tempfile
    from pathlib import Path
    folder = Path(tempfile.mkdtemp())
    files = write_job(folder, 1, ["a@x.example"])
    scenario = load_scenario(files[0])
    return scenario, scenario.sending, 0.0
