"""Counting limits the engine enforces: token buckets, rolling windows, suppression."""

from __future__ import annotations

from collections import deque


class TokenBucket:
    """``rate`` tokens per second, holding at most ``burst`` (a short burst is
    tolerated, FACTS.md "SES account")."""

    def __init__(self, rate_per_s: float, burst: float, now: float = 0.0) -> None:
        self.rate = rate_per_s
        self.burst = max(burst, 1.0)
        self.tokens = self.burst
        self.stamp = now

    def available(self, now: float) -> int:
        if now > self.stamp:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
        return int(self.tokens + 1e-9)  # refills land on whole tokens despite rounding

    def take(self, n: int) -> None:
        self.tokens -= n

    def when_available(self, now: float, n: int = 1) -> float:
        """The earliest time ``n`` tokens will be there (``now`` if already)."""
        missing = n - self.tokens
        return now if missing <= 0 else now + missing / self.rate


class RollingWindow:
    """Sum of counts over the last ``span_s`` seconds (the SES 24 h quota)."""

    def __init__(self, span_s: float) -> None:
        self.span = span_s
        self.entries: deque[tuple[float, int]] = deque()
        self.total = 0

    def _expire(self, now: float) -> None:
        while self.entries and self.entries[0][0] <= now - self.span:
            self.total -= self.entries.popleft()[1]

    def used(self, now: float) -> int:
        self._expire(now)
        return self.total

    def add(self, now: float, n: int) -> None:
        if self.entries and self.entries[-1][0] == now:
            self.entries[-1] = (now, self.entries[-1][1] + n)
        else:
            self.entries.append((now, n))
        self.total += n

    def next_expiry(self, now: float) -> float:
        self._expire(now)
        return self.entries[0][0] + self.span if self.entries else now


class Suppression:
    """The account-level suppression list (FACTS.md "Suppression").

    Addressed mail is checked by address. A cohort of anonymous messages drawn
    from a stream's list of ``list_size`` addresses hits the suppressed
    addresses in proportion: ``count * suppressed / list_size``.
    """

    def __init__(self, list_sizes: dict[str, int | None] | None = None) -> None:
        self.addresses: dict[str, str] = {}
        self.list_sizes = list_sizes or {}
        self.counts: dict[tuple[str, str], int] = {}

    def add(self, stream: str, reason: str, count: int = 1, address: str | None = None) -> None:
        if address is not None:
            if address.lower() in self.addresses:
                return
            self.addresses[address.lower()] = reason
        self.counts[stream, reason] = self.counts.get((stream, reason), 0) + count

    def suppressed(self, stream: str, reason: str | None = None) -> int:
        """How many of a stream's addresses are suppressed (for one reason, or all)."""
        return sum(n for (s, r), n in self.counts.items()
                   if s == stream and (reason is None or r == reason))

    def check(self, stream: str, count: int, address: str | None) -> tuple[int, str]:
        """How many of ``count`` messages are suppressed, and the main reason."""
        if address is not None:
            reason = self.addresses.get(address.lower())
            return (1, reason) if reason else (0, "")
        size = self.list_sizes.get(stream)
        total = self.suppressed(stream)
        if not size or not total:
            return 0, ""
        bounce = self.counts.get((stream, "BOUNCE"), 0)
        reason = "BOUNCE" if bounce * 2 >= total else "COMPLAINT"
        return min(count, round(count * min(1.0, total / size))), reason
