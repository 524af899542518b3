"""Collects one option's run into arrays, and turns them into tidy frames at the end.

Counts go into a (day, provider, metric) array while running; pandas is used
only once, at the end.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
import pandas as pd

from sessim.engine.events import (
    Bounced,
    Delayed,
    Delivered,
    EngineEvent,
    Overflowed,
    Rejected,
    Sent,
    Suppressed,
)

COUNTS = ("sent", "attempts", "accepted", "deferred", "bounced_hard", "bounced_soft", "blocked",
          "rejected", "suppressed", "overflow", "inbox", "spam", "complaints", "opens", "traps")
# State at the end of each day.
SNAPSHOTS = ("queued", "reputation", "ip_reputation", "domain_reputation", "warmup_pct", "ips")


class Recorder:
    def __init__(self, days: int, providers: list[str]) -> None:
        self.providers = providers
        self.index = {p: i for i, p in enumerate(providers)}
        self.counts = np.zeros((days, len(providers), len(COUNTS)))
        self.snap = np.zeros((days, len(providers), len(SNAPSHOTS)))
        self.levels = np.full((days, len(providers)), "NONE", dtype=object)
        self.cost = np.zeros(days)
        self.account_rows: list[dict] = []
        self.delays: dict[int, float] = defaultdict(float)  # delay in minutes -> messages
        self.day = 0
        self._col = {m: i for i, m in enumerate(COUNTS)}

    def add_per_provider(self, metrics: tuple[str, ...], counts: np.ndarray) -> None:
        """Add ``counts`` (one row per metric, one column per provider) to today."""
        self.counts[self.day, :, [self._col[m] for m in metrics]] += counts

    def events(self, events: list[EngineEvent]) -> None:
        for ev in events:
            if isinstance(ev, Delivered):
                self._add(ev.attempt.batch.provider, ("attempts", "accepted"), ev.count)
                self.delays[int(round(ev.delay_s / 60.0))] += ev.count
            elif isinstance(ev, Delayed):
                self._add(ev.attempt.batch.provider, ("attempts", "deferred"), ev.count)
            elif isinstance(ev, Bounced):
                c = ev.classification
                kind = ("blocked" if c.ip_block else "bounced_hard"
                        if c.bounce_type == "Permanent" else "bounced_soft")
                # An expired message bounces without a new attempt.
                self._add(ev.attempt.batch.provider, (kind,) if ev.expired else ("attempts", kind),
                          ev.count)
            elif isinstance(ev, Sent):
                self._add(ev.batch.provider, ("sent",), ev.count)
            elif isinstance(ev, Suppressed):
                self._add(ev.batch.provider, ("sent", "suppressed"), ev.count)
            elif isinstance(ev, Rejected):
                self._add(ev.attempt.batch.provider, ("rejected",), ev.count)
            elif isinstance(ev, Overflowed):
                self._add(ev.batch.provider, ("overflow",), ev.count)

    def _add(self, provider: str, metrics: tuple[str, ...], count: int) -> None:
        p = self.index[provider]
        for m in metrics:
            self.counts[self.day, p, self._col[m]] += count

    # ------------------------------------------------------------- frames
    def daily(self, option: str, start: dt.date) -> pd.DataFrame:
        days, providers = self.counts.shape[:2]
        sent = self.counts[:, :, self._col["sent"]]
        share = np.divide(sent, sent.sum(axis=1, keepdims=True),
                          out=np.full(sent.shape, 1.0 / providers),
                          where=sent.sum(axis=1, keepdims=True) > 0)
        frame = pd.DataFrame({
            "day": np.repeat(np.arange(days), providers),
            "date": np.repeat([(start + dt.timedelta(days=d)).isoformat() for d in range(days)],
                              providers),
            "option": option,
            "provider": np.tile(self.providers, days),
        })
        for i, m in enumerate(COUNTS):
            frame[m] = self.counts[:, :, i].reshape(-1).astype(np.int64)
        for i, m in enumerate(SNAPSHOTS):
            frame[m] = self.snap[:, :, i].reshape(-1)
        for m in ("ips", "queued"):
            frame[m] = frame[m].astype(np.int64)
        frame["reputation_level"] = self.levels.reshape(-1)
        frame["cost_usd"] = (self.cost[:, None] * share).reshape(-1)
        return frame

    def delay_stats(self) -> tuple[float, float]:
        """Mean and 95th percentile of delivery delay, in seconds."""
        if not self.delays:
            return 0.0, 0.0
        minutes = np.array(sorted(self.delays))
        weights = np.array([self.delays[m] for m in minutes])
        mean = float((minutes * weights).sum() / weights.sum()) * 60
        cum = np.cumsum(weights) / weights.sum()
        p95 = float(minutes[np.searchsorted(cum, 0.95)]) * 60
        return mean, p95
