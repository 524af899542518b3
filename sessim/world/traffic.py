"""The sender's traffic: messages per tick, stream and provider, and their list quality.

Volumes are drawn once per scenario (Poisson around the expected volume) from
the ``traffic`` random stream, so every option sees the same mail: options
compare under common random numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from sessim.scenario import WEEKDAYS, Scenario, Stream

# Assumption: when a stream gives no hourly profile, consumer mail peaks in the
# US afternoon (UTC 14-22) and marketing goes out in business hours.
_DAYTIME = np.array([4, 3, 2, 2, 2, 2, 3, 4, 5, 6, 7, 8, 9, 9, 10, 10, 10, 10, 10, 9, 8,
                     7, 6, 5], dtype=float)
_BUSINESS = np.array([0] * 13 + [1] * 8 + [0] * 3, dtype=float)
DEFAULT_PROFILES = {"transactional": _DAYTIME, "notification": _DAYTIME,
                    "marketing": _BUSINESS}


@dataclass(frozen=True, slots=True)
class Quality:
    """List quality of a cohort: what share of it is unknown, full, traps, etc."""

    unknown_user_rate: float
    mailbox_full_rate: float
    mailbox_full_persistence: float
    spam_trap_rate: float
    complaint_rate: float
    open_rate: float
    kind: str


def expected_volume(scenario: Scenario) -> np.ndarray:
    """Expected messages per tick and stream: array of shape (ticks, streams)."""
    tick_h = scenario.tick_minutes / 60.0
    ticks_per_day = int(24 / tick_h)
    ticks = scenario.duration_days * ticks_per_day
    out = np.zeros((ticks, len(scenario.sender.streams)))
    hours = (np.arange(ticks) * tick_h) % 24
    days = np.arange(ticks) // ticks_per_day
    weekday = np.array([(scenario.start_date + dt.timedelta(days=int(d))).weekday()
                        for d in range(scenario.duration_days)])[days]
    for s, stream in enumerate(scenario.sender.streams):
        growth = (1.0 + stream.growth_per_month) ** (days / 30.0)
        if stream.daily_volume:
            profile = np.asarray(stream.hourly_profile or DEFAULT_PROFILES[stream.kind], float)
            share = profile[hours.astype(int)] / profile.sum() * tick_h
            out[:, s] += stream.daily_volume * share
        for campaign in stream.campaigns:
            on_day = (np.ones(ticks, bool) if campaign.weekday == "daily"
                      else weekday == WEEKDAYS.index(campaign.weekday))
            in_window = (hours >= campaign.hour) & (hours < campaign.hour + campaign.spread_hours)
            out[:, s] += np.where(on_day & in_window,
                                  campaign.volume * tick_h / campaign.spread_hours, 0.0)
        out[:, s] *= growth * _episode_factor(stream, days, "volume_multiplier", 1.0)
    return out


def _episode_factor(stream: Stream, days: np.ndarray, field: str, default: float) -> np.ndarray:
    factor = np.full(days.shape, default, dtype=float)
    for ep in stream.episodes:
        value = getattr(ep, field)
        if value is not None:
            factor[(days >= ep.start_day) & (days < ep.end_day)] = value
    return factor


def draw_traffic(scenario: Scenario, rng: np.random.Generator) -> np.ndarray:
    """Messages per (tick, stream, provider), integers, drawn once per scenario."""
    expected = expected_volume(scenario)
    mix = np.array([[scenario.provider_mix(s)[p] for p in scenario.provider_names]
                    for s in scenario.sender.streams])
    return rng.poisson(expected[:, :, None] * mix[None, :, :]).astype(np.int64)


def quality_on(stream: Stream, day: int) -> Quality:
    """The stream's list quality on a day (episodes override the base rates)."""
    values = {"unknown_user_rate": stream.unknown_user_rate,
              "complaint_rate": stream.complaint_rate,
              "spam_trap_rate": stream.spam_trap_rate}
    for ep in stream.episodes:
        if ep.start_day <= day < ep.end_day:
            values.update({k: getattr(ep, k) for k in values if getattr(ep, k) is not None})
    return Quality(values["unknown_user_rate"], stream.mailbox_full_rate,
                   stream.mailbox_full_persistence,
                   values["spam_trap_rate"], values["complaint_rate"], stream.open_rate,
                   stream.kind)
