"""SES-format event records (JSON-ready dicts) from engine events.

Field names and shapes follow AWS's published examples
(/work/shared/fixtures/ses-events, DG:event-publishing-retrieving-sns-examples):
``eventType``, a ``mail`` object, and one type object (``send``, ``delivery``,
``bounce``, ``deliveryDelay``, ``reject``). A send to an address on the account
suppression list is reported as SES does: a Permanent / OnAccountSuppressionList
bounce.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sessim.engine.replies import Classification, Reply

SUPPRESSED_DIAGNOSTIC = ("Amazon SES did not send the message to this address because it is"
                         " on the suppression list for your account.")


@dataclass(frozen=True, slots=True)
class MailInfo:
    """What an event's ``mail`` object says about one message."""

    message_id: str
    source: str
    from_header: str
    recipient: str
    subject: str
    config_set: str
    timestamp: float
    from_domain: str


def iso(t: float) -> str:
    """SES timestamp form: 2016-10-19T23:20:52.240Z."""
    stamp = dt.datetime.fromtimestamp(t, dt.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def mail_object(m: MailInfo) -> dict:
    return {
        "timestamp": iso(m.timestamp),
        "source": m.source,
        "messageId": m.message_id,
        "destination": [m.recipient],
        "headersTruncated": False,
        "headers": [{"name": "From", "value": m.from_header},
                    {"name": "To", "value": m.recipient},
                    {"name": "Subject", "value": m.subject},
                    {"name": "Message-ID", "value": f"<{m.message_id}>"},
                    {"name": "X-SES-CONFIGURATION-SET", "value": m.config_set}],
        "commonHeaders": {"from": [m.from_header], "to": [m.recipient],
                          "messageId": m.message_id, "subject": m.subject},
        "tags": {"ses:configuration-set": [m.config_set],
                 "ses:from-domain": [m.from_domain]},
    }


def _status(reply: Reply) -> str:
    return reply.enhanced or f"{reply.code // 100}.0.0"


def _feedback_id(m: MailInfo, t: float) -> str:
    return hashlib.sha256(f"{m.message_id}:{t}".encode()).hexdigest()[:40]


def send_record(m: MailInfo) -> dict:
    return {"eventType": "Send", "mail": mail_object(m), "send": {}}


def delivery_record(m: MailInfo, t: float, reply: Reply, reporting_mta: str) -> dict:
    return {"eventType": "Delivery", "mail": mail_object(m), "delivery": {
        "timestamp": iso(t), "processingTimeMillis": int(round((t - m.timestamp) * 1000)),
        "recipients": [m.recipient], "smtpResponse": str(reply),
        "reportingMTA": reporting_mta}}


def bounce_record(m: MailInfo, t: float, c: Classification, reply: Reply | None,
                  reporting_mta: str) -> dict:
    recipient = {"emailAddress": m.recipient, "action": "failed"}
    if reply is None:  # on the account suppression list
        recipient |= {"status": "5.1.1", "diagnosticCode": SUPPRESSED_DIAGNOSTIC}
    else:
        recipient |= {"status": _status(reply), "diagnosticCode": f"smtp; {reply}"}
    return {"eventType": "Bounce", "mail": mail_object(m), "bounce": {
        "bounceType": c.bounce_type, "bounceSubType": c.bounce_subtype,
        "bouncedRecipients": [recipient], "timestamp": iso(t),
        "feedbackId": _feedback_id(m, t), "reportingMTA": f"dsn; {reporting_mta}"}}


def suppressed_record(m: MailInfo, t: float, reporting_mta: str) -> dict:
    c = Classification("Bounce", "Permanent", "OnAccountSuppressionList")
    return bounce_record(m, t, c, None, reporting_mta)


def delay_record(m: MailInfo, t: float, c: Classification, reply: Reply,
                 expiry: float) -> dict:
    return {"eventType": "DeliveryDelay", "mail": mail_object(m), "deliveryDelay": {
        "timestamp": iso(t), "delayType": c.delay_type, "expirationTime": iso(expiry),
        "delayedRecipients": [{"emailAddress": m.recipient, "status": _status(reply),
                               "diagnosticCode": f"smtp; {reply}"}]}}


def reject_record(m: MailInfo, reply: Reply) -> dict:
    return {"eventType": "Reject", "mail": mail_object(m), "reject": {"reason": str(reply)}}
