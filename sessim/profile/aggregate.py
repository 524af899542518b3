"""Streaming statistics over SES events: counters whose size does not grow with volume.

Everything kept per stream is either a counter keyed by a bounded set (hour of
the export, provider, bounce subtype, outgoing IP) or a fixed-size structure: a
log-scale histogram for delivery delays and a linear-counting bitmap for
distinct opened messages and distinct recipients. Memory therefore grows with
the export's time span and number of configuration sets, not with its size.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from dataclasses import dataclass, field

from sessim.profile.readers import BadInput
from sessim.profile.records import Event, provider_of

DEFAULT_STREAM = "default"
MAX_IPS = 10_000
# Delivery delay histogram: bucket i holds delays in [2**(i/16) - 1, 2**((i+1)/16) - 1) ms,
# so a quantile is within about 2% of the true delay.
_PER_OCTAVE = 16
_DELAY_BUCKETS = _PER_OCTAVE * 40
_LOG2 = math.log(2.0)


class DistinctCounter:
    """Estimate of the number of distinct strings seen (linear counting, fixed memory).

    With the default 2**24 bits (2 MiB) the estimate is within about 1% up to a
    few tens of millions of distinct values; past saturation it reports a floor.
    CRC-32 keeps it deterministic across processes.
    """

    def __init__(self, bits: int = 1 << 24) -> None:
        self.bits = bits
        self._mask = bits - 1
        self._map = bytearray(bits // 8)
        self._set = 0

    def add(self, value: str) -> None:
        h = zlib.crc32(value.encode()) & self._mask
        byte, bit = h >> 3, 1 << (h & 7)
        if not self._map[byte] & bit:
            self._map[byte] |= bit
            self._set += 1

    def estimate(self) -> float:
        empty = self.bits - self._set
        if empty == 0:
            return float(self.bits * math.log(self.bits))  # saturated: a floor
        return -self.bits * math.log(empty / self.bits)


def _delay_bucket(ms: float) -> int:
    return min(_DELAY_BUCKETS - 1, int(_PER_OCTAVE * math.log(ms + 1.0) / _LOG2))


def _bucket_mid_ms(i: int) -> float:
    return 2 ** ((i + 0.5) / _PER_OCTAVE) - 1


@dataclass
class StreamStats:
    """Counters for one configuration set."""

    name: str
    sends_by_hour: Counter[str] = field(default_factory=Counter)
    outcomes_by_hour: Counter[str] = field(default_factory=Counter)
    send_providers: Counter[str] = field(default_factory=Counter)
    outcome_providers: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)
    delivered_by_provider: Counter[str] = field(default_factory=Counter)
    complaints_by_provider: Counter[str] = field(default_factory=Counter)
    hard_bounces: Counter[str] = field(default_factory=Counter)
    soft_bounces: Counter[str] = field(default_factory=Counter)
    other_bounces: int = 0
    delay_types: Counter[str] = field(default_factory=Counter)
    delay_hist: list[int] = field(default_factory=lambda: [0] * _DELAY_BUCKETS)
    delay_sum_ms: float = 0.0
    outgoing_ips: Counter[str] = field(default_factory=Counter)
    opened: DistinctCounter = field(default_factory=DistinctCounter)
    recipients: DistinctCounter = field(default_factory=DistinctCounter)

    # -- derived figures
    @property
    def uses_send_events(self) -> bool:
        return bool(self.sends_by_hour)

    @property
    def volume_by_hour(self) -> Counter[str]:
        """Recipients sent per "YYYY-MM-DDTHH": Send events, else deliveries + bounces."""
        return self.sends_by_hour if self.uses_send_events else self.outcomes_by_hour

    @property
    def sent(self) -> int:
        return sum(self.volume_by_hour.values())

    @property
    def provider_counts(self) -> Counter[str]:
        return self.send_providers if self.uses_send_events else self.outcome_providers

    @property
    def delivered(self) -> int:
        return sum(self.delivered_by_provider.values())

    @property
    def delays_measured(self) -> int:
        return sum(self.delay_hist)

    def delay_quantile_ms(self, q: float) -> float | None:
        total = self.delays_measured
        if not total:
            return None
        target, seen = q * total, 0
        for i, n in enumerate(self.delay_hist):
            seen += n
            if seen >= target:
                return _bucket_mid_ms(i)
        return _bucket_mid_ms(_DELAY_BUCKETS - 1)


@dataclass
class Profile:
    """All streams' counters plus what could not be used."""

    streams: dict[str, StreamStats] = field(default_factory=dict)
    records: int = 0
    files: int = 0
    bad: int = 0
    bad_examples: list[BadInput] = field(default_factory=list)
    bad_reasons: Counter[str] = field(default_factory=Counter)
    max_examples: int = 5

    def stream(self, name: str | None) -> StreamStats:
        st = self.streams.get(name or DEFAULT_STREAM)
        if st is None:
            key = name or DEFAULT_STREAM
            st = self.streams[key] = StreamStats(key)
        return st

    def add_bad(self, bad: BadInput) -> None:
        self.bad += 1
        self.bad_reasons[bad.reason.split(":")[0]] += 1
        if len(self.bad_examples) < self.max_examples:
            self.bad_examples.append(bad)

    def add(self, ev: Event) -> None:
        """Count one event."""
        self.records += 1
        st = self.streams.get(ev.config_set or DEFAULT_STREAM) or self.stream(ev.config_set)
        kind = ev.kind
        st.events[kind] += 1
        n = len(ev.recipients)
        if kind == "Send":
            st.sends_by_hour[ev.hour_key] += n
            for r in ev.recipients:
                st.send_providers[provider_of(r)] += 1
                st.recipients.add(r)
        elif kind == "Delivery":
            st.outcomes_by_hour[ev.hour_key] += n
            for r in ev.recipients:
                p = provider_of(r)
                st.delivered_by_provider[p] += 1
                st.outcome_providers[p] += 1
            if ev.processing_ms is not None:
                st.delay_hist[_delay_bucket(ev.processing_ms)] += n
                st.delay_sum_ms += ev.processing_ms * n
            ip = ev.outgoing_ip
            if ip and (ip in st.outgoing_ips or len(st.outgoing_ips) < MAX_IPS):
                st.outgoing_ips[ip] += n
        elif kind == "Bounce":
            st.outcomes_by_hour[ev.hour_key] += n
            for r in ev.recipients:
                st.outcome_providers[provider_of(r)] += 1
            if ev.bounce_type == "Permanent":
                st.hard_bounces[ev.bounce_subtype or "General"] += n
            elif ev.bounce_type == "Transient":
                st.soft_bounces[ev.bounce_subtype or "General"] += n
            else:
                st.other_bounces += n
        elif kind == "Complaint":
            for r in ev.recipients:
                st.complaints_by_provider[provider_of(r)] += 1
        elif kind == "Open":
            st.opened.add(ev.message_id)
        elif kind == "DeliveryDelay":
            st.delay_types[ev.delay_type or "Undetermined"] += n
        elif kind == "Reject":
            st.outcomes_by_hour[ev.hour_key] += n

