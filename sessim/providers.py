"""Default mailbox-provider parameter sets.

Each provider is data, not a subclass: the world's provider model reads these
numbers. Every value either cites ../FACTS.md (section named in the comment) or
is a named assumption; assumptions are listed in the README. A scenario
overrides any field per provider (``providers: {gmail: {cold_ip_per_hour: 300}}``).
"""

from __future__ import annotations

from typing import Any

# Situations a simulated provider answers with, and the reply text it uses.
# Texts follow FACTS.md "SMTP replies the model and engine must know".
REPLY_SITUATIONS = ("throttle", "block", "unknown_user", "mailbox_full", "unauthenticated",
                    "bulk_policy", "ignored_deferrals")

_GENERIC: dict[str, Any] = {
    # FACTS.md "Typical US consumer list": share of a US consumer list.
    "market_share": 0.13,
    "feedback_loop": True,
    # Assumption: messages per hour a provider accepts from one IP it has never seen.
    "cold_ip_per_hour": 500.0,
    # Assumption: a provider accepts up to this multiple of the IP's recent peak hour
    # each day, so capacity can at most double daily (trade plans grow 1.3x-2x/day).
    "growth_per_day": 2.0,
    # Assumption: messages per hour a provider takes from a known IP of good reputation
    # (reached as the IP becomes known and its score passes 0.6 toward 0.9).
    "established_ip_per_hour": 20000.0,
    # FACTS.md "Reputation memory": about 30 days of data; half of it forgotten in 10.
    "volume_memory_days": 10.0,
    # Assumption: daily volume per provider at which a provider trusts an IP's record
    # halfway (FACTS.md: keep ~1,000/day per provider on each dedicated IP).
    "known_volume_per_day": 1000.0,
    # Assumption: reputation score (0..1) of an IP or domain the provider does not know.
    "unknown_score": 0.6,
    # Assumption: rates of each signal that alone halve the target reputation.
    "complaint_rate_half": 0.0025,  # between FACTS.md's 0.1% and 0.3% Gmail bands
    "unknown_user_rate_half": 0.05,  # SES reviews at 5% (FACTS.md "Enforcement")
    "spam_trap_rate_half": 0.0005,
    # Assumption: how fast the score follows its target: falls within about a day,
    # rises over weeks (FACTS.md: repairing takes longer than building).
    "fall_hours": 24.0,
    "rise_days": 10.0,
    # Assumption: hours over which complaint/bounce/trap signals are averaged.
    "signal_hours": 24.0,
    # Assumption: weight of domain vs IP reputation in filtering.
    "domain_weight": 0.3,
    # Assumption: inbox share = 1 / (1 + exp(-(score - midpoint) * steepness)).
    "inbox_midpoint": 0.5,
    "inbox_steepness": 10.0,
    # Assumption: below this score the provider rejects (5xx) a growing share.
    "block_below": 0.25,
    # FACTS.md: bulk-sender rules (None: the provider has none).
    "bulk_threshold_per_day": None,
    "bulk_requires": [],
    # Assumption: share of non-compliant bulk mail rejected.
    "noncompliant_reject_share": 1.0,
    # Assumption (FACTS.md "Microsoft"): hours of sustained ignored deferrals before
    # the provider escalates to a block; None: never escalates.
    "escalate_after_hours": None,
    "escalation_block_hours": 24.0,
    # A deferral is "ignored" when the sender retries into it: share of an hour's
    # attempts deferred above which the hour counts as ignoring deferrals.
    "ignored_deferral_share": 0.5,
    "replies": {
        "throttle": "421 4.7.0 Too many messages from your IP, try again later",
        "block": "550 5.7.1 Message rejected due to poor sender reputation",
        "unknown_user": "550 5.1.1 The email account that you tried to reach does not exist",
        "mailbox_full": "452 4.2.2 The recipient's mailbox is over its storage limit",
        "unauthenticated": "550 5.7.26 Unauthenticated email is not accepted",
        "bulk_policy": "550 5.7.26 Message does not meet bulk sender requirements",
        "ignored_deferrals": "550 5.7.1 Message rejected: sender ignored deferrals",
    },
}

_OVERRIDES: dict[str, dict[str, Any]] = {
    "gmail": {
        "market_share": 0.50,  # FACTS.md "Typical US consumer list"
        "feedback_loop": False,  # FACTS.md: Gmail gives no feedback loop to SES
        "cold_ip_per_hour": 500.0,
        "established_ip_per_hour": 40000.0,
        "domain_weight": 0.7,  # FACTS.md: Gmail weighs domain reputation heavily
        "bulk_threshold_per_day": 5000,  # FACTS.md "Gmail: bulk sender"
        "bulk_requires": ["spf", "dkim", "dmarc", "one_click_unsubscribe"],
        "replies": {
            "throttle": "421-4.7.28 [{ip}] Our system has detected an unusual rate of unsolicited"
                        " mail originating from your IP address. To protect our users from spam,"
                        " mail sent from your IP address has been temporarily rate limited.",
            "block": "550-5.7.1 [{ip}] Our system has detected that this message is likely"
                     " unsolicited mail. To reduce the amount of spam sent to Gmail, this message"
                     " has been blocked.",
            "unknown_user": "550-5.1.1 The email account that you tried to reach does not exist.",
            "mailbox_full": "452-4.2.2 The recipient's inbox is out of storage space.",
            "unauthenticated": "550-5.7.26 This mail has been blocked because the sender is"
                               " unauthenticated. Gmail requires all senders to authenticate"
                               " with either SPF or DKIM.",
            "bulk_policy": "550-5.7.26 Your email has been blocked because the sender is"
                           " unauthenticated or does not meet Gmail's bulk sender requirements"
                           " (DMARC, one-click unsubscribe).",
        },
    },
    "microsoft": {
        "market_share": 0.12,
        # FACTS.md "Microsoft consumer": strict on new IPs, most mail filtered initially.
        "cold_ip_per_hour": 300.0,
        "established_ip_per_hour": 10000.0,
        "unknown_score": 0.2,
        # FACTS.md: very sensitive to volume swings.
        "growth_per_day": 1.6,
        "bulk_threshold_per_day": 5000,  # FACTS.md: over 5,000/day from 5 May 2025
        "bulk_requires": ["spf", "dkim", "dmarc"],
        "escalate_after_hours": 6.0,  # FACTS.md: ignoring 4xx escalates to S3150
        "replies": {
            "throttle": "451 4.7.650 The mail server [{ip}] has been temporarily rate limited"
                        " due to IP reputation. For e-mail delivery information, see"
                        " https://postmaster.live.com (S775)",
            "block": "550 5.7.1 Unfortunately, messages from [{ip}] weren't sent. Please contact"
                     " your Internet service provider since part of their network is on our"
                     " block list (S3150).",
            "ignored_deferrals": "550 5.7.1 Unfortunately, messages from [{ip}] weren't sent."
                                 " Please contact your Internet service provider since part of"
                                 " their network is on our block list (S3150).",
            "unknown_user": "550 5.5.0 Requested action not taken: mailbox unavailable",
            "mailbox_full": "452 4.2.2 Mailbox full",
            "unauthenticated": "550 5.7.515 Access denied, sending domain does not meet the"
                               " required authentication level.",
            "bulk_policy": "550 5.7.515 Access denied, sending domain does not meet the"
                           " required authentication level.",
        },
    },
    "yahoo": {
        "market_share": 0.23,
        # FACTS.md "Yahoo/AOL": about 100 messages per hour per new IP.
        "cold_ip_per_hour": 100.0,
        "established_ip_per_hour": 10000.0,
        # Yahoo publishes the same 2024 bulk rules as Gmail (FACTS.md "Yahoo/AOL").
        "bulk_threshold_per_day": 5000,
        "bulk_requires": ["spf", "dkim", "dmarc", "one_click_unsubscribe"],
        "replies": {
            "throttle": "421 4.7.0 [TSS04] Messages from {ip} temporarily deferred due to"
                        " unexpected volume or user complaints - 4.16.55.1",
            "block": "554 5.7.9 Message not accepted for policy reasons.",
            "unknown_user": "554 5.1.1 <{rcpt}>: Recipient address rejected: User unknown",
            "mailbox_full": "452 4.2.2 Mailbox full",
            "unauthenticated": "554 5.7.9 Message not accepted for policy reasons.",
            "bulk_policy": "554 5.7.9 Message not accepted for policy reasons.",
        },
    },
    "apple": {
        "market_share": 0.02,
        "feedback_loop": False,  # FACTS.md "Apple iCloud": no feedback loop
        "cold_ip_per_hour": 300.0,
        "replies": {
            "throttle": "421 4.7.1 Messages to {rcpt} deferred due to excessive volume."
                        " Try again later",
            "block": "550 5.7.1 [CS01] Message rejected due to local policy.",
            "unknown_user": "550 5.1.1 <{rcpt}>: user does not exist",
            "mailbox_full": "452 4.2.2 Mailbox full",
        },
    },
    # Comcast 2%, AT&T 1% and the rest 10% (FACTS.md "Typical US consumer list").
    "other": {},
}

DEFAULT_PROVIDER_NAMES: tuple[str, ...] = tuple(_OVERRIDES)


def default_provider(name: str) -> dict[str, Any]:
    """The default parameters of a provider; an unknown name gets the generic set."""
    params = {**_GENERIC, **_OVERRIDES.get(name, {})}
    params["replies"] = {**_GENERIC["replies"], **_OVERRIDES.get(name, {}).get("replies", {})}
    return params
