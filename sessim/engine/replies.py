"""SMTP replies: parse them and classify them the way SES reports them.

`Reply.parse` reads single- or multi-line replies (RFC 5321 4.2, RFC 3463 enhanced
codes). `classify` gives the SES outcome and type names plus two model flags: `throttle`
(slow the sending IP down) and `ip_block` (a 5xx due to the sender's IP, reputation or
authentication; SES leaves it out of the bounce rate). Rules are data (`DEFAULT_RULES`):
provider rules first, first match wins. Sources: /work/shared/FACTS.md "SMTP replies the
model and engine must know" and "Event records"; DG:notification-contents.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

BOUNCE_SUBTYPES = {
    "Permanent": ("General", "NoEmail", "Suppressed", "OnAccountSuppressionList"),
    "Transient": ("General", "MailboxFull", "MessageTooLarge", "ContentRejected",
                  "AttachmentRejected"),
    "Undetermined": ("Undetermined",),
}
DELAY_TYPES = ("InternalFailure", "General", "MailboxFull", "SpamDetected",
               "RecipientServerError", "IPFailure", "TransientCommunicationFailure",
               "BYOIPHostNameLookupUnavailable", "Undetermined", "SendingDeferral")
PROVIDERS = ("gmail", "microsoft", "yahoo", "apple", "other")

_LINE = re.compile(r"([2-5]\d{2})(?:([ -])(.*))?")  # RFC 5321: first digit 2 to 5
_ENHANCED = re.compile(r"([245]\.\d{1,3}\.\d{1,3})(?:\s+|$)")
_DSN_PREFIX = re.compile(r"^\s*smtp\s*;\s*", re.IGNORECASE)  # DSN Diagnostic-Code form


@dataclass(frozen=True, slots=True)
class Reply:
    """One SMTP reply: basic code, optional enhanced code, text (lines joined)."""

    code: int
    enhanced: str | None
    text: str

    @classmethod
    def parse(cls, line: str) -> Reply:
        """Parse "CODE[ -][ENHANCED ]TEXT", multi-line continuations included."""
        lines = [ln.strip() for ln in _DSN_PREFIX.sub("", line).splitlines() if ln.strip()]
        if not lines or not (first := _LINE.fullmatch(lines[0])):
            raise ValueError(f"not an SMTP reply (no 3-digit code at start): {line!r}")
        code, enhanced, parts = first.group(1), None, []
        for i, ln in enumerate(lines):
            m = _LINE.fullmatch(ln)
            if m and m.group(1) != code:
                raise ValueError(f"mixed reply codes {code} and {m.group(1)} in {line!r}")
            rest = (m.group(3) or "") if m else ln  # a line without a code: wrapped text
            em = _ENHANCED.match(rest)
            if em and i == 0:
                enhanced = em.group(1)
            if em and em.group(1) == enhanced:
                rest = rest[em.end():]
            parts.append(rest.strip())
        return cls(int(code), enhanced, " ".join(p for p in parts if p))

    def __str__(self) -> str:
        return " ".join(p for p in (str(self.code), self.enhanced, self.text) if p)


@dataclass(frozen=True, slots=True)
class Classification:
    """How SES would report a reply, plus the model's throttle / ip_block flags."""

    outcome: str
    bounce_type: str | None = None
    bounce_subtype: str | None = None
    delay_type: str | None = None
    throttle: bool = False
    ip_block: bool = False
    rule: str = ""

    def __post_init__(self) -> None:
        b_type, b_sub, delay = self.bounce_type, self.bounce_subtype, self.delay_type
        ok = {
            "Bounce": b_sub in BOUNCE_SUBTYPES.get(b_type or "", ()) and delay is None,
            "DeliveryDelay": delay in DELAY_TYPES and not (b_type or b_sub or self.ip_block),
            "Delivery": not (b_type or b_sub or delay or self.throttle or self.ip_block),
        }
        if not ok.get(self.outcome, False):
            raise ValueError(f"inconsistent classification: {self!r}")

    def to_dict(self) -> dict:
        """All fields, JSON-ready (None stays None)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@functools.lru_cache(maxsize=256)
def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ReplyRule:
    """Match on code pattern ("4xx", "550"), enhanced-code regex (full match), text regex
    (search, case-insensitive) and provider; all given conditions must hold."""

    name: str
    code_pattern: str
    outcome: str
    bounce_type: str | None = None
    bounce_subtype: str | None = None
    delay_type: str | None = None
    throttle: bool = False
    ip_block: bool = False
    enhanced: str | None = None
    text: str | None = None
    provider: str | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[0-9x]{3}", self.code_pattern):
            raise ValueError(f"rule {self.name}: bad code pattern {self.code_pattern!r}")
        for pattern in filter(None, (self.enhanced, self.text)):
            _rx(pattern)  # a bad regex fails at definition time
        self.classification()  # validates the outcome fields

    def matches(self, reply: Reply) -> bool:
        """True if the reply satisfies the code, enhanced and text conditions."""
        if not _rx(self.code_pattern.replace("x", r"\d")).fullmatch(f"{reply.code:03d}"):
            return False
        if self.enhanced is not None and not (
            reply.enhanced and _rx(self.enhanced).fullmatch(reply.enhanced)
        ):
            return False
        return self.text is None or bool(_rx(self.text).search(reply.text))

    def classification(self) -> Classification:
        """The result this rule gives."""
        return Classification(self.outcome, self.bounce_type, self.bounce_subtype,
                              self.delay_type, self.throttle, self.ip_block, self.name)


def _b(name: str, code: str, btype: str, sub: str, **kw: Any) -> ReplyRule:
    return ReplyRule(name, code, "Bounce", btype, sub, **kw)


def _d(name: str, code: str, delay: str, **kw: Any) -> ReplyRule:
    return ReplyRule(name, code, "DeliveryDelay", delay_type=delay, **kw)


_T: dict[str, Any] = {"throttle": True}
_IP: dict[str, Any] = {"ip_block": True}

DEFAULT_RULES: tuple[ReplyRule, ...] = (
    # Gmail (FACTS.md "Gmail:"); the texts identify Gmail when no provider is given.
    # 421-4.7.28 unusual rate of unsolicited mail from your IP address: IP rate limit.
    _d("gmail-4.7.28-ip", "4xx", "IPFailure", enhanced=r"4\.7\.28", text=r"IP address",
       provider="gmail", **_T),
    # 421-4.7.28 SPF/DKIM-domain forms; SES has no domain delayType: as IP form (assumption).
    _d("gmail-4.7.28-domain", "4xx", "IPFailure", enhanced=r"4\.7\.28",
       text=r"unusual rate|rate limited", provider="gmail", **_T),
    # 4.7.28 is Gmail's own code: a bare or shortened 4.7.28 reply is the same signal.
    _d("gmail-4.7.28", "4xx", "IPFailure", enhanced=r"4\.7\.28", provider="gmail", **_T),
    # 450 4.2.1: that recipient receives mail too fast; about the recipient, not the IP.
    _d("gmail-4.2.1-recipient-rate", "45x", "RecipientServerError", enhanced=r"4\.2\.1",
       text=r"receiving mail (at a rate|too quickly)", provider="gmail"),
    # 550-5.7.26 sender unauthenticated (SPF/DKIM/DMARC). (452 4.2.2: generic rule below.)
    _b("gmail-5.7.26-unauthenticated", "5xx", "Permanent", "General", enhanced=r"5\.7\.26",
       text=r"gmail|gsmtp|google\.com", provider="gmail", **_IP),
    # 550-5.7.1 blocked by Gmail's policy on this sender/IP.
    _b("gmail-5.7.1-blocked", "55x", "Permanent", "General", enhanced=r"5\.7\.1", **_IP,
       text=r"gsmtp|google\.com|gmail|our system has detected|not authorized to send",
       provider="gmail"),
    # Yahoo/AOL (FACTS.md "Yahoo:"): 421 4.7.0 [TSS04] volume/complaints, [TS01] complaints.
    _d("yahoo-tss04-ts01-deferred", "4xx", "IPFailure", text=r"\[(TSS04|TS01|TS02)\]",
       provider="yahoo", **_T),
    # 421 4.7.1 [TS03]: all mail from the IP permanently deferred.
    _d("yahoo-ts03-deferred", "4xx", "IPFailure", text=r"\[TS03\]", provider="yahoo", **_T),
    # 554 5.7.9: message not accepted for policy reasons.
    _b("yahoo-5.7.9-policy", "5xx", "Permanent", "General", enhanced=r"5\.7\.9",
       text=r"policy|yahoo", provider="yahoo", **_IP),
    # Microsoft (FACTS.md "Microsoft:"): 451 4.7.650 rate limited due to IP reputation (S775).
    _d("microsoft-s775-rate-limited", "4xx", "IPFailure",
       text=r"\bS775\b|rate limited due to IP reputation", provider="microsoft", **_T),
    # 550 5.7.1 ... part of their network is on our block list (S3150; S3140 same list).
    _b("microsoft-s3150-block-list", "5xx", "Permanent", "General",
       text=r"\bS31[45]0\b|on our block list", provider="microsoft", **_IP),
    # 550 5.7.515: sending domain does not meet the required authentication level.
    _b("microsoft-5.7.515-auth", "5xx", "Permanent", "General", enhanced=r"5\.7\.515",
       text=r"authentication", provider="microsoft", **_IP),
    # Apple (FACTS.md "Apple:"): 421 4.7.1 deferred due to excessive volume (recipient/IP).
    _d("apple-excessive-volume", "4xx", "IPFailure", text=r"deferred due to excessive volume",
       provider="apple", **_T),
    # 550 5.7.1 [CS01] Message rejected due to local policy.
    _b("apple-cs01-policy", "5xx", "Permanent", "General", text=r"\[CS0\d\]",
       provider="apple", **_IP),
    # Generic rules, in order. 2xx: accepted (RFC 5321 4.2.1).
    ReplyRule("delivered-2xx", "2xx", "Delivery"),
    # SES SMTP (FACTS.md "SES SMTP:"): 454 max rate / daily quota; 421 too many connections.
    _d("ses-throttling-failure", "454", "SendingDeferral", text=r"throttling failure", **_T),
    _d("ses-too-many-connections", "421", "SendingDeferral",
       text=r"too many concurrent smtp connections", **_T),
    # 554 Message rejected: Email address is not verified (identity, not reputation).
    _b("ses-not-verified", "554", "Permanent", "General", text=r"not verified"),
    # 5xx authentication failures: RFC 7372 X.7.20-X.7.26, or SPF/DKIM/DMARC in the text.
    _b("auth-failed", "5xx", "Permanent", "General", enhanced=r"5\.7\.2[0-6]", **_IP),
    _b("auth-failed-text", "5xx", "Permanent", "General",
       text=r"unauthenticated|\b(SPF|DKIM|DMARC)\b", **_IP),
    # 5xx naming a block list / IP reputation: not in the bounce rate (DG:faqs-enforcement).
    _b("ip-blocklisted", "5xx", "Permanent", "General",
       text=r"block ?list|black ?list|spamhaus|\b(RBL|DNSBL)\b|reputation", **_IP),
    # 4xx rate limiting of the sender (generic form of the provider rules).
    _d("rate-limited", "4xx", "IPFailure", **_T,
       text=r"rate limit|throttl|too many (messages|connections)|(excessive|unexpected) volume"),
    # Unknown user, RFC 3463 X.1.0/X.1.1. SES's example (fixtures/ses-events/bounce.json,
    # "550 5.1.1 user unknown") says Permanent/General, not NoEmail: we emit General.
    _b("unknown-user", "5xx", "Permanent", "General", enhanced=r"5\.1\.[01]"),
    _b("unknown-user-text", "5xx", "Permanent", "General",
       text=r"user unknown|unknown (user|recipient)|does not exist|no such user|"
       r"mailbox unavailable"),
    # Too large: RFC 3463 X.3.4 message too big, X.2.3 over administrative length limit.
    _b("too-large", "5xx", "Transient", "MessageTooLarge", enhanced=r"5\.(3\.4|2\.3)"),
    _b("too-large-text", "5xx", "Transient", "MessageTooLarge",
       text=r"too (large|big)|size exceeds|exceeds .*size"),
    # Mailbox full: RFC 3463 X.2.2, or wording.
    _b("mailbox-full", "5xx", "Transient", "MailboxFull", enhanced=r"5\.2\.2"),
    _b("mailbox-full-text", "5xx", "Transient", "MailboxFull",
       text=r"mailbox (is )?full|over ?quota|quota exceeded|out of storage"),
    # Content policy (RFC 3463 X.7.x security/policy) naming an attachment, or content/spam.
    _b("attachment-rejected", "5xx", "Transient", "AttachmentRejected", enhanced=r"5\.7\.\d+",
       text=r"attachment"),
    _b("content-rejected", "5xx", "Transient", "ContentRejected", enhanced=r"5\.7\.\d+",
       text=r"content|spam|virus|malware|unsolicited"),
    # Other X.7.x: a security/policy refusal (RFC 3463) of the sender, not of the recipient
    # address; counted as an IP/sender block, outside the bounce rate (assumption).
    _b("policy-5.7", "5xx", "Permanent", "General", enhanced=r"5\.7\.\d+", **_IP),
    # Other 552: RFC 5321 "exceeded storage allocation" (after the X.7.x content rules).
    _b("mailbox-full-552", "552", "Transient", "MailboxFull"),
    # Any other 5xx: permanent failure (RFC 5321 4.2.1).
    _b("permanent-5xx", "5xx", "Permanent", "General"),
    # 4xx over quota (RFC 3463 X.2.2; Gmail 452 4.2.2, FACTS.md).
    _d("mailbox-full-4xx", "4xx", "MailboxFull", enhanced=r"4\.2\.2"),
    _d("mailbox-full-4xx-text", "4xx", "MailboxFull",
       text=r"mailbox (is )?full|over ?quota|out of storage"),
    # 4xx network/routing, RFC 3463 X.4.x (SES fixture deliverydelay.json: 421 4.4.1 Unable
    # to connect -> TransientCommunicationFailure), or connection wording.
    _d("network-4xx", "4xx", "TransientCommunicationFailure", enhanced=r"4\.4\.\d+"),
    _d("network-4xx-text", "4xx", "TransientCommunicationFailure",
       text=r"connect|timed? ?out|closing (transmission )?channel|network"),
    # 4xx spam suspicion (SES delayType SpamDetected).
    _d("spam-4xx", "4xx", "SpamDetected", text=r"spam|unsolicited"),
    # 4xx receiving system trouble: RFC 3463 X.3.x mail system status.
    _d("recipient-server-4xx", "4xx", "RecipientServerError", enhanced=r"4\.3\.\d+"),
    # Any other 4xx: transient, retry (RFC 5321 4.2.1).
    _d("transient-4xx", "4xx", "General"),
    # Anything else (1xx, 3xx, 6xx-9xx): SES cannot tell.
    _b("undetermined", "xxx", "Undetermined", "Undetermined"),
)


def _classify(reply: Reply, provider: str | None, rules: Sequence[ReplyRule]) -> Classification:
    specific = [r for r in rules if r.provider and provider in (None, r.provider)]
    for rule in (*specific, *(r for r in rules if r.provider is None)):
        if rule.matches(reply):
            return rule.classification()
    return Classification("Bounce", "Undetermined", "Undetermined", rule="no-match")


@functools.lru_cache(maxsize=8192)
def _classify_default(reply: Reply, provider: str | None) -> Classification:
    return _classify(reply, provider, DEFAULT_RULES)


def classify(
    reply: Reply, provider: str | None = None, rules: Sequence[ReplyRule] = DEFAULT_RULES
) -> Classification:
    """Classify a reply; provider-specific rules first (all of them when provider is None,
    only that provider's when given, none for an unknown provider). First match wins."""
    provider = provider.lower() if provider else None
    if rules is DEFAULT_RULES:
        return _classify_default(reply, provider)
    return _classify(reply, provider, rules)


def classify_line(line: str, provider: str | None = None) -> Classification:
    """Parse a raw reply line (or multi-line reply) and classify it."""
    return classify(Reply.parse(line), provider)
