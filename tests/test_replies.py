"""Tests for sessim.engine.replies: SMTP reply parsing and SES-style classification."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sessim.engine.replies import (
    DEFAULT_RULES,
    PROVIDERS,
    Classification,
    Reply,
    ReplyRule,
    classify,
    classify_line,
)

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "ses-events"

D, B = "DeliveryDelay", "Bounce"
P, T = "Permanent", "Transient"

# (reply text, provider, outcome, bounce_type, bounce_subtype, delay_type, throttle, ip_block,
#  rule). Every reply named in FACTS.md "SMTP replies the model and engine must know".
FACTS_REPLIES = [
    # Gmail
    ("421-4.7.28 [1.2.3.4] Our system has detected an unusual rate of unsolicited mail\r\n"
     "421-4.7.28 originating from your IP address. To protect our users from spam, mail\r\n"
     "421 4.7.28 sent from your IP address has been temporarily rate limited. x1 - gsmtp",
     "gmail", D, None, None, "IPFailure", True, False, "gmail-4.7.28-ip"),
    ("421-4.7.28 Our system has detected an unusual rate of unsolicited mail originating "
     "from your SPF domain [example.com 19]. To protect our users from spam, mail sent from "
     "your domain has been temporarily rate limited.",
     "gmail", D, None, None, "IPFailure", True, False, "gmail-4.7.28-domain"),
    ("421-4.7.28 Our system has detected an unusual rate of unsolicited mail originating "
     "from your DKIM domain [example.com 20]. Mail has been temporarily rate limited.",
     "gmail", D, None, None, "IPFailure", True, False, "gmail-4.7.28-domain"),
    ("450-4.2.1 The user you are trying to contact is receiving mail at a rate that prevents "
     "additional messages from being delivered. Please resend your message at a later date.",
     "gmail", D, None, None, "RecipientServerError", False, False,
     "gmail-4.2.1-recipient-rate"),
    ("550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail "
     "requires all senders to authenticate with either SPF or DKIM.",
     "gmail", B, P, "General", None, False, True, "gmail-5.7.26-unauthenticated"),
    ("550-5.7.1 [1.2.3.4] Our system has detected that this message is likely unsolicited "
     "mail. To reduce the amount of spam sent to Gmail, this message has been blocked.",
     "gmail", B, P, "General", None, False, True, "gmail-5.7.1-blocked"),
    ("452-4.2.2 The recipient's inbox is out of storage space. Please direct the recipient "
     "to https://support.google.com/mail/?p=OverQuotaTemp",
     "gmail", D, None, None, "MailboxFull", False, False, "mailbox-full-4xx"),
    ("552 5.2.2 The email account that you tried to reach is over quota.",
     "gmail", B, T, "MailboxFull", None, False, False, "mailbox-full"),
    # Yahoo / AOL
    ("421 4.7.0 [TSS04] Messages from 1.2.3.4 temporarily deferred due to unexpected volume "
     "or user complaints",
     "yahoo", D, None, None, "IPFailure", True, False, "yahoo-tss04-ts01-deferred"),
    ("421 4.7.0 [TS01] Messages from 1.2.3.4 temporarily deferred due to user complaints",
     "yahoo", D, None, None, "IPFailure", True, False, "yahoo-tss04-ts01-deferred"),
    ("421 4.7.1 [TS03] All messages from 1.2.3.4 will be permanently deferred; Retrying will "
     "NOT succeed.",
     "yahoo", D, None, None, "IPFailure", True, False, "yahoo-ts03-deferred"),
    ("554 5.7.9 Message not accepted for policy reasons. See "
     "https://postmaster.yahooinc.com/error-codes",
     "yahoo", B, P, "General", None, False, True, "yahoo-5.7.9-policy"),
    # Microsoft consumer
    ("451 4.7.650 The mail server [1.2.3.4] has been temporarily rate limited due to IP "
     "reputation. For e-mail delivery information, see https://postmaster.live.com (S775)",
     "microsoft", D, None, None, "IPFailure", True, False, "microsoft-s775-rate-limited"),
    ("550 5.7.1 Unfortunately, messages from [1.2.3.4] weren't sent. Please contact your "
     "Internet service provider since part of their network is on our block list (S3150).",
     "microsoft", B, P, "General", None, False, True, "microsoft-s3150-block-list"),
    ("550 5.7.515 Access denied, sending domain [example.com] does not meet the required "
     "authentication level.",
     "microsoft", B, P, "General", None, False, True, "microsoft-5.7.515-auth"),
    # Apple iCloud
    ("421 4.7.1 Messages to user@icloud.com deferred due to excessive volume. Try again later",
     "apple", D, None, None, "IPFailure", True, False, "apple-excessive-volume"),
    ("550 5.7.1 [CS01] Message rejected due to local policy. Please visit "
     "https://support.apple.com/en-us/HT204137",
     "apple", B, P, "General", None, False, True, "apple-cs01-policy"),
    # SES SMTP interface
    ("454 Throttling failure: Maximum sending rate exceeded",
     None, D, None, None, "SendingDeferral", True, False, "ses-throttling-failure"),
    ("454 Throttling failure: Daily message quota exceeded",
     None, D, None, None, "SendingDeferral", True, False, "ses-throttling-failure"),
    ("421 Too many concurrent SMTP connections",
     None, D, None, None, "SendingDeferral", True, False, "ses-too-many-connections"),
    ("554 Message rejected: Email address is not verified. The following identities failed "
     "the check in region US-EAST-1: sender@example.com",
     None, B, P, "General", None, False, False, "ses-not-verified"),
]

# Generic fallbacks: (reply text, outcome, bounce_type, bounce_subtype, delay_type, rule).
GENERIC_REPLIES = [
    ("250 2.0.0 OK", "Delivery", None, None, None, "delivered-2xx"),
    ("250 Ok: queued as 12345", "Delivery", None, None, None, "delivered-2xx"),
    ("550 5.1.1 user unknown", B, P, "General", None, "unknown-user"),
    ("550 5.1.0 Address rejected", B, P, "General", None, "unknown-user"),
    ("550 Requested action not taken: mailbox does not exist", B, P, "General", None,
     "unknown-user-text"),
    ("550 No such user here", B, P, "General", None, "unknown-user-text"),
    ("552 5.3.4 Message size exceeds fixed limit", B, T, "MessageTooLarge", None, "too-large"),
    ("552 Message is too large", B, T, "MessageTooLarge", None, "too-large-text"),
    ("552 Requested mail action aborted: exceeded storage allocation", B, T, "MailboxFull",
     None, "mailbox-full-552"),
    ("550 Mailbox full", B, T, "MailboxFull", None, "mailbox-full-text"),
    ("554 5.7.1 Message rejected because of its content", B, T, "ContentRejected", None,
     "content-rejected"),
    ("550 5.7.1 Message rejected as spam", B, T, "ContentRejected", None, "content-rejected"),
    ("552 5.7.0 This message was blocked because its attachment is not allowed", B, T,
     "AttachmentRejected", None, "attachment-rejected"),
    ("550 5.0.0 Rejected", B, P, "General", None, "permanent-5xx"),
    ("550 Requested action not taken: mailbox unavailable", B, P, "General", None,
     "unknown-user-text"),
    ("452 4.2.2 Mailbox full", D, None, None, "MailboxFull", "mailbox-full-4xx"),
    ("421 4.4.1 Unable to connect to remote host", D, None, None,
     "TransientCommunicationFailure", "network-4xx"),
    ("421 Service not available, closing transmission channel", D, None, None,
     "TransientCommunicationFailure", "network-4xx-text"),
    ("451 4.3.0 Local error in processing", D, None, None, "RecipientServerError",
     "recipient-server-4xx"),
    ("450 4.0.0 Try again later", D, None, None, "General", "transient-4xx"),
    ("354 Start mail input", B, "Undetermined", "Undetermined", None, "undetermined"),
]


def _fields(c: Classification) -> tuple:
    return (c.outcome, c.bounce_type, c.bounce_subtype, c.delay_type, c.throttle, c.ip_block,
            c.rule)


def _id(case: tuple) -> str:
    return f"{case[0][:12]}-{case[-1]}"


@pytest.mark.parametrize("case", FACTS_REPLIES, ids=_id)
def test_facts_replies_with_provider(case):
    """Every FACTS.md reply classifies to its expected SES outcome, type and flags."""
    text, provider, *expected = case
    assert _fields(classify_line(text, provider)) == tuple(expected)


@pytest.mark.parametrize("case", FACTS_REPLIES, ids=_id)
def test_facts_replies_without_provider(case):
    """Provider-specific replies are recognised from their text when no provider is given."""
    text, _provider, *expected = case
    assert _fields(classify_line(text)) == tuple(expected)


@pytest.mark.parametrize("case", GENERIC_REPLIES, ids=_id)
def test_generic_fallbacks(case):
    """Generic rules map code, enhanced code and wording to SES outcomes; no flags set."""
    text, *expected = case
    c = classify_line(text, "other")
    assert (c.outcome, c.bounce_type, c.bounce_subtype, c.delay_type, c.rule) == tuple(expected)
    assert not c.throttle and not c.ip_block


def test_generic_ip_block_and_rate_limit():
    """Generic block-list/reputation/X.7.x policy 5xx set ip_block; rate-limit 4xx throttle."""
    blocked = classify_line("554 5.7.1 Service unavailable; client host blocked using Spamhaus")
    assert (blocked.outcome, blocked.ip_block, blocked.rule) == (B, True, "ip-blocklisted")
    poor = classify_line("550 5.7.1 Message rejected due to poor sender reputation")
    assert (poor.bounce_type, poor.ip_block, poor.rule) == (P, True, "ip-blocklisted")
    policy = classify_line("550 5.7.1 Message rejected: sender ignored deferrals")
    assert (policy.bounce_type, policy.ip_block, policy.rule) == (P, True, "policy-5.7")
    limited = classify_line("450 4.7.1 Rate limit exceeded, try later")
    assert (limited.delay_type, limited.throttle, limited.rule) == (
        "IPFailure", True, "rate-limited")


@pytest.mark.parametrize(
    "event,key,entries", [("bounce", "bounce", "bouncedRecipients"),
                          ("deliverydelay", "deliveryDelay", "delayedRecipients")])
def test_matches_ses_fixtures(event, key, entries):
    """SES's published example events agree with our classification of their diagnostic."""
    path = FIXTURES / f"{event}.json"
    if not path.exists():
        pytest.skip(f"fixture {path} not available")
    record = json.loads(path.read_text())[key]
    c = classify_line(record[entries][0]["diagnosticCode"])
    if event == "bounce":
        assert (c.bounce_type, c.bounce_subtype) == (record["bounceType"],
                                                     record["bounceSubType"])
    else:
        assert c.delay_type == record["delayType"]


def test_parse_single_line():
    """A single-line reply splits into code, enhanced code and text."""
    r = Reply.parse("451 4.7.650 The mail server [1.2.3.4] has been temporarily rate limited "
                    "due to IP reputation. (S775)")
    assert r.code == 451 and r.enhanced == "4.7.650"
    assert r.text.startswith("The mail server [1.2.3.4]") and r.text.endswith("(S775)")


def test_parse_without_enhanced_code():
    """A reply without an enhanced code has enhanced None and keeps all its text."""
    assert Reply.parse("454 Throttling failure: Maximum sending rate exceeded") == Reply(
        454, None, "Throttling failure: Maximum sending rate exceeded")
    assert Reply.parse("250") == Reply(250, None, "")


def test_parse_multiline_strips_repeated_prefixes():
    """Multi-line replies join text with spaces and drop repeated code and enhanced code."""
    r = Reply.parse("250-mx.example.com Hello\r\n250-PIPELINING\r\n250 8BITMIME")
    assert r == Reply(250, None, "mx.example.com Hello PIPELINING 8BITMIME")
    g = Reply.parse(FACTS_REPLIES[0][0])
    assert g.code == 421 and g.enhanced == "4.7.28"
    assert "4.7.28" not in g.text and "421" not in g.text
    assert "spam, mail sent from your IP address" in g.text


def test_parse_dsn_diagnostic_prefix():
    """A DSN Diagnostic-Code ("smtp; 550 ...") parses as the reply it carries."""
    assert Reply.parse("smtp; 550 5.1.1 user unknown") == Reply(550, "5.1.1", "user unknown")


@pytest.mark.parametrize("bad", ["", "   ", "hello", "OK 250", "25 OK", "2500 OK", "abc 250",
                                 "999 nonsense", "600 Unknown", "199 x"])
def test_parse_rejects_line_without_code(bad):
    """A line without a leading 3-digit code of 2xx to 5xx raises ValueError."""
    with pytest.raises(ValueError, match="3-digit code"):
        Reply.parse(bad)


def test_parse_rejects_mixed_codes():
    """Continuation lines with a different reply code are rejected."""
    with pytest.raises(ValueError, match="mixed reply codes"):
        Reply.parse("250-first\n550 second")


def test_str_and_round_trip():
    """str(reply) is "CODE ENHANCED TEXT" without empty parts, and parses back equal."""
    assert str(Reply(250, "2.0.0", "OK")) == "250 2.0.0 OK"
    assert str(Reply(454, None, "Throttling failure")) == "454 Throttling failure"
    assert str(Reply(250, None, "")) == "250"
    for text, *_ in FACTS_REPLIES:
        r = Reply.parse(text)
        assert Reply.parse(str(r)) == r


def test_provider_rule_precedence_over_generic():
    """A provider's own rule beats the generic one; other providers fall back to generic."""
    text = FACTS_REPLIES[5][0]  # Gmail 550-5.7.1 "... likely unsolicited mail ... blocked"
    assert classify_line(text, "gmail").rule == "gmail-5.7.1-blocked"
    assert classify_line(text, None).rule == "gmail-5.7.1-blocked"
    for other in ("yahoo", "other", "some-unknown-isp"):
        c = classify_line(text, other)
        assert (c.rule, c.bounce_type, c.bounce_subtype, c.ip_block) == (
            "content-rejected", T, "ContentRejected", False)


def test_unknown_provider_uses_generic_rules_only():
    """An unknown provider name skips all provider rules but still classifies."""
    c = classify_line(FACTS_REPLIES[13][0], "comcast")  # Microsoft S3150 text
    assert (c.rule, c.ip_block, c.bounce_type) == ("ip-blocklisted", True, P)


def test_provider_name_is_case_insensitive():
    """Provider names are matched case-insensitively."""
    assert classify_line(FACTS_REPLIES[5][0], "Gmail").rule == "gmail-5.7.1-blocked"


def test_provider_rules_tried_before_generic_whatever_the_order():
    """With custom rules, provider rules are tried first even if listed after generic ones."""
    rules = (ReplyRule("catch-all", "xxx", "Bounce", "Undetermined", "Undetermined"),
             ReplyRule("apple-throttle", "421", "DeliveryDelay", delay_type="IPFailure",
                       throttle=True, text="volume", provider="apple"))
    reply = Reply.parse("421 4.7.1 deferred due to excessive volume")
    assert classify(reply, "apple", rules).rule == "apple-throttle"
    assert classify(reply, "gmail", rules).rule == "catch-all"


def test_custom_rules_without_match_give_undetermined():
    """When no custom rule matches, the result is an Undetermined bounce named no-match."""
    rules = (ReplyRule("ok", "2xx", "Delivery"),)
    c = classify(Reply(550, None, "no"), rules=rules)
    assert (c.outcome, c.bounce_type, c.rule) == (B, "Undetermined", "no-match")


def test_default_rules_are_well_formed():
    """Default rule names are unique, providers known, and provider rules match on text
    or on an enhanced code only that provider uses."""
    names = [r.name for r in DEFAULT_RULES]
    assert len(names) == len(set(names))
    for rule in DEFAULT_RULES:
        if rule.provider is not None:
            assert rule.provider in PROVIDERS and (rule.text or rule.enhanced)
    assert DEFAULT_RULES[-1].code_pattern == "xxx"  # catch-all last


def test_rule_and_classification_validation():
    """Bad code patterns and inconsistent SES fields are rejected at construction."""
    with pytest.raises(ValueError):
        ReplyRule("bad", "5x", "Bounce", "Permanent", "General")
    with pytest.raises(ValueError):
        Classification("Bounce", "Permanent", "MailboxFull")  # MailboxFull is Transient
    with pytest.raises(ValueError):
        Classification("DeliveryDelay", delay_type="NotAType")
    with pytest.raises(ValueError):
        Classification("DeliveryDelay", delay_type="General", ip_block=True)
    with pytest.raises(ValueError):
        Classification("Sent")


def test_default_path_is_memoized():
    """Repeated default-rule classification of the same reply returns the cached result."""
    reply = Reply.parse("454 Throttling failure: Maximum sending rate exceeded")
    assert classify(reply, "gmail") is classify(reply, "gmail")


def test_to_dict_keys_and_json():
    """to_dict has every field, keeps None values, and is JSON-serialisable."""
    d = classify_line("250 2.0.0 OK").to_dict()
    assert list(d) == ["outcome", "bounce_type", "bounce_subtype", "delay_type", "throttle",
                       "ip_block", "rule"]
    assert d["bounce_type"] is None and d["delay_type"] is None
    assert json.loads(json.dumps(d)) == d


def test_classify_line_equals_classify_parse():
    """classify_line is classify(Reply.parse(line), provider)."""
    text = FACTS_REPLIES[8][0]
    assert classify_line(text, "yahoo") == classify(Reply.parse(text), "yahoo")
