"""What goes into and comes out of the sending engine: small frozen records.

A :class:`Batch` is what a caller submits: a cohort of ``count`` messages of one
stream to one provider (simulation), or one addressed message (``recipient``
set, ``count == 1``; real sending). The engine answers :meth:`Engine.poll` with
:class:`Attempt` records; the transport makes each attempt and hands back a
list of :class:`Outcome` (how many messages got which reply). Everything the
engine decided is published as one of the event records at the bottom; they are
flat, so a list of them is trivially a DataFrame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sessim.engine.replies import Classification, Reply


@dataclass(frozen=True, slots=True)
class Batch:
    stream: str
    provider: str
    config_set: str
    count: int = 1
    recipient: str | None = None
    message_id: str | None = None
    # Opaque to the engine: what the transport needs to make the attempt
    # (list quality in simulation, the rendered message in real sending).
    payload: Any = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"a batch holds at least one message, got count={self.count}")
        if self.recipient is not None and self.count != 1:
            raise ValueError("an addressed batch holds exactly one message")


@dataclass(frozen=True, slots=True)
class Attempt:
    """Try to deliver ``count`` messages of ``batch`` through ``pool`` now."""

    id: int
    batch: Batch
    pool: str
    count: int
    attempt_no: int
    first_submitted: float


@dataclass(frozen=True, slots=True)
class Outcome:
    """``count`` messages of an attempt got ``reply``; ``payload`` replaces the
    batch payload for the messages that will be retried (optional)."""

    count: int
    reply: Reply
    payload: Any = None


# ---------------------------------------------------------------- published events
@dataclass(frozen=True, slots=True)
class Sent:
    time: float
    batch: Batch
    count: int


@dataclass(frozen=True, slots=True)
class Suppressed:
    """Accepted, not sent: the address is on the account suppression list."""

    time: float
    batch: Batch
    count: int
    reason: str


@dataclass(frozen=True, slots=True)
class Delivered:
    time: float
    attempt: Attempt
    count: int
    delay_s: float
    reply: Reply


@dataclass(frozen=True, slots=True)
class Delayed:
    """A DeliveryDelay: the messages stay queued and will be retried."""

    time: float
    attempt: Attempt
    count: int
    classification: Classification
    reply: Reply
    retry_at: float


@dataclass(frozen=True, slots=True)
class Bounced:
    time: float
    attempt: Attempt
    count: int
    classification: Classification
    reply: Reply
    expired: bool = False


@dataclass(frozen=True, slots=True)
class Rejected:
    """The relay refused the messages outright (e.g. the SES account is paused)."""

    time: float
    attempt: Attempt
    count: int
    reply: Reply


@dataclass(frozen=True, slots=True)
class Overflowed:
    """Over the pool's warm-up cap: sent through another pool instead."""

    time: float
    batch: Batch
    count: int
    from_pool: str
    to_pool: str


@dataclass(frozen=True, slots=True)
class Held:
    """Over a cap or rate: kept in the queue until ``until`` (a SendingDeferral)."""

    time: float
    batch: Batch
    count: int
    pool: str
    reason: str
    until: float


@dataclass(frozen=True, slots=True)
class ShapingChanged:
    time: float
    pool: str
    provider: str
    rule: str
    action: str
    until: float
    limit_per_hour: float | None


EngineEvent = (Sent | Suppressed | Delivered | Delayed | Bounced | Rejected | Overflowed | Held
               | ShapingChanged)
