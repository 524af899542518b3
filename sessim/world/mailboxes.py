"""Mailbox providers: reputation with memory, acceptance capacity, filtering, blocks.

State is held in numpy arrays indexed by (IP group, provider); an IP group is
a pool's set of identical IPs (the shared pool is one group). The equations are
in docs/model.md; in short, per (group, provider) and per (domain, provider):

* signals (complaints per inboxed message; unknown users and spam traps per
  message) are averaged over ``signal_hours``;
* the target score is ``prod_k 0.5 ** ((rate_k / half_k) ** 2)``; the score
  moves toward it within ``fall_hours`` when falling and ``rise_days`` when
  rising (repair is slower than damage);
* an IP counts as *known* to the provider in proportion to how regularly it
  sends ``known_volume_per_day``: ``regular`` is the share of recent days it did
  (decaying over ``volume_memory_days``) and ``known = min(1, 2 * regular)``, so
  an IP seen on half the days is known, while an idle or weekly IP drifts back
  toward ``unknown_score``;
* hourly capacity per IP is ``max(cold_ip_per_hour, growth_per_day * peak,
  established_ip_per_hour * trust)`` where ``peak`` is the IP's recent busiest
  hour (also decaying) and ``trust`` grows as the IP becomes known with a good
  score; scaled down when the IP's score is low;
* inbox share is a logistic function of ``domain_weight * domain score +
  (1 - domain_weight) * IP score``; below ``block_below`` a growing share is
  rejected with the provider's 5xx.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sessim.scenario import Provider


def level_of(score: float, known: float) -> str:
    """Postmaster-style level: NONE for an IP the provider hardly knows."""
    if known < 0.5:
        return "NONE"
    return "HIGH" if score >= 0.8 else "MEDIUM" if score >= 0.6 else "LOW" if score >= 0.35 \
        else "BAD"


@dataclass
class Params:
    """Provider parameters as arrays over providers (vectorised lookups)."""

    names: list[str]
    values: dict[str, np.ndarray]

    @classmethod
    def from_providers(cls, providers: dict[str, Provider]) -> Params:
        values = {f: np.array([_num(getattr(p, f)) for p in providers.values()], float)
                  for f in sorted(_NUMERIC)}
        return cls(list(providers), values)

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


_NUMERIC = {"market_share", "cold_ip_per_hour", "established_ip_per_hour", "growth_per_day",
            "volume_memory_days",
            "known_volume_per_day", "unknown_score", "complaint_rate_half",
            "unknown_user_rate_half", "spam_trap_rate_half", "fall_hours", "rise_days",
            "signal_hours", "domain_weight", "inbox_midpoint", "inbox_steepness", "block_below",
            "bulk_threshold_per_day", "noncompliant_reject_share", "escalate_after_hours",
            "escalation_block_hours", "ignored_deferral_share", "feedback_loop"}


def _num(value: object) -> float:
    return math.nan if value is None else float(value)


class Reputation:
    """Scores of entities (IP groups, or the domain) at each provider."""

    def __init__(self, shape: tuple[int, int], params: Params, initial: np.ndarray) -> None:
        self.p = params
        self.score = np.broadcast_to(initial, shape).astype(float).copy()
        self.num = np.zeros((3, *shape))
        self.den_sent = np.zeros(shape)
        self.den_inbox = np.zeros(shape)
        # this tick's raw signals
        self.tick = np.zeros((5, *shape))  # sent, inbox, complaints, unknown, traps
        self._hours = None

    def target(self) -> np.ndarray:
        p = self.p
        rates = (self.num[0] / np.maximum(self.den_inbox, 1e-9),
                 self.num[1] / np.maximum(self.den_sent, 1e-9),
                 self.num[2] / np.maximum(self.den_sent, 1e-9))
        halves = (p.complaint_rate_half, p.unknown_user_rate_half, p.spam_trap_rate_half)
        exponent = sum((r / h) ** 2 for r, h in zip(rates, halves))
        return 0.5 ** exponent

    def end_tick(self, hours: float) -> None:
        if hours != self._hours:  # per-tick factors, computed once
            p = self.p
            self._hours = hours
            self._keep = np.exp(-hours / p.signal_hours)
            self._fall = 1 - np.exp(-hours / p.fall_hours)
            self._rise = 1 - np.exp(-hours / (p.rise_days * 24))
        keep = self._keep
        t = self.tick
        self.den_sent *= keep
        self.den_sent += t[0]
        self.den_inbox *= keep
        self.den_inbox += t[1]
        self.num *= keep
        self.num += t[2:]
        t[:] = 0.0
        target = self.target()
        rate = np.where(target < self.score, self._fall, self._rise)
        rate[self.den_sent <= 1.0] = 0.0  # no mail, no news
        self.score += (target - self.score) * rate

    def steady_score(self, complaint_rate: float, unknown_rate: float,
                     trap_rate: float) -> np.ndarray:
        """The score a sender of this quality settles at (used to start established entities)."""
        p = self.p
        return 0.5 ** ((complaint_rate / p.complaint_rate_half) ** 2
                       + (unknown_rate / p.unknown_user_rate_half) ** 2
                       + (trap_rate / p.spam_trap_rate_half) ** 2)


class Mailboxes:
    """All providers' view of one option's IP groups and the sender's domain."""

    def __init__(self, params: Params, ip_counts: list[int], known: list[float],
                 peak_per_ip: np.ndarray, ip_scores: np.ndarray, domain_score: np.ndarray) -> None:
        self.p = params
        groups, providers = len(ip_counts), len(params.names)
        shape = (groups, providers)
        self.ip_count = np.array(ip_counts, float)
        # One reputation state for all entities: the IP groups, then the domain (last row).
        self.rep = Reputation((groups + 1, providers), params,
                              np.vstack([np.broadcast_to(ip_scores, shape), domain_score]))
        self.domain_row = groups
        self.regular = np.broadcast_to(np.array(known, float)[:, None], shape).copy()
        self.peak = np.broadcast_to(peak_per_ip, shape).astype(float).copy()
        # The shared pool stays established: its busiest hour never decays below its start.
        self.peak_floor = self.peak.copy()
        self.day_max_hour = np.zeros(shape)
        self.day_accepted = np.zeros(shape)
        self.used = np.zeros(shape)
        self.load = np.zeros(shape)  # other tenants' mail on the group this tick
        self.attempts = np.zeros(shape)
        self.deferred = np.zeros(shape)
        self.streak_h = np.zeros(shape)
        self.blocked_until = np.full(shape, -np.inf)
        self.capacity = np.zeros(shape)

    # -------------------------------------------------------------- per tick
    def ip_effective(self) -> np.ndarray:
        """IP score as filtering uses it: an unknown IP counts as ``unknown_score``."""
        known = self.known()
        return known * self.ip_score + (1 - known) * self.p.unknown_score

    def known(self) -> np.ndarray:
        """How well each provider knows each IP group, 0..1."""
        return np.minimum(1.0, 2.0 * self.regular)

    @property
    def ip_score(self) -> np.ndarray:
        return self.rep.score[:self.domain_row]

    @property
    def domain_score(self) -> np.ndarray:
        return self.rep.score[self.domain_row]

    def effective(self) -> np.ndarray:
        w = self.p.domain_weight
        return w * self.domain_score + (1 - w) * self.ip_effective()

    def shares(self) -> tuple[np.ndarray, np.ndarray]:
        """(inbox share, block share) per (group, provider) at the current scores."""
        p, eff = self.p, self.effective()
        inbox = 1.0 / (1.0 + np.exp(-(eff - p.inbox_midpoint) * p.inbox_steepness))
        low = p.block_below
        return inbox, np.clip((low - eff) / np.maximum(low, 1e-9), 0.0, 1.0)

    def start_tick(self, hours: float) -> None:
        p = self.p
        trusted = self.known() * np.clip((self.ip_score - 0.6) / 0.3, 0.0, 1.0)
        per_ip = np.maximum(np.maximum(p.cold_ip_per_hour, p.growth_per_day * self.peak),
                            p.established_ip_per_hour * trusted)
        health = np.clip(self.ip_effective() / 0.5, 0.1, 1.0)
        self.capacity = per_ip * health * self.ip_count[:, None] * hours
        self.used[:] = self.load
        self.attempts[:] = 0.0
        self.deferred[:] = 0.0

    def end_tick(self, now: float, hours: float) -> None:
        """Update reputation, the busiest hour and the ignored-deferral streaks."""
        self.rep.end_tick(hours)
        accepted_h = np.minimum(self.used, self.capacity) / hours
        self.day_max_hour = np.maximum(self.day_max_hour, accepted_h / self.ip_count[:, None])
        ignoring = (self.attempts > 0) & (
            self.deferred > self.p.ignored_deferral_share * self.attempts)
        self.streak_h = np.where(ignoring, self.streak_h + hours, 0.0)
        escalate = ignoring & (self.streak_h >= np.nan_to_num(self.p.escalate_after_hours,
                                                              nan=np.inf))
        self.blocked_until = np.where(
            escalate, now + hours * 3600 + self.p.escalation_block_hours * 3600,
            self.blocked_until)
        self.streak_h = np.where(escalate, 0.0, self.streak_h)

    def end_day(self) -> None:
        keep = 0.5 ** (1.0 / self.p.volume_memory_days)
        per_ip = self.day_accepted / self.ip_count[:, None]
        regular = np.minimum(1.0, per_ip / self.p.known_volume_per_day)
        self.regular = self.regular * keep + (1 - keep) * regular
        self.peak = np.maximum(np.maximum(self.peak * keep, self.day_max_hour), self.peak_floor)
        self.day_max_hour[:] = 0.0
        self.day_accepted[:] = 0.0

    def set_ip_count(self, group: int, count: int) -> None:
        self.ip_count[group] = count
