"""A scripted SMTP sink for the sending tests: aiosmtpd on 127.0.0.1, a free port.

Replies are scripted by the recipient's local part:

* ``<code>x<n>-name`` answers RCPT with the canned reply for ``code`` the first
  ``n`` times, then accepts (``451x2-ann``); without ``x<n>`` always (``550-bob``).
* ``slowx<n>-name`` sleeps ``slow_s`` in DATA the first ``n`` times.
* ``dropx<n>-name`` closes the connection in DATA (no reply) the first ``n`` times.

``refuse_connections`` answers that many connections with ``421`` at once.
Every accepted message is kept in ``received`` as (recipient, time, data).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import re
import socket
import ssl
import threading
import time
from collections import Counter
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult

REPLIES = {
    "421": "421 4.7.28 Our system has detected an unusual rate of unsolicited mail originating"
           " from your IP address. To protect our users from spam, mail sent from your IP"
           " address has been temporarily rate limited.",
    "451": "451 4.3.0 Mail server temporarily rejected message",
    "452": "452 4.2.2 The email account that you tried to reach is over quota",
    "454": "454 Throttling failure: Maximum sending rate exceeded",
    "550": "550 5.1.1 user unknown",
}
_SCRIPT = re.compile(r"^(\w+?)(?:x(\d+))?-")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Handler:
    def __init__(self, slow_s: float = 2.0, data_delay_s: float = 0.0) -> None:
        self.slow_s, self.data_delay_s = slow_s, data_delay_s
        self.seen: Counter = Counter()
        self.received: list[tuple[str, float, bytes]] = []
        self.drops = 0
        self.refuse_connections = 0
        self.lock = threading.Lock()

    def _script(self, address: str, stage: str) -> str | None:
        m = _SCRIPT.match(address.split("@")[0])
        if not m or (m.group(1) in ("slow", "drop")) != (stage == "DATA"):
            return None
        key = (address, stage)
        n = self.seen[key]
        self.seen[key] += 1
        if m.group(2) is not None and n >= int(m.group(2)):
            return None
        return m.group(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        action = self._script(address, "RCPT")
        if action in REPLIES:
            return REPLIES[action]
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        rcpt = envelope.rcpt_tos[0]
        action = self._script(rcpt, "DATA")
        if action == "drop":
            self.drops += 1
            server.transport.close()
            return "451 4.3.0 never seen"
        if action == "slow":
            await asyncio.sleep(self.slow_s)
        if self.data_delay_s:
            await asyncio.sleep(self.data_delay_s)
        with self.lock:
            self.received.append((rcpt, time.time(), envelope.content))
        return "250 2.0.0 Ok: queued"


class _Server(SMTP):
    async def _handle_client(self):
        handler = self.event_handler
        if handler.refuse_connections > 0:
            handler.refuse_connections -= 1
            await self.push("421 4.7.0 Too many concurrent SMTP connections")
            self.transport.close()
            return
        await super()._handle_client()


class Sink(Controller):
    def __init__(self, handler: Handler, **kwargs) -> None:
        self.port = free_port()
        super().__init__(handler, hostname="127.0.0.1", port=self.port, **kwargs)

    def factory(self):
        return _Server(self.handler, **self.SMTP_kwargs)


def make_cert(folder: Path, name: str = "sink") -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1 / localhost: (cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"),
                 x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / f"{name}.crt", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def authenticator(user: str, password: str):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login.decode(), auth_data.password.decode()) == (user, password)
        return AuthResult(success=ok)
    return check


SCENARIO = """\
# Question: test scenario for sessim send.
name: send-test
start_date: {start}
duration_days: 45
sender:
  streams:
    - {{name: warmup, kind: marketing, configuration_set: warmup-dedicated, daily_volume: 1000}}
account: {{daily_quota: 50000, max_send_rate_per_s: 14}}
options:
  - name: dedicated
    pool:
      type: dedicated-standard
      warmup: {{steps: [{{day: 1, daily_per_ip: {cap}}}]}}
sending:
  relay: {relay}
  envelope_from: bounces@sender.example.com
  from_header: "Sender <news@sender.example.com>"
  option: dedicated
  max_send_rate_per_s: {rate}
  retry_schedule_s: [0.05, 0.1, 0.2]
  expiry_hours: {expiry}
{extra}"""

MESSAGE = """\
Subject: Hello {{first_name}}
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hi {{first_name}}, this is a test.
"""


def write_job(folder: Path, port: int, emails: list[str], relay: str = "", rate: float = 1000,
              cap: float = 1_000_000, expiry: float = 1.0, extra: str = "") -> tuple[Path, ...]:
    relay = relay or f"{{host: 127.0.0.1, port: {port}, tls: none, timeout_s: 1}}"
    scenario = folder / "scenario.yaml"
    scenario.write_text(SCENARIO.format(start=dt.date.today().isoformat(), relay=relay,
                                        rate=rate, cap=cap, expiry=expiry, extra=extra))
    recipients = folder / "recipients.csv"
    recipients.write_text("email,first_name\n" + "".join(f"{e},N{i}\n"
                                                         for i, e in enumerate(emails)))
    message = folder / "message.eml"
    message.write_text(MESSAGE)
    return scenario, recipients, message


def read_events(path: Path) -> list[dict]:
    import json
    return [json.loads(line) for line in path.read_text().splitlines()]


def final_events(events: list[dict]) -> Counter:
    """Recipient -> how many final events (Delivery, Bounce, Reject) it has."""
    return Counter(e["mail"]["destination"][0] for e in events
                   if e["eventType"] in ("Delivery", "Bounce", "Reject"))
