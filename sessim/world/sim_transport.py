"""SimTransport: hands the engine's attempts to the simulated SES account and providers.

For each attempt of ``n`` messages through an IP group to a provider it draws,
in order: the paused account's rejection, an escalation block, bulk-sender
rejections of non-compliant mail, reputation blocks, then admission up to the
group's remaining hourly capacity (the rest deferred with the provider's
throttling reply; rate limiting comes before RCPT TO, so only admitted mail
meets unknown users and full mailboxes); of the accepted: inbox vs spam folder,
spam traps, complaints and opens. Each answer is a real SMTP reply text
(sessim.providers), classified by the engine exactly as in real sending.

A tick's attempts are resolved together with vectorised draws; attempts to the
same IP group and provider take the remaining capacity in the engine's order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
KINDS = ("transactional", "notification", "marketing")
# Counts the transport reports per provider, beside the engine's events.
PROVIDER_SIDE = ("inbox", "spam", "complaints", "opens", "traps")


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
                 rng: np.random.Generator,
                 record: Callable[[tuple[str, ...], np.ndarray], None],
                 complain: Callable[[str, int], None]) -> None:
        self.mb = mailboxes
        self.account = account
        self.groups = groups
        self.index = {name: i for i, name in enumerate(providers)}
        specs = list(providers.values())
        self.replies = [provider_replies(p, f"198.51.100.{i + 10}") for i, p in enumerate(specs)]
        self.feedback = np.array([p.feedback_loop for p in specs])
        self.threshold = np.array([p.bulk_threshold_per_day or np.inf for p in specs], float)
        self.reject_share = np.array([p.noncompliant_reject_share for p in specs])
        # compliant[provider, kind]: does the sender meet that provider's bulk rules?
        self.compliant = np.array([[all(auth.meets(r, k) for r in p.bulk_requires)
                                    for k in KINDS] for p in specs])
        self.rng = rng
        self.record = record
        self.complain = complain
        self.bulk = np.zeros(len(specs), bool)
        self.today = np.zeros(len(specs))
        self.yesterday = np.zeros(len(specs))
        self.inbox = self.block = None

    def start_tick(self) -> None:
        self.inbox, self.block = self.mb.shares()

    def end_day(self) -> None:
        self.yesterday, self.today = self.today, np.zeros_like(self.today)

    def resolve(self, now: float, attempts: Sequence[Attempt]) -> list[list[Outcome]]:
        """The outcomes of each attempt, in order."""
        k = len(attempts)
        if k == 0:
            return []
        if self.account.paused:
            return [[Outcome(a.count, PAUSED)] for a in attempts]
        mb, rng = self.mb, self.rng
        g = np.fromiter((self.groups[a.pool] for a in attempts), np.intp, k)
        p = np.fromiter((self.index[a.batch.provider] for a in attempts), np.intp, k)
        n = np.fromiter((a.count for a in attempts), np.int64, k)
        qualities: list[Quality] = [a.batch.payload for a in attempts]
        rates = np.array([(q.unknown_user_rate, q.mailbox_full_rate, q.spam_trap_rate,
                           q.complaint_rate, q.open_rate) for q in qualities]).T
        kind = np.fromiter((KINDS.index(q.kind) for q in qualities), np.intp, k)
        # One-hot maps from attempts to (group, provider) cells and to providers:
        # sums per cell become one matrix product instead of many scatter-adds.
        cells = mb.capacity.size
        to_cell = np.zeros((k, cells))
        to_cell[np.arange(k), g * mb.capacity.shape[1] + p] = 1.0
        to_provider = np.zeros((k, len(self.today)))
        to_provider[np.arange(k), p] = 1.0
        self.today += n @ to_provider
        mb.attempts += (n @ to_cell).reshape(mb.attempts.shape)
        # FACTS.md: bulk status comes with ~5,000/day to a provider and is permanent.
        self.bulk |= self.today + self.yesterday >= self.threshold
        escalated = mb.blocked_until[g, p] > now
        rest = np.where(escalated, 0, n)
        noncompliant = self.bulk[p] & ~self.compliant[p, kind]
        rejected = rng.binomial(rest, np.where(noncompliant, self.reject_share[p], 0.0))
        rest = rest - rejected
        blocked = rng.binomial(rest, self.block[g, p])
        rest = rest - blocked
        admitted = self._admit(g, p, rest, to_cell)
        deferred = rest - admitted
        unknown = rng.binomial(admitted, rates[0])
        full = rng.binomial(admitted - unknown, rates[1])
        accepted = admitted - unknown - full
        inbox = rng.binomial(accepted, self.inbox[g, p])
        traps = rng.binomial(accepted, rates[2])
        complaints = rng.binomial(inbox, rates[3])
        opens = rng.binomial(inbox, rates[4])
        shape = mb.capacity.shape
        per_cell = np.stack([deferred + full, accepted]) @ to_cell
        mb.deferred += per_cell[0].reshape(shape)
        mb.day_accepted += per_cell[1].reshape(shape)
        # What the providers learn, about the IP groups and about the sending domain.
        signals = np.stack([accepted + unknown, inbox, complaints, unknown, traps])
        tick = mb.rep.tick
        tick[:, :mb.domain_row] += (signals @ to_cell).reshape(5, *shape)
        tick[:, mb.domain_row] += signals @ to_provider
        fb = self.feedback[p]
        self.account.observe(float((accepted + unknown).sum()), float(unknown.sum()),
                             float(accepted[fb].sum()), float(complaints[fb].sum()))
        for i in np.flatnonzero(fb & (complaints > 0)):
            self.complain(attempts[i].batch.stream, int(complaints[i]))
        self.record(PROVIDER_SIDE, np.stack([inbox, accepted - inbox, complaints, opens,
                                             traps]) @ to_provider)
        return self._outcomes(p.tolist(), n.tolist(), escalated.tolist(), qualities,
                              np.stack([accepted, rejected, blocked, unknown, full,
                                        deferred]).T.tolist())

    def _admit(self, g: np.ndarray, p: np.ndarray, rest: np.ndarray,
               to_cell: np.ndarray) -> np.ndarray:
        """Admit up to each (group, provider)'s room this tick, first come first served.

        Where other tenants' mail already uses the group (the shared pool) and the
        capacity is short, they and you share it in proportion to what each sends.
        """
        mb = self.mb
        ours = (rest @ to_cell).reshape(mb.capacity.shape)
        short = (mb.load > 0) & (ours + mb.used > mb.capacity)
        room = np.where(short, mb.capacity * ours / np.maximum(ours + mb.used, 1.0),
                        mb.capacity - mb.used)
        left = np.maximum(0.0, room)
        admitted = np.empty_like(rest)
        for i in range(len(rest)):
            take = min(int(rest[i]), int(left[g[i], p[i]]))
            left[g[i], p[i]] -= take
            admitted[i] = take
        mb.used = mb.used + (admitted @ to_cell).reshape(mb.capacity.shape)
        return admitted

    def _outcomes(self, providers: list[int], counts: list[int], escalated: list[bool],
                  qualities: list[Quality], split: list[list[int]]) -> list[list[Outcome]]:
        """Outcome lists per attempt, from plain Python numbers (only non-empty ones)."""
        result = []
        for p, n, esc, quality, (ok, rejected, blocked, unknown, full, deferred) in zip(
                providers, counts, escalated, qualities, split):
            replies = self.replies[p]
            if esc:
                result.append([Outcome(n, replies["ignored_deferrals"])])
                continue
            out = [Outcome(ok, OK)] if ok else []
            if rejected:
                out.append(Outcome(rejected, replies["bulk_policy"]))
            if blocked:
                out.append(Outcome(blocked, replies["block"]))
            if unknown:
                out.append(Outcome(unknown, replies["unknown_user"]))
            if full:
                out.append(Outcome(full, replies["mailbox_full"], _full_mailboxes(quality)))
            if deferred:
                out.append(Outcome(deferred, replies["throttle"]))
            result.append(out)
        return result
