"""Turn one parsed JSON value into a flat SES event, or say why it cannot be used.

Accepts both record forms SES writes: event publishing (``eventType``, e.g.
from a Firehose or SNS destination) and identity notifications
(``notificationType``), bare or wrapped in an SNS notification whose
``Message`` field holds the record as a JSON string (FACTS.md "Event records").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

EVENT_TYPES = ("Send", "Reject", "Bounce", "Complaint", "Delivery", "Open", "Click",
               "Rendering Failure", "DeliveryDelay", "Subscription")
_TYPES = {t: t for t in EVENT_TYPES} | {"RenderingFailure": "Rendering Failure",
                                        "Received": "Received"}
# Where each type lists the recipients it is about (outside ``mail.destination``).
_RECIPIENTS = {"Bounce": ("bounce", "bouncedRecipients"),
               "Complaint": ("complaint", "complainedRecipients"),
               "DeliveryDelay": ("deliveryDelay", "delayedRecipients")}

# Recipient domain -> provider (FACTS.md "Mailbox providers"): matched on the
# domain's first label, so country variants (hotmail.co.uk, yahoo.fr) count too.
_FIRST_LABEL = {"gmail": "gmail", "googlemail": "gmail",
                "outlook": "microsoft", "hotmail": "microsoft", "live": "microsoft",
                "msn": "microsoft", "windowslive": "microsoft",
                "yahoo": "yahoo", "aol": "yahoo", "ymail": "yahoo", "rocketmail": "yahoo"}
_EXACT = {"icloud.com": "apple", "me.com": "apple", "mac.com": "apple"}
_PROVIDER_CACHE: dict[str, str] = {}
_CACHE_MAX = 200_000


def provider_of(address: str) -> str:
    """The mailbox provider (gmail, microsoft, yahoo, apple, other) of an address."""
    domain = address.rpartition("@")[2]
    found = _PROVIDER_CACHE.get(domain)
    if found is not None:
        return found
    clean = domain.strip().strip(">").lower()
    label, _, rest = clean.partition(".")
    found = _EXACT.get(clean) or (_FIRST_LABEL.get(label, "other") if rest and len(rest) <= 6
                                  else "other")
    if len(_PROVIDER_CACHE) < _CACHE_MAX:
        _PROVIDER_CACHE[domain] = found
    return found


@dataclass(frozen=True, slots=True)
class Event:
    """The fields of one SES event record that a profile uses."""

    kind: str
    hour_key: str  # mail.timestamp to the hour, "YYYY-MM-DDTHH" (UTC)
    message_id: str
    config_set: str | None
    recipients: tuple[str, ...]
    bounce_type: str | None = None
    bounce_subtype: str | None = None
    processing_ms: float | None = None
    outgoing_ip: str | None = None
    delay_type: str | None = None


def _unwrap(obj: dict[str, Any]) -> dict[str, Any] | str:
    message = obj.get("Message")
    if not isinstance(message, str):
        return "no eventType or notificationType"
    try:
        inner = json.loads(message)
    except ValueError:
        return "SNS Message is not valid JSON"
    if not isinstance(inner, dict):
        return "SNS Message is not a JSON object"
    return inner


def _tag(tags: Any, name: str) -> str | None:
    try:
        value = tags[name]
    except (KeyError, TypeError):
        return None
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) else None


def _emails(items: Any) -> tuple[str, ...] | None:
    if not isinstance(items, list):
        return None
    out = []
    for item in items:
        address = item.get("emailAddress") if isinstance(item, dict) else item
        if isinstance(address, str):
            out.append(address)
    return tuple(out)


def parse_event(obj: Any) -> Event | str:
    """An :class:`Event` from a decoded record, or a short reason it is unusable."""
    try:
        raw_type = obj.get("eventType") or obj.get("notificationType")
    except AttributeError:
        return f"not a JSON object (a {type(obj).__name__})"
    if raw_type is None:
        obj = _unwrap(obj)
        if isinstance(obj, str):
            return obj
        raw_type = obj.get("eventType") or obj.get("notificationType")
    kind = _TYPES.get(raw_type) if isinstance(raw_type, str) else None
    if kind is None:
        return ("no eventType or notificationType" if raw_type is None
                else f"unknown event type {raw_type!r}")
    mail = obj.get("mail")
    if not isinstance(mail, dict):
        return "no mail object"
    ts = mail.get("timestamp")
    if not (type(ts) is str and len(ts) >= 13 and ts[4] == "-" and ts[7] == "-"
            and ts[10] in "T " and ts[11:13].isdigit()):
        return "mail.timestamp missing or not an ISO time"
    destination = mail.get("destination")
    if not isinstance(destination, list):
        return "mail.destination missing"
    tags = mail.get("tags")
    try:  # the common case inline: a list of one string
        config_set = tags["ses:configuration-set"][0]
    except (KeyError, TypeError, IndexError):
        config_set = _tag(tags, "ses:configuration-set")
    if type(config_set) is not str:
        config_set = None
    message_id = mail.get("messageId")
    if not isinstance(message_id, str):
        message_id = ""
    if kind == "Send" or kind == "Open":  # the common cheap cases
        return Event(kind, ts[:13], message_id, config_set, tuple(destination))
    if kind == "Delivery":
        detail = obj.get("delivery")
        if not isinstance(detail, dict):
            return "Delivery record without a delivery object"
        recipients = _emails(detail.get("recipients")) or tuple(destination)
        ms = detail.get("processingTimeMillis")
        if not (isinstance(ms, (int, float)) and not isinstance(ms, bool) and ms >= 0):
            ms = None
        return Event(kind, ts[:13], message_id, config_set, recipients, None, None,
                     ms, _tag(tags, "ses:outgoing-ip"))
    if kind not in _RECIPIENTS:
        return Event(kind, ts[:13], message_id, config_set, tuple(destination))
    key, field = _RECIPIENTS[kind]
    detail = obj.get(key)
    if not isinstance(detail, dict):
        return f"{kind} record without a {key} object"
    listed = _emails(detail.get(field))
    if listed is None:
        return f"{kind} record without {key}.{field}"
    bounce_type = bounce_subtype = delay_type = None
    if kind == "Bounce":
        bounce_type = detail.get("bounceType")
        if bounce_type not in ("Permanent", "Transient", "Undetermined"):
            return "Bounce record without a known bounce.bounceType"
        bounce_subtype = str(detail.get("bounceSubType") or "General")
    elif kind == "DeliveryDelay":
        delay_type = str(detail.get("delayType") or "Undetermined")
    return Event(kind, ts[:13], message_id, config_set, listed, bounce_type, bounce_subtype,
                 None, None, delay_type)
