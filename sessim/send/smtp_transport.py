"""Real SMTP with aiosmtplib: TLS (STARTTLS or implicit, verified), AUTH, connection
reuse, a bounded number of parallel connections, a timeout on every step.

:meth:`SmtpTransport.send` makes one attempt for one message and returns the
server's :class:`Reply` for it; transient network trouble in the middle of a
transaction becomes a 4xx reply (the engine retries it). A relay that cannot be
used at all (refused or timed-out connection, TLS or AUTH failure) raises
:class:`RelayUnavailable`: the caller stops and keeps the queue.
Credentials are read from the environment variables the scenario names and are
never put in an error message.
"""

from __future__ import annotations

import asyncio
import os
import re
import ssl
from dataclasses import dataclass

import aiosmtplib

from sessim.engine.core import RELAY_REJECT
from sessim.engine.replies import PROVIDERS, Reply, classify
from sessim.errors import InputError, PeerError
from sessim.send.config import Relay


class RelayUnavailable(PeerError):
    """The relay cannot be used: connection, TLS or authentication failed."""


@dataclass(frozen=True, slots=True)
class Envelope:
    sender: str
    recipient: str
    data: bytes


def credentials(relay: Relay, environ: dict[str, str] | None = None
                ) -> tuple[str, str] | None:
    """(user, password) from the environment variables the relay names, or None."""
    env = os.environ if environ is None else environ
    if not relay.username_env and not relay.password_env:
        return None
    missing = [v for v in (relay.username_env, relay.password_env) if not v or v not in env]
    if missing:
        raise InputError(f"SMTP credentials: set the environment variable(s) {missing}"
                         " (sending.relay.username_env / password_env)")
    return env[relay.username_env or ""], env[relay.password_env or ""]


def tls_context(relay: Relay) -> ssl.SSLContext | None:
    """A verifying client context (system CAs, or ``ca_file``); None without TLS."""
    if relay.tls == "none":
        return None
    try:
        return ssl.create_default_context(cafile=relay.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise InputError(f"cannot load the CA file {relay.ca_file}: {exc}") from exc


def _reply(code: int, message: str) -> Reply:
    text = " ".join(message.split())
    try:
        return Reply.parse(f"{code} {text}")
    except ValueError:
        return Reply(code, None, text)


# A 5xx to DATA (one recipient per transaction, already accepted at RCPT) concerns the
# recipient only if it says so: RFC 3463 X.1.x (address) or X.2.x (mailbox), or the
# wording of an unknown user.
_RECIPIENT_LEVEL = re.compile(r"^5\.[12]\.\d+$")
_RECIPIENT_TEXT = re.compile(r"user unknown|unknown (user|recipient)|does not exist|"
                             r"no such user|mailbox (unavailable|full|is full)|over ?quota",
                             re.IGNORECASE)


def data_reply(reply: Reply) -> Reply:
    """The reply to report for a 5xx answered to DATA. A refusal of the message itself
    (``500 Line too long``, ``554 5.6.0 ...``) that the classifier would count as a
    Permanent bounce (and so suppress the address) is reported as a content rejection,
    ``550 5.7.0`` (SES: Transient / ContentRejected), or as ``552 5.3.4`` when it is
    about size (Transient / MessageTooLarge); the server's reply stays in the text.
    Replies about the recipient, IP/authentication blocks, SES's own ``554 Message
    rejected`` and replies already classified Transient are kept as they are."""
    if reply.code < 500 or RELAY_REJECT.match(str(reply)):
        return reply
    if (reply.enhanced and _RECIPIENT_LEVEL.match(reply.enhanced)) or \
            _RECIPIENT_TEXT.search(reply.text):
        return reply
    classes = [classify(reply, p) for p in (None, *PROVIDERS)]
    if all(c.bounce_type != "Permanent" or c.ip_block for c in classes):
        return reply
    if reply.enhanced in ("5.3.4", "5.2.3") or _SIZE_TEXT.search(reply.text):
        return Reply(552, "5.3.4", f"message too large, refused at DATA: {reply}")
    return Reply(550, "5.7.0", f"message content refused at DATA: {reply}")


_SIZE_TEXT = re.compile(r"too (large|big)|size|length", re.IGNORECASE)


_TLS_MODE = {"starttls": "with STARTTLS", "implicit": "with implicit TLS",
             "none": "without TLS"}


class SmtpTransport:
    """A pool of up to ``relay.connections`` SMTP connections to one relay."""

    def __init__(self, relay: Relay, creds: tuple[str, str] | None = None,
                 context: ssl.SSLContext | None = None) -> None:
        self.relay = relay
        self._creds = creds
        self._context = context if context is not None else tls_context(relay)
        self._idle: list[aiosmtplib.SMTP] = []
        self._slots = asyncio.Semaphore(relay.connections)
        self.connects = 0

    def __repr__(self) -> str:  # never show credentials
        r = self.relay
        return f"SmtpTransport({r.host}:{r.port}, tls={r.tls}, connections={r.connections})"

    async def _connect(self) -> aiosmtplib.SMTP | Reply:
        r = self.relay
        client = aiosmtplib.SMTP(
            hostname=r.host, port=r.port, timeout=r.timeout_s, local_hostname=r.helo_name,
            use_tls=r.tls == "implicit", start_tls=r.tls == "starttls",
            tls_context=self._context)
        where = f"{r.host}:{r.port}"
        try:
            await client.connect()
            if client.is_ehlo_or_helo_needed:
                try:
                    await client.ehlo()
                except aiosmtplib.SMTPHeloError:
                    await client.helo()
            if self._creds:
                await client.login(*self._creds)
        except aiosmtplib.SMTPAuthenticationError as exc:
            client.close()
            raise RelayUnavailable(f"SMTP relay {where}: authentication failed"
                                   f" ({exc.code} {exc.message})") from None
        except aiosmtplib.SMTPConnectResponseError as exc:
            # The server answered the connection with an error (e.g. 421 too busy):
            # a reply for the message, retried by the engine.
            client.close()
            return _reply(exc.code, exc.message)
        except (aiosmtplib.SMTPConnectTimeoutError, aiosmtplib.SMTPTimeoutError) as exc:
            client.close()
            raise RelayUnavailable(f"SMTP relay {where}: timed out after {r.timeout_s:g} s"
                                   f" while connecting ({exc})") from None
        except aiosmtplib.SMTPResponseException as exc:
            client.close()
            if exc.code >= 500 or "tls" in exc.message.lower():
                raise RelayUnavailable(f"SMTP relay {where}: {exc.code} {exc.message}"
                                       ) from None
            return _reply(exc.code, exc.message)
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:
            client.close()
            raise RelayUnavailable(f"SMTP relay {where} cannot be used"
                                   f" ({_TLS_MODE[r.tls]}): {exc}") from None
        self.connects += 1
        return client

    async def send(self, envelope: Envelope) -> Reply:
        """One attempt for one message: the server's reply for that recipient."""
        async with self._slots:
            client = self._idle.pop() if self._idle else await self._connect()
            if isinstance(client, Reply):
                return client
            if not client.is_connected:
                client = await self._connect()
                if isinstance(client, Reply):
                    return client
            reusable = True
            try:
                reply = await self._transaction(client, envelope)
            except aiosmtplib.SMTPServerDisconnected as exc:
                reusable = False
                reply = Reply(451, "4.4.2", f"connection lost: {exc}")
            except (aiosmtplib.SMTPTimeoutError, asyncio.TimeoutError):
                reusable = False
                reply = Reply(451, "4.4.2", f"timed out after {self.relay.timeout_s:g} s")
            except aiosmtplib.SMTPResponseException as exc:
                reply = _reply(exc.code, exc.message)
                reusable = exc.code != 421
            except (OSError, aiosmtplib.SMTPException) as exc:
                reusable = False
                reply = Reply(451, "4.4.2", f"connection error: {exc}")
            if reusable and client.is_connected:
                self._idle.append(client)
            else:
                client.close()
            return reply

    async def _transaction(self, client: aiosmtplib.SMTP, envelope: Envelope) -> Reply:
        """MAIL, RCPT, DATA for one recipient (addresses were checked on input, so
        they go out as given: no re-parsing per message)."""
        mail = await client.execute_command(b"MAIL", b"FROM:<%s>" % envelope.sender.encode())
        if mail.code != 250:
            return await self._refused(client, mail)
        rcpt = await client.execute_command(b"RCPT", b"TO:<%s>" % envelope.recipient.encode())
        if rcpt.code not in (250, 251):
            return await self._refused(client, rcpt)
        try:
            done = await client.data(envelope.data)
        except aiosmtplib.SMTPDataError as exc:
            return data_reply(_reply(exc.code, exc.message))
        return _reply(done.code, done.message)

    async def _refused(self, client: aiosmtplib.SMTP, response) -> Reply:
        reply = _reply(response.code, response.message)
        if response.code == 421:
            client.close()
        else:
            await client.rset()
        return reply

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for client in idle:
            try:
                await client.quit(timeout=self.relay.timeout_s)
            except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError):
                client.close()
