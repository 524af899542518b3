"""SimTransport: hands the engine's attempts to the simulated SES account and providers.

For an attempt of ``n`` messages through an IP group to a provider it draws,
in order: the paused account's rejection, an escalation block, bulk-sender
rejections of non-compliant mail, reputation blocks, unknown users, full
mailboxes, then acceptance up to the group's remaining hourly capacity (the
rest deferred with the provider's throttling reply); of the accepted: inbox vs
spam folder, spam traps, complaints and opens. Each answer is a real SMTP reply
text (sessim.providers), classified by the engine exactly as in real sending.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache

import numpy as np

from sessim.engine.events import Attempt, Outcome
from sessim.engine.replies import Reply
from sessim.scenario import Authentication, Provider
from sessim.world.account import Account
from sessim.world.mailboxes import Mailboxes
from sessim.world.traffic import Quality

OK = Reply(250, "2.0.0", "OK")
PAUSED = Reply(554, None, "Message rejected: Sending paused for this account.")
PROVIDER_SIDE = ("inbox", "spam", "complaints", "opens", "traps")


def _binomial(rng: np.random.Generator, n: int, p: float) -> int:
    return int(rng.binomial(n, p)) if n > 0 and p > 0.0 else 0


@lru_cache(maxsize=4096)
def _full_mailboxes(quality: Quality) -> Quality:
    """A retry meets the still-full share of the full mailboxes again."""
    return replace(quality, unknown_user_rate=0.0,
                   mailbox_full_rate=quality.mailbox_full_persistence)


def provider_replies(provider: Provider, ip: str) -> dict[str, Reply]:
    return {k: Reply.parse(v.format(ip=ip, rcpt="recipient@example.com"))
            for k, v in provider.replies.items()}


class SimTransport:
    def __init__(self, mailboxes: Mailboxes, account: Account, groups: dict[str, int],
                 providers: dict[str, Provider], auth: Authentication,
                 rngs: list[np.random.Generator],
                 record: Callable[[str, int, float], None],
                 complain: Callable[[str, int], None]) -> None:
        self.mb = mailboxes
        self.account = account
        self.groups = groups
        self.index = {name: i for i, name in enumerate(providers)}
        self.providers = list(providers.values())
        self.replies = [provider_replies(p, f"198.51.100.{i + 10}")
                        for i, p in enumerate(self.providers)]
        self.auth = auth
        self.rngs = rngs
        self.record = record  # (metric, provider index, count)
        self.complain = complain  # feedback-loop complaints back to the engine
        self.bulk = np.zeros(len(providers), bool)
        self.today = np.zeros(len(providers))
        self.yesterday = np.zeros(len(providers))
        self.inbox = self.block = None

    def start_tick(self) -> None:
        self.inbox = self.mb.inbox_share()
        self.block = self.mb.block_share()

    def end_day(self) -> None:
        self.yesterday, self.today = self.today, np.zeros_like(self.today)

    def _noncompliant(self, p: int, kind: str) -> bool:
        provider = self.providers[p]
        if provider.bulk_threshold_per_day is None:
            return False
        # FACTS.md: bulk status comes with ~5,000/day and is permanent (Gmail).
        if self.today[p] + self.yesterday[p] >= provider.bulk_threshold_per_day:
            self.bulk[p] = True
        return bool(self.bulk[p]) and not all(self.auth.meets(r, kind)
                                              for r in provider.bulk_requires)

    def __call__(self, now: float, attempt: Attempt) -> list[Outcome]:
        g, p = self.groups[attempt.pool], self.index[attempt.batch.provider]
        n = attempt.count
        if self.account.paused:
            return [Outcome(n, PAUSED)]
        mb, rng, replies = self.mb, self.rngs[p], self.replies[p]
        quality: Quality = attempt.batch.payload
        self.today[p] += n
        mb.attempts[g, p] += n
        if mb.blocked_until[g, p] > now:
            return [Outcome(n, replies["ignored_deferrals"])]
        outcomes: list[Outcome] = []
        rest = n
        if self._noncompliant(p, quality.kind):
            rejected = _binomial(rng, rest, self.providers[p].noncompliant_reject_share)
            outcomes.append(Outcome(rejected, replies["bulk_policy"]))
            rest -= rejected
        if self.block[g, p] > 0:
            blocked = _binomial(rng, rest, self.block[g, p])
            outcomes.append(Outcome(blocked, replies["block"]))
            rest -= blocked
        # Rate limiting happens before RCPT TO: only admitted mail meets unknown users.
        admitted = int(min(rest, max(0.0, mb.capacity[g, p] - mb.used[g, p])))
        deferred = rest - admitted
        mb.used[g, p] += admitted
        unknown = _binomial(rng, admitted, quality.unknown_user_rate)
        full = _binomial(rng, admitted - unknown, quality.mailbox_full_rate)
        accepted = admitted - unknown - full
        mb.deferred[g, p] += deferred + full
        inbox = _binomial(rng, accepted, self.inbox[g, p])
        traps = _binomial(rng, accepted, quality.spam_trap_rate)
        complaints = _binomial(rng, inbox, quality.complaint_rate)
        opens = _binomial(rng, inbox, quality.open_rate)
        outcomes += [Outcome(accepted, OK), Outcome(unknown, replies["unknown_user"]),
                     Outcome(full, replies["mailbox_full"], _full_mailboxes(quality)),
                     Outcome(deferred, replies["throttle"])]
        # What the provider learns, about the IP group and about the sending domain.
        signals = (accepted + unknown, inbox, complaints, unknown, traps)
        mb.ip.observe((g, p), *signals)
        mb.domain.observe((0, p), *signals)
        mb.day_accepted[g, p] += accepted
        feedback = bool(self.providers[p].feedback_loop)
        self.account.observe(accepted + unknown, unknown, accepted if feedback else 0,
                             complaints if feedback else 0)
        if feedback and complaints:
            self.complain(attempt.batch.stream, complaints)
        for metric, value in zip(PROVIDER_SIDE, (inbox, accepted - inbox, complaints, opens,
                                                 traps)):
            self.record(metric, p, value)
        return [o for o in outcomes if o.count]
