"""Warm-up policies: how much a pool may carry per provider, and where excess goes.

A policy answers, for a pool, a provider and a time, how many more messages the
pool may take in the current hour (``None``: no cap) and whether excess
overflows to the SES shared pool or is held and retried. Days count from the
pool's first day (day 1). Policies keep their own counters; the engine tells
them what was sent and which replies were throttling signals.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

HOUR = 3600.0
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class Cap:
    remaining: float | None  # messages still allowed this hour; None: no cap
    overflow: bool  # excess goes to the shared pool (True) or is held (False)


class WarmupPolicy:
    """No warm-up: the pool takes everything (also the shared pool's policy)."""

    def __init__(self, start: float = 0.0) -> None:
        self.start = start
        self.hour = -1
        self.used_hour: dict[str, float] = defaultdict(float)  # this hour, by provider
        self.used_day: dict[tuple[str, int], float] = defaultdict(float)  # (provider, day)
        self.total_day: dict[int, float] = defaultdict(float)  # all providers, by day

    def day(self, now: float) -> int:
        """1-based warm-up day."""
        return int((now - self.start) // DAY) + 1

    def cap(self, provider: str, now: float) -> Cap:
        return Cap(None, True)

    def record(self, provider: str, now: float, count: int) -> None:
        self._at_hour(now)
        self.used_hour[provider] += count
        self.used_day[provider, int(now // DAY)] += count
        self.total_day[int(now // DAY)] += count

    def throttled(self, provider: str, now: float) -> None:
        """A throttling reply came back for mail of this pool to ``provider``."""

    def note_excess(self, provider: str, now: float, count: int) -> None:
        """Demand over the cap (overflowed or held); adaptive policies track it."""

    def percent(self, provider: str | None, now: float) -> float:
        """Warm-up percentage 0..100 (SES ``WarmupPercentage``)."""
        return 100.0

    def _at_hour(self, now: float) -> None:
        if int(now // HOUR) != self.hour:
            self.hour = int(now // HOUR)
            self.used_hour.clear()

    def _hour_left(self, provider: str | None, now: float, per_hour: float) -> float:
        self._at_hour(now)
        used = sum(self.used_hour.values()) if provider is None else self.used_hour[provider]
        return max(0.0, per_hour - used)


class DailyRamp(WarmupPolicy):
    """Caps per IP for the whole pool: a daily budget and/or an hourly cap.

    Used for SES auto warm-up (a geometric ramp to a final daily cap) and for
    plans with daily and/or hourly caps, optionally per provider. A daily cap is
    a budget for the day, of which one hour may use ``burst`` hours' share, so a
    blast can use a day's cap within a few hours.
    """

    def __init__(self, start: float, ip_count: int,
                 steps: list[tuple[int, float | None, float | None, str | None]],
                 provider_shares: dict[str, float] | None = None, burst: float = 6.0) -> None:
        super().__init__(start)
        self.ip_count = ip_count
        self.burst = burst
        # A pool-wide cap is shared among providers by their share of the traffic,
        # as mail to all providers is interleaved within an hour.
        self.shares = provider_shares
        self.last_day = max(s[0] for s in steps)
        self.table: dict[tuple[int, str | None], tuple[float | None, float | None]] = {}
        for day, daily, hourly, provider in steps:
            self.table[day, provider] = (daily, hourly)
        self.per_provider = any(p is not None for _, _, _, p in steps)

    def _caps(self, day: int, provider: str | None) -> tuple[float | None, float | None]:
        # A plan row applies from its day until the next row's day.
        for d in range(day, 0, -1):
            if (d, provider) in self.table:
                return self.table[d, provider]
        return (None, None)

    def cap(self, provider: str, now: float) -> Cap:
        day = self.day(now)
        if day > self.last_day:
            return Cap(None, True)
        if self.per_provider:
            (daily, hourly), key, share = self._caps(day, provider), provider, 1.0
        elif self.shares:
            (daily, hourly), key, share = self._caps(day, None), provider, \
                self.shares.get(provider, 0.0)
        else:
            (daily, hourly), key, share = self._caps(day, None), None, 1.0
        limits = []
        if hourly is not None:
            limits.append(self._hour_left(key, now, hourly * self.ip_count * share))
        if daily is not None:
            budget = daily * self.ip_count * share
            limits.append(max(0.0, budget - self._day_used(key, now)))
            limits.append(self._hour_left(key, now, budget * self.burst / 24.0))
        return Cap(min(limits) if limits else None, True)

    def _day_used(self, key: str | None, now: float) -> float:
        today = int(now // DAY)
        return self.total_day[today] if key is None else self.used_day[key, today]

    def percent(self, provider: str | None, now: float) -> float:
        return min(100.0, 100.0 * (self.day(now) - 1) / self.last_day)


def ses_auto_ramp(days: int, first: float, final: float) -> list[tuple[int, float, None, None]]:
    """SES auto warm-up as daily caps per IP: geometric from ``first`` to ``final``
    over ``days`` days (FACTS.md: 45 days to 50,000/day; the shape is an assumption)."""
    if days == 1:
        return [(1, final, None, None)]
    growth = (final / first) ** (1.0 / (days - 1))
    return [(d, first * growth ** (d - 1), None, None) for d in range(1, days + 1)]


class Managed(WarmupPolicy):
    """SES managed dedicated IPs: an adaptive daily cap per provider.

    The cap grows by ``growth`` each day whose demand used half of it without
    throttling, halves on a day with throttling, and slips by ``slip`` a day when
    demand falls; an hour may use ``burst`` hours' share of the day's cap. Warm-up
    per provider is the cap over the provider's recent
    daily demand; below ``overflow_until`` excess goes to shared IPs, above it
    excess is held and retried (FACTS.md "Dedicated managed"; thresholds are
    assumptions).
    """

    def __init__(self, start: float, first_daily: float, growth: float,
                 overflow_until: float, burst: float = 4.0, slip: float = 0.95) -> None:
        super().__init__(start)
        self.burst = burst
        self.slip = slip
        self.first = first_daily
        self.growth = growth
        self.overflow_until = overflow_until
        self.daily: dict[str, float] = {}
        self.demand: dict[str, float] = defaultdict(float)
        self.throttled_days: set[tuple[str, int]] = set()
        self.updated_day: dict[str, int] = {}
        self.excess_day: dict[tuple[str, int], float] = defaultdict(float)
        self.past_early: set[str] = set()

    def _roll(self, provider: str, now: float) -> float:
        today = int(now // DAY)
        last = self.updated_day.get(provider)
        if last is None:
            self.daily[provider] = self.first
        else:
            for day in range(last, today):
                demand_day = self.used_day.get((provider, day), 0.0) + self.excess_day.get(
                    (provider, day), 0.0)
                self.demand[provider] = max(demand_day, 0.7 * self.demand[provider])
                if (provider, day) in self.throttled_days:
                    self.daily[provider] = max(self.first, self.daily[provider] / 2)
                elif demand_day >= 0.5 * self.daily[provider]:
                    self.daily[provider] *= self.growth
                else:  # adaptive: warm-up slips back when volume to the provider drops
                    self.daily[provider] = max(self.first, self.slip * self.daily[provider])
        self.updated_day[provider] = today
        return self.daily[provider]

    def cap(self, provider: str, now: float) -> Cap:
        daily = self._roll(provider, now)
        # Early warm-up ends for good once the provider first reaches the threshold.
        if self.percent(provider, now) >= 100.0 * self.overflow_until:
            self.past_early.add(provider)
        # Within the day's cap, an hour may carry up to ``burst`` hours' share of it.
        day_left = max(0.0, daily - self.used_day[provider, int(now // DAY)])
        hour_left = self._hour_left(provider, now, daily * self.burst / 24.0)
        return Cap(min(day_left, hour_left), provider not in self.past_early)

    def note_excess(self, provider: str, now: float, count: int) -> None:
        self.excess_day[provider, int(now // DAY)] += count

    def throttled(self, provider: str, now: float) -> None:
        self.throttled_days.add((provider, int(now // DAY)))

    def percent(self, provider: str | None, now: float) -> float:
        if provider is None:
            if not self.daily:
                return 0.0
            return min(self.percent(p, now) for p in self.daily)
        daily = self._roll(provider, now)
        demand = max(self.demand[provider], 1.0)
        return min(100.0, 100.0 * daily / demand) if self.demand[provider] else 0.0



def ip_count_for(daily_volume: float, per_ip: float) -> int:
    """Managed pools scale their IP count to volume (assumption: a target per IP)."""
    return max(1, math.ceil(daily_volume / per_ip))
