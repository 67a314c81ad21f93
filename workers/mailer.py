"""SMTP delivery over one reused connection (a new SMTP session per mail is slow)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from email.message import EmailMessage, Message
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

SERVICE_CLOSING = 421  # RFC 5321 4.2.3: the server is closing the session


class PermanentMailError(Exception):
    """The server refused the message for good (5xx): retrying will not help."""


class TemporaryMailError(Exception):
    """Connection trouble or a 4xx reply: worth another try later."""


class SmtpMailer:
    def __init__(self, url: str, *, timeout: float = 20) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"}:
            raise ValueError("SMTP_URL must look like smtp://user:password@host:587?starttls=true")
        query = parse_qs(parts.query)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (465 if parts.scheme == "smtps" else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.use_tls = parts.scheme == "smtps"
        self.start_tls = query.get("starttls", ["false"])[0].lower() in {"1", "true", "yes"}
        self.timeout = timeout
        self._client: aiosmtplib.SMTP | None = None
        self._lock = asyncio.Lock()

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        client = aiosmtplib.SMTP(
            hostname=self.host, port=self.port, use_tls=self.use_tls,
            start_tls=self.start_tls, timeout=self.timeout,
        )
        await client.connect()
        if self.username:
            await client.login(self.username, self.password or "")
        self._client = client
        return client

    async def send(self, message: EmailMessage) -> str:
        return await self._converse(lambda client: client.send_message(message, timeout=None))

    async def send_raw(self, sender: str, recipient: str, data: bytes) -> str:
        """A message already encoded (headers and all, CRLF line endings)."""
        return await self._converse(
            lambda client: client.sendmail(sender, [recipient], data, timeout=None))

    async def _converse(self, send: Callable[[aiosmtplib.SMTP], Awaitable[tuple[Any, str]]]
                        ) -> str:
        async with self._lock:  # one SMTP conversation at a time on the shared connection
            try:
                # One deadline for the whole conversation rather than aiosmtplib's per
                # reply: its per-reply wait_for put a timer and an extra trip through
                # the event loop on each of the four replies of a send, and in a busy
                # sender every trip waits behind other work (B5).
                async with asyncio.timeout(self.timeout):
                    _errors, reply = await send(await self._connected())
                return reply
            except aiosmtplib.SMTPResponseException as exc:
                if 500 <= exc.code < 600:
                    raise PermanentMailError(f"{exc.code} {exc.message}") from exc
                # A 4xx ends this transaction only (aiosmtplib has sent RSET): the session
                # goes on, except after 421, the server closing it. Reconnecting after
                # every 451 cost a new session per 50 messages in B5.
                if exc.code == SERVICE_CLOSING or not self._client_connected():
                    await self._reset()
                raise TemporaryMailError(f"{exc.code} {exc.message}") from exc
            except aiosmtplib.SMTPRecipientsRefused as exc:
                # Refused at RCPT (aiosmtplib has sent RSET; the session goes on): for
                # good when every refusal is a 5xx (no such mailbox), else later.
                refusals = "; ".join(f"{e.code} {e.message}" for e in exc.recipients)
                if exc.recipients and all(500 <= e.code < 600 for e in exc.recipients):
                    raise PermanentMailError(refusals) from exc
                raise TemporaryMailError(refusals or "recipient refused") from exc
            except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
                await self._reset()
                raise TemporaryMailError(str(exc) or exc.__class__.__name__) from exc

    def _client_connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    async def _reset(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            finally:
                self._client = None

    async def close(self) -> None:
        if self._client is not None and self._client.is_connected:
            try:
                await self._client.quit()
            except aiosmtplib.SMTPException:
                self._client.close()
        self._client = None


class SmtpPool:
    """`size` reused SMTP connections (SmtpMailer each) for the campaign sender: sends
    run in parallel, one per connection, and a broken connection reconnects on its next
    use. Same errors as SmtpMailer."""

    def __init__(self, url: str, *, size: int, timeout: float = 20) -> None:
        self.size = max(1, size)
        self._idle: asyncio.Queue[SmtpMailer] = asyncio.Queue()
        self._all = [SmtpMailer(url, timeout=timeout) for _ in range(self.size)]
        for mailer in self._all:
            self._idle.put_nowait(mailer)

    async def send(self, message: Message) -> str:
        # aiosmtplib sends any email.message.Message (the campaign sender builds faster
        # compat32 ones); SmtpMailer only passes it through.
        return await self._on_idle(lambda mailer: mailer.send(cast(EmailMessage, message)))

    async def send_raw(self, sender: str, recipient: str, data: bytes) -> str:
        return await self._on_idle(lambda mailer: mailer.send_raw(sender, recipient, data))

    async def _on_idle(self, send: Callable[[SmtpMailer], Awaitable[str]]) -> str:
        mailer = await self._idle.get()
        try:
            return await send(mailer)
        finally:
            self._idle.put_nowait(mailer)

    async def close(self) -> None:
        for mailer in self._all:
            await mailer.close()
