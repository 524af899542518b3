"""Synthetic SES event exports of a known traffic pattern (for tests and benchmarks).

:func:`synth_records` draws, with its own seeded ``random.Random`` (scalar
draws are much faster there than with numpy, and this is per-message work), the records SES
would publish for a :class:`KnownTraffic`: a steady stream with an hourly
profile and a weekly campaign stream, with a known provider mix, hard- and
soft-bounce, complaint and open rates, and delivery delays. The records have
the shape of the AWS examples (``fixtures/ses-events``).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

DOMAINS = {"gmail": ("gmail.com", "googlemail.com"),
           "microsoft": ("outlook.com", "hotmail.co.uk", "live.com", "msn.com"),
           "yahoo": ("yahoo.com", "aol.com", "ymail.com", "yahoo.fr"),
           "apple": ("icloud.com", "me.com", "mac.com"),
           "other": ("example.org", "comcast.net", "gmx.de")}
FBL_PROVIDERS = ("microsoft", "yahoo", "other")  # sessim.providers: feedback_loop=True


def _day_profile() -> list[float]:
    weights = [1, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9, 9, 9, 9, 9, 8, 8, 7, 6, 5, 4, 3, 2, 1]
    total = sum(weights)
    return [w / total for w in weights]


@dataclass(frozen=True)
class KnownTraffic:
    """The truth a synthetic export is drawn from."""

    start: dt.date = dt.date(2026, 3, 2)  # a Monday
    days: int = 30
    steady_name: str = "transactional"
    steady_daily: int = 500
    hourly_profile: list[float] = field(default_factory=_day_profile)
    campaign_name: str = "marketing"
    campaign_weekday: int = 1  # Tuesday
    campaign_hour: int = 14
    campaign_spread_hours: int = 3
    campaign_volume: int = 4000
    campaign_list_size: int = 6000
    provider_mix: dict[str, float] = field(default_factory=lambda: {
        "gmail": 0.5, "microsoft": 0.15, "yahoo": 0.2, "apple": 0.05, "other": 0.1})
    hard_bounce_rate: float = 0.01
    soft_bounce_rate: float = 0.005
    complaint_rate: float = 0.002  # of deliveries to feedback-loop providers
    open_rate: float = 0.3
    delay_median_ms: float = 1500.0
    outgoing_ips: tuple[str, ...] = ("192.0.2.10", "192.0.2.11")
    full_headers: bool = False  # add the header blocks AWS's examples carry


def _iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


class _Drawer:
    def __init__(self, truth: KnownTraffic, seed: int) -> None:
        self.t = truth
        self.rng = random.Random(seed)
        self.providers = list(truth.provider_mix)
        self.cum = list(itertools.accumulate(truth.provider_mix[p] for p in self.providers))
        self.count = 0

    def mail(self, when: dt.datetime, address: str, config_set: str) -> dict[str, Any]:
        self.count += 1
        mid = f"{self.count:016x}-{self.rng.getrandbits(62):016x}-000000"
        mail: dict[str, Any] = {
            "timestamp": _iso(when), "source": "sender@example.com",
            "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/sender@example.com",
            "sendingAccountId": "123456789012", "messageId": mid, "destination": [address],
            "headersTruncated": False,
            "tags": {"ses:configuration-set": [config_set], "ses:source-ip": ["198.51.100.7"],
                     "ses:from-domain": ["example.com"], "ses:caller-identity": ["ses_user"]}}
        if self.t.full_headers:
            mail["headers"] = [{"name": "From", "value": "sender@example.com"},
                               {"name": "To", "value": address},
                               {"name": "Subject", "value": "Your order has shipped"},
                               {"name": "MIME-Version", "value": "1.0"},
                               {"name": "Content-Type", "value": "text/html; charset=UTF-8"}]
            mail["commonHeaders"] = {"from": ["sender@example.com"], "to": [address],
                                     "messageId": mid, "subject": "Your order has shipped"}
        return mail

    def address(self, user: int) -> tuple[str, str]:
        # A user's provider is fixed (a hash of the user number), as an address is.
        u = (user * 2654435761 % (1 << 32)) / (1 << 32) * self.cum[-1]
        provider = self.providers[min(bisect.bisect(self.cum, u), len(self.cum) - 1)]
        domains = DOMAINS[provider]
        return f"user{user}@{domains[user % len(domains)]}", provider

    def message(self, when: dt.datetime, user: int, config_set: str
                ) -> Iterator[dict[str, Any]]:
        address, provider = self.address(user)
        mail = self.mail(when, address, config_set)
        yield {"eventType": "Send", "mail": mail, "send": {}}
        later = _iso(when + dt.timedelta(seconds=2))
        u = self.rng.random()
        t = self.t
        if u < t.hard_bounce_rate + t.soft_bounce_rate:
            hard = u < t.hard_bounce_rate
            yield {"eventType": "Bounce", "mail": mail, "bounce": {
                "bounceType": "Permanent" if hard else "Transient",
                "bounceSubType": "General" if hard else "MailboxFull",
                "bouncedRecipients": [{"emailAddress": address, "action": "failed",
                                       "status": "5.1.1" if hard else "4.2.2"}],
                "timestamp": later, "feedbackId": mail["messageId"],
                "reportingMTA": "dsn; a1-2.smtp-out.amazonses.com"}}
            return
        ms = int(self.rng.lognormvariate(math.log(t.delay_median_ms), 0.8))
        ip = self.rng.choice(t.outgoing_ips)
        delivered = {**mail, "tags": {**mail["tags"], "ses:outgoing-ip": [ip]}}
        yield {"eventType": "Delivery", "mail": delivered, "delivery": {
            "timestamp": later, "processingTimeMillis": ms, "recipients": [address],
            "smtpResponse": "250 2.6.0 Message received", "reportingMTA": "a8-70.smtp-out"}}
        if provider in FBL_PROVIDERS and self.rng.random() < t.complaint_rate:
            yield {"eventType": "Complaint", "mail": mail, "complaint": {
                "complainedRecipients": [{"emailAddress": address}], "timestamp": later,
                "feedbackId": mail["messageId"], "complaintFeedbackType": "abuse"}}
        if self.rng.random() < t.open_rate:
            for _ in range(1 + int(self.rng.random() < 0.3)):  # some open twice
                yield {"eventType": "Open", "mail": mail, "open": {
                    "ipAddress": "192.0.2.1", "timestamp": later, "userAgent": "Mozilla/5.0"}}


def synth_records(truth: KnownTraffic | None = None, seed: int = 0) -> Iterator[dict[str, Any]]:
    """SES event records (event-publishing form) for ``truth``, in time order per day."""
    truth = truth or KnownTraffic()
    d = _Drawer(truth, seed)
    hour_cum = list(itertools.accumulate(truth.hourly_profile))
    user_base = 10 * truth.campaign_list_size
    for day in range(truth.days):
        date = truth.start + dt.timedelta(days=day)
        midnight = dt.datetime(date.year, date.month, date.day)
        sends: list[tuple[float, int, str]] = []
        for h in d.rng.choices(range(24), cum_weights=hour_cum, k=truth.steady_daily):
            second = h * 3600 + d.rng.random() * 3600
            sends.append((second, user_base + d.rng.getrandbits(30), truth.steady_name))
        if date.weekday() == truth.campaign_weekday:
            users = d.rng.sample(range(truth.campaign_list_size), truth.campaign_volume)
            start = truth.campaign_hour * 3600
            for user in users:
                second = start + d.rng.random() * truth.campaign_spread_hours * 3600
                sends.append((second, user, truth.campaign_name))
        sends.sort()
        for second, user, name in sends:
            yield from d.message(midnight + dt.timedelta(seconds=second), user, name)


def sns_wrap(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` as an SNS notification of the identity-notification form."""
    inner = {"notificationType" if k == "eventType" else k: v for k, v in record.items()}
    return {"Type": "Notification", "MessageId": record["mail"]["messageId"],
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses-events",
            "Message": json.dumps(inner), "Timestamp": record["mail"]["timestamp"]}
