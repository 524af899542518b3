"""From streaming counters to measured figures: volumes, campaigns, mix and rates.

The rules, each stated where it is applied:

* Volume is recipients in Send events; a stream without Send events falls back
  to deliveries + bounces + rejects (what was attempted).
* A day is a *burst* when its volume exceeds ``BURST_FACTOR`` x the stream's
  median day (or any day at all if the median day is empty). A stream whose
  bursts carry at least ``CAMPAIGN_SHARE`` of its volume is a campaign stream.
* A weekday whose bursts recur in at least ``RECUR_SHARE`` of its weeks becomes
  a weekly campaign (volume: the mean excess over the base day; hour and
  spread: the shortest window holding ``WINDOW_SHARE`` of the burst volume).
  Bursts that do not recur are averaged into the base daily volume.
* Hard-bounce rate counts Permanent bounces except SES's own suppression-list
  drops; soft-bounce rate counts Transient bounces. Complaint rate is
  complaints over deliveries to providers with a feedback loop to SES.
  Open rate is distinct opened messages over deliveries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from sessim.profile.aggregate import Profile, StreamStats
from sessim.providers import DEFAULT_PROVIDER_NAMES, default_provider
from sessim.scenario import WEEKDAYS

BURST_FACTOR = 3.0
CAMPAIGN_SHARE = 0.3
RECUR_SHARE = 0.5
WINDOW_SHARE = 0.9
SUPPRESSION_SUBTYPES = ("Suppressed", "OnAccountSuppressionList")
# A pool that carried all mail on this few IPs looks dedicated (assumption:
# SES shared pools spread a sender's mail over many more addresses).
DEDICATED_MAX_IPS = 16


@dataclass(frozen=True)
class CampaignFit:
    weekday: str
    hour: int
    spread_hours: int
    volume: float
    occurrences: int


@dataclass
class StreamFigures:
    """What was measured for one stream (None: not in the export, or too few messages)."""

    name: str
    volume_source: str
    sent: int
    grid: np.ndarray  # volume per day of the export span x hour of day (UTC)
    hourly_profile: list[float] | None
    weekday_mean: dict[str, float]
    base_daily: float
    campaigns: list[CampaignFit]
    one_off_bursts: int
    provider_mix: dict[str, float] | None
    hard_bounce_rate: float | None
    unknown_user_rate: float | None
    soft_bounce_rate: float | None
    complaint_rate: float | None
    open_rate: float | None
    list_size: int | None
    delivered: int
    delay_p50_ms: float | None
    delay_p90_ms: float | None
    delay_p99_ms: float | None
    delay_mean_ms: float | None
    delayed_recipients: int
    outgoing_ips: dict[str, int]
    pool_guess: str | None
    events: dict[str, int] = field(default_factory=dict)

    @property
    def daily(self) -> np.ndarray:
        return self.grid.sum(axis=1)

    @property
    def kind(self) -> str:
        return "marketing" if self.campaigns else "transactional"


@dataclass
class ProfileFigures:
    first_day: dt.date
    days: int
    streams: list[StreamFigures]
    complaints_exported: bool

    @property
    def daily_total(self) -> np.ndarray:
        return sum((s.daily for s in self.streams), np.zeros(self.days))

    @property
    def peak_hour_volume(self) -> float:
        return float(sum((s.grid for s in self.streams), np.zeros((self.days, 24))).max())


def _span(profile: Profile) -> tuple[dt.date, int]:
    days = {k[:10] for st in profile.streams.values() for k in st.volume_by_hour}
    parsed = sorted(dt.date.fromisoformat(d) for d in days)
    return parsed[0], (parsed[-1] - parsed[0]).days + 1


def _grid(st: StreamStats, first: dt.date, days: int) -> np.ndarray:
    grid = np.zeros((days, 24))
    for key, n in st.volume_by_hour.items():
        grid[(dt.date.fromisoformat(key[:10]) - first).days, int(key[11:13])] += n
    return grid


def _window(hourly: np.ndarray) -> tuple[int, int]:
    """Start hour and length of the shortest same-day window holding WINDOW_SHARE."""
    total = hourly.sum()
    best = (int(hourly.argmax()), 1)
    for length in range(1, 25):
        sums = np.convolve(hourly, np.ones(length), mode="valid")
        if sums.max() >= WINDOW_SHARE * total - 1e-9:
            return int(sums.argmax()), length
    return best


def _campaigns(grid: np.ndarray, first: dt.date
               ) -> tuple[float, list[CampaignFit], int, np.ndarray]:
    daily = grid.sum(axis=1)
    median = float(np.median(daily))
    burst = daily > (BURST_FACTOR * median if median > 0 else 0.0)
    if not burst.any() or daily[burst].sum() < CAMPAIGN_SHARE * daily.sum():
        return float(daily.mean()), [], 0, np.ones(len(daily), bool)
    base = float(daily[~burst].mean()) if (~burst).any() else 0.0
    weekday = np.array([(first + dt.timedelta(days=i)).weekday() for i in range(len(daily))])
    fits: list[CampaignFit] = []
    one_off = 0.0
    one_off_days = 0
    for w in range(7):
        on = burst & (weekday == w)
        if not on.any():
            continue
        if on.sum() >= RECUR_SHARE * (weekday == w).sum():
            start, length = _window(grid[on].sum(axis=0))
            excess = float(np.maximum(daily[on] - base, 0).mean())
            fits.append(CampaignFit(WEEKDAYS[w], start, length, excess, int(on.sum())))
        else:
            one_off += float(np.maximum(daily[on] - base, 0).sum())
            one_off_days += int(on.sum())
    return base + one_off / len(daily), fits, one_off_days, ~burst


# A rate measured on fewer messages than this says little (one bounce in ten sends is
# not a 10% bounce rate): below it the scenario keeps sessim's default.
MIN_RATE_SAMPLE = 1000


def _rate(num: float, den: float) -> float | None:
    return min(1.0, num / den) if den >= MIN_RATE_SAMPLE else None


def _stream(st: StreamStats, first: dt.date, days: int, complaints_exported: bool
            ) -> StreamFigures:
    grid = _grid(st, first, days)
    daily = grid.sum(axis=1)
    base, fits, one_off, steady_days = _campaigns(grid, first)
    profile = grid[steady_days].sum(axis=0)
    hourly = ([round(float(x), 4) for x in profile / profile.sum()]
              if profile.sum() > 0 else None)
    weekday_mean = {}
    for w, name in enumerate(WEEKDAYS):
        idx = [i for i in range(days) if (first + dt.timedelta(days=i)).weekday() == w]
        weekday_mean[name] = float(daily[idx].mean()) if idx else 0.0
    sent = st.sent
    counts = st.provider_counts
    total = sum(counts.values())
    mix = ({p: round(counts.get(p, 0) / total, 4) for p in DEFAULT_PROVIDER_NAMES}
           if total else None)
    hard_all = sum(st.hard_bounces.values())
    hard = hard_all - sum(st.hard_bounces.get(s, 0) for s in SUPPRESSION_SUBTYPES)
    fbl = [p for p in DEFAULT_PROVIDER_NAMES if default_provider(p)["feedback_loop"]]
    fbl_delivered = sum(st.delivered_by_provider.get(p, 0) for p in fbl)
    fbl_complaints = sum(st.complaints_by_provider.get(p, 0) for p in fbl)
    delivered = st.delivered
    opens = st.opened.estimate() if st.events.get("Open") else None
    ips = dict(st.outgoing_ips.most_common())
    pool_guess = None
    if ips:
        pool_guess = "dedicated" if len(ips) <= DEDICATED_MAX_IPS else "shared"
    n_delays = st.delays_measured
    return StreamFigures(
        name=st.name,
        volume_source="Send events" if st.uses_send_events else "deliveries + bounces",
        sent=sent, grid=grid, hourly_profile=hourly, weekday_mean=weekday_mean,
        base_daily=base, campaigns=fits, one_off_bursts=one_off, provider_mix=mix,
        hard_bounce_rate=_rate(hard_all, sent), unknown_user_rate=_rate(hard, sent),
        soft_bounce_rate=_rate(sum(st.soft_bounces.values()), sent),
        complaint_rate=_rate(fbl_complaints, fbl_delivered) if complaints_exported else None,
        open_rate=_rate(opens, delivered) if opens is not None else None,
        list_size=(max(1, round(st.recipients.estimate())) if st.uses_send_events else None),
        delivered=delivered,
        delay_p50_ms=st.delay_quantile_ms(0.5), delay_p90_ms=st.delay_quantile_ms(0.9),
        delay_p99_ms=st.delay_quantile_ms(0.99),
        delay_mean_ms=st.delay_sum_ms / n_delays if n_delays else None,
        delayed_recipients=sum(st.delay_types.values()),
        outgoing_ips=ips, pool_guess=pool_guess, events=dict(st.events))


def derive(profile: Profile) -> ProfileFigures:
    """Measured figures for every stream with volume (streams without are dropped)."""
    first, days = _span(profile)
    complaints = any(st.events.get("Complaint") for st in profile.streams.values())
    streams = [_stream(st, first, days, complaints)
               for _, st in sorted(profile.streams.items()) if st.sent > 0]
    return ProfileFigures(first, days, streams, complaints)
