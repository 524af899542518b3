"""The SES account: bounce and complaint rates as SES computes them, and its status.

FACTS.md "Enforcement": rates are measured over the account's last
``representative_volume`` eligible sends (about 10,000), whatever the span.
Bounce rate counts hard bounces only (not blocks, not suppressed sends);
complaint rate counts feedback-loop complaints over mail delivered to providers
that have a feedback loop. Status moves Healthy -> Under review at the review
thresholds; Sending paused at the pause thresholds, or when a review period ends
with the rate still at review level. A paused account stays paused.
"""

from __future__ import annotations

from collections import deque

from sessim.scenario import Account as AccountSpec

STATUSES = ("Healthy", "Under review", "Sending paused")


class Account:
    def __init__(self, spec: AccountSpec) -> None:
        self.spec = spec
        self.status = "Healthy"
        self.worst = "Healthy"
        self.review_since: float | None = None
        # per tick: (eligible sends, hard bounces, FBL-eligible deliveries, FBL complaints)
        self.window: deque[list[float]] = deque()
        self.tick = [0.0, 0.0, 0.0, 0.0]
        self.totals = [0.0, 0.0, 0.0, 0.0]
        self.day_rates: list[tuple[float, float]] = []

    @property
    def paused(self) -> bool:
        return self.status == "Sending paused"

    def observe(self, eligible: float, hard_bounces: float, fbl_delivered: float,
                complaints: float) -> None:
        t = self.tick
        t[0] += eligible
        t[1] += hard_bounces
        t[2] += fbl_delivered
        t[3] += complaints

    def rates(self) -> tuple[float, float]:
        """(bounce rate, complaint rate) over the last representative volume."""
        sent, bounces, fbl, complaints = self.totals
        excess = sent - self.spec.representative_volume
        if excess > 0 and self.window:  # count only the needed part of the oldest tick
            oldest = self.window[0]
            part = excess / oldest[0]
            sent, bounces = sent - excess, bounces - oldest[1] * part
            fbl, complaints = fbl - oldest[2] * part, complaints - oldest[3] * part
        return (bounces / sent if sent > 0 else 0.0, complaints / fbl if fbl > 0 else 0.0)

    def end_tick(self, now: float) -> None:
        self.window.append(self.tick)
        self.totals = [a + b for a, b in zip(self.totals, self.tick)]
        self.tick = [0.0, 0.0, 0.0, 0.0]
        need = self.spec.representative_volume
        while len(self.window) > 1 and self.totals[0] - self.window[0][0] >= need:
            old = self.window.popleft()
            self.totals = [a - b for a, b in zip(self.totals, old)]
        if self.totals[0] >= self.spec.representative_volume / 10:
            self.day_rates.append(self.rates())

    def end_day(self, now: float) -> tuple[float, float]:
        """Judge the day: its mean hourly rates move the status. Returns those rates."""
        rates = tuple(float(sum(r) / len(self.day_rates)) for r in zip(*self.day_rates)) \
            if self.day_rates else self.rates()
        self.day_rates = []
        # Too little mail for SES to judge (assumption: under a tenth of the window).
        if self.totals[0] >= self.spec.representative_volume / 10:
            self._update_status(now, *rates)
        return rates

    def _update_status(self, now: float, bounce: float, complaint: float) -> None:
        if self.paused:
            return
        s = self.spec
        if bounce >= s.bounce_pause or complaint >= s.complaint_pause:
            self._set("Sending paused")
        elif bounce >= s.bounce_review or complaint >= s.complaint_review:
            if self.review_since is None:
                self.review_since = now
                self._set("Under review")
            elif now - self.review_since >= s.review_period_days * 86400:
                self._set("Sending paused")
        elif self.review_since is not None and \
                now - self.review_since >= s.review_period_days * 86400:
            self.review_since = None
            self._set("Healthy")

    def _set(self, status: str) -> None:
        self.status = status
        if STATUSES.index(status) > STATUSES.index(self.worst):
            self.worst = status
