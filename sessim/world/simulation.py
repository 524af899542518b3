"""One option's world on the SimPy clock: traffic, engine, pools, providers, account, cost.

Processes run once per tick in a fixed order (SimPy resumes same-time events in
the order they were scheduled): the day's bookkeeping at midnight, then
traffic submits the tick's cohorts, the sender loop drives the engine through
the SimTransport, and the providers close the tick (reputation, streaks) and
the account re-evaluates its rates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import simpy

from sessim.engine.core import SHARED_POOL, Engine, EngineConfig
from sessim.engine.events import Batch
from sessim.engine.warmup import DailyRamp, Managed, WarmupPolicy, ip_count_for, ses_auto_ramp
from sessim.recorder import Recorder
from sessim.rng import stream as rng_stream
from sessim.scenario import (
    DedicatedManagedPool,
    DedicatedStandardPool,
    Option,
    Scenario,
    WarmupPlan,
    plan_table,
)
from sessim.world.account import Account
from sessim.world.cost import CostMeter
from sessim.world.mailboxes import Mailboxes, Params, level_of
from sessim.world.sim_transport import SimTransport
from sessim.world.traffic import quality_on

DAY = 86400.0


def own_pool_name(option: Option) -> str:
    return SHARED_POOL if option.pool.type == "shared" else f"{option.name}-pool"


def warmup_policy(option: Option, shares: dict[str, float]) -> WarmupPolicy | None:
    pool = option.pool
    if isinstance(pool, DedicatedManagedPool):
        return Managed(0.0, pool.first_daily_per_provider, pool.growth_per_day,
                       pool.overflow_until_pct, pool.hourly_burst, pool.daily_slip)
    if not isinstance(pool, DedicatedStandardPool) or pool.warmup == "none":
        return None
    if pool.warmup == "ses-auto":
        steps = ses_auto_ramp(pool.auto_warmup_days, pool.auto_warmup_first_daily_per_ip,
                              pool.auto_warmup_final_daily_per_ip)
    else:
        assert isinstance(pool.warmup, WarmupPlan)
        steps = [(s.day, s.daily_per_ip, s.hourly_per_ip, s.provider)
                 for s in plan_table(pool.warmup)]
    return DailyRamp(0.0, pool.ip_count, steps, shares, pool.hourly_burst)


class OptionWorld:
    """Everything one option needs to run; :meth:`run` fills :attr:`recorder`."""

    def __init__(self, scenario: Scenario, option: Option, traffic: np.ndarray,
                 on_day: Callable[[], None] | None = None) -> None:
        self.s, self.option, self.traffic = scenario, option, traffic
        self.on_day = on_day
        self.tick_s = scenario.tick_minutes * 60.0
        self.hours = scenario.tick_minutes / 60.0
        names = scenario.provider_names
        self.pool = own_pool_name(option)
        self.groups = {SHARED_POOL: 0} | ({self.pool: 1} if self.pool != SHARED_POOL else {})
        config_sets = {st.config_set for st in scenario.sender.streams}
        routed = option.configuration_sets or sorted(config_sets)
        e = scenario.engine
        sent_to = traffic.sum(axis=(0, 1)).astype(float)
        shares = dict(zip(names, sent_to / max(sent_to.sum(), 1.0)))
        self.policy = warmup_policy(option, shares)
        self.engine = Engine(EngineConfig(
            routes={cs: self.pool for cs in routed},
            daily_quota=scenario.account.daily_quota,
            max_send_rate_per_s=scenario.account.max_send_rate_per_s,
            retry_schedule_s=tuple(e.retry_schedule_s), expiry_s=e.expiry_hours * 3600,
            shaping=e.shaping,
            rules=tuple(r.compiled() for r in e.shaping_rules),
            quantum_s=self.tick_s,
            list_sizes={st.name: st.list_size for st in scenario.sender.streams}),
            policies={self.pool: self.policy} if self.policy else {})
        self.mailboxes = self._mailboxes(names)
        self.account = Account(scenario.account)
        self.recorder = Recorder(scenario.duration_days, names)
        self.cost = CostMeter(scenario.pricing)
        self.transport = SimTransport(
            self.mailboxes, self.account, self.groups, scenario.providers,
            scenario.sender.authentication, rng_stream(scenario.seed, "mailboxes"),
            self.recorder.add_per_provider,
            lambda st, n: self.engine.complaint(self.now, st, n))
        self.now = 0.0
        t = scenario.tenants
        self.tenant_hourly = t.daily_volume / 24.0 * np.array(
            [p.market_share for p in scenario.providers.values()]) / max(
            sum(p.market_share for p in scenario.providers.values()), 1e-9)

    def _mailboxes(self, names: list[str]) -> Mailboxes:
        s = self.s
        params = Params.from_providers(s.providers)
        t = s.tenants
        probe = Mailboxes(params, [1], [1.0], np.zeros(len(names)), np.zeros(len(names)),
                          np.zeros(len(names)))
        tenant_score = probe.rep.steady_score(t.complaint_rate, t.unknown_user_rate,
                                             t.spam_trap_rate)
        streams = s.sender.streams
        weights = np.array([st.daily_volume or sum(c.volume for c in st.campaigns) / 7
                            for st in streams], float)
        weights = weights / weights.sum() if weights.sum() else np.ones(len(streams))
        mean = {k: float(sum(w * getattr(st, k) for w, st in zip(weights, streams)))
                for k in ("complaint_rate", "unknown_user_rate", "spam_trap_rate")}
        # Assumption: the sending domain is established at its steady reputation.
        domain = probe.rep.steady_score(mean["complaint_rate"], mean["unknown_user_rate"],
                                       mean["spam_trap_rate"])
        tenant_peak = t.daily_volume / 24.0 * t.burst_capacity * np.array(
            [p.market_share for p in s.providers.values()])
        ip_counts, known, peaks, scores = [1], [1.0], [tenant_peak], [tenant_score]
        if self.pool != SHARED_POOL:
            pool = self.option.pool
            ip_counts.append(getattr(pool, "ip_count", 1))
            known.append(0.0)
            peaks.append(np.zeros(len(names)))
            scores.append(params.unknown_score)
        return Mailboxes(params, ip_counts, known, np.stack(peaks), np.stack(scores), domain)

    # ---------------------------------------------------------------- processes
    def run(self) -> Recorder:
        env = simpy.Environment()
        env.process(self._days(env))
        env.process(self._traffic(env))
        env.process(self._sender(env))
        env.process(self._close_tick(env))
        env.run(until=self.s.duration_days * DAY + 1)
        return self.recorder

    def _traffic(self, env: simpy.Environment):
        streams = self.s.sender.streams
        names = self.s.provider_names
        for per_stream in self.traffic.tolist():  # plain ints: cheaper than numpy scalars
            day = int(env.now // DAY)
            for st, counts in zip(streams, per_stream):
                if not any(counts):
                    continue
                quality = self._quality(st, day)
                for name, n in zip(names, counts):
                    if n:
                        self.engine.submit(env.now, Batch(st.name, name, st.config_set, n,
                                                          payload=quality))
            yield env.timeout(self.tick_s)

    def _quality(self, st, day: int):
        quality = quality_on(st, day)
        if st.list_size:  # suppressed bad addresses are no longer mailed
            sup = self.engine.suppression
            bad = max(0.0, quality.unknown_user_rate * st.list_size
                      - sup.suppressed(st.name, "BOUNCE"))
            alive = max(1.0, st.list_size - sup.suppressed(st.name))
            quality = replace(quality, unknown_user_rate=min(1.0, bad / alive))
        return quality

    def _sender(self, env: simpy.Environment):
        mb, engine = self.mailboxes, self.engine
        for _ in range(self.traffic.shape[0]):
            self.now = env.now
            self.transport.start_tick()
            self._tenants(env.now)
            mb.start_tick(self.hours)
            attempts = engine.poll(env.now)
            for attempt, outcomes in zip(attempts, self.transport.resolve(env.now, attempts)):
                engine.on_outcomes(env.now, attempt, outcomes)
            self.recorder.events(engine.drain_events())
            yield env.timeout(self.tick_s)

    def _tenants(self, now: float) -> None:
        """The shared pool's other tenants: expected volume and signals, no draws."""
        t = self.s.tenants
        day = now / DAY
        mult = 1.0
        for inc in t.incidents:
            if inc.start_day <= day < inc.start_day + inc.duration_days:
                mult *= inc.complaint_multiplier
        volume = self.tenant_hourly * self.hours
        mb = self.mailboxes
        inbox = volume * self.transport.inbox[0]
        mb.load[0] = volume
        mb.day_accepted[0] += volume
        mb.rep.tick[:, 0, :] += np.stack([volume, inbox, inbox * t.complaint_rate * mult,
                                         volume * t.unknown_user_rate,
                                         volume * t.spam_trap_rate])

    def _close_tick(self, env: simpy.Environment):
        for _ in range(self.traffic.shape[0]):
            self.mailboxes.end_tick(env.now, self.hours)
            self.account.end_tick(env.now)
            yield env.timeout(self.tick_s)

    def _days(self, env: simpy.Environment):
        while True:
            yield env.timeout(DAY)
            self._end_day(int(env.now // DAY) - 1)
            if self.on_day:
                self.on_day()

    def _end_day(self, day: int) -> None:
        rec, mb = self.recorder, self.mailboxes
        g = self.groups[self.pool]
        now = (day + 1) * DAY - 1
        eff, ip_eff = mb.effective()[g], mb.ip_effective()[g]
        queued = self.engine.queued_by_provider()
        known = mb.known()
        for p, name in enumerate(self.s.provider_names):
            pct = self.policy.percent(name, now) if self.policy else 100.0
            rec.snap[day, p] = (queued.get(name, 0), eff[p], ip_eff[p], mb.domain_score[p], pct,
                                mb.ip_count[g] if g else 0)
            rec.levels[day, p] = level_of(eff[p], known[g, p])
        sent = rec.counts[day, :, 0].sum()
        pool = self.option.pool
        managed = isinstance(pool, DedicatedManagedPool)
        own_sent = sum(v for (_, d), v in self.policy.used_day.items() if d == day) \
            if managed else 0.0
        dedicated = isinstance(pool, DedicatedStandardPool) and (
            pool.lease_days is None or day < pool.lease_days)
        date = self.s.start_date + dt.timedelta(days=day)
        rec.cost[day] = self.cost.day(date, sent, pool.ip_count if dedicated else 0, managed,
                                      own_sent)
        bounce, complaint = self.account.end_day(now)
        rec.account_rows.append({
            "day": day, "date": date.isoformat(), "option": self.option.name,
            "bounce_rate": bounce, "complaint_rate": complaint, "status": self.account.status,
            "quota_used": int(sent), "daily_quota": self.s.account.daily_quota})
        if managed:
            # SES scales a managed pool for its busiest recent day (assumption: a week).
            busiest = rec.counts[max(0, day - 6):day + 1, :, 0].sum(axis=1).max()
            mb.set_ip_count(g, ip_count_for(busiest, pool.daily_per_ip))
        mb.end_day()
        self.transport.end_day()
        rec.day = day + 1
