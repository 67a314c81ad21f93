"""The campaign sender's outlet: wraps a composed marketing message in the shared brand
layout (templates/email/marketing_campaign, the layout the marketing test email uses),
adds the marketing headers and sends it over the pooled SMTP connections."""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
import secrets
from dataclasses import dataclass
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.policy import compat32
from email.utils import formatdate
from functools import lru_cache
from typing import cast

from aiosmtplib.email import parse_address

from domain.campaigns.compose import Composed
from domain.campaigns.delivery import PermanentSendError, TemporarySendError
from domain.campaigns.rules import one_line
from workers.brand_layout import layout
from workers.emails import EmailRenderer
from workers.mailer import PermanentMailError, SmtpPool, TemporaryMailError

UNSAFE = set("<>, \r\n")


# compat32 (email.mime) builds a message several times faster than policy.default, whose
# header parsing was most of a send's CPU (B5). It folds only at spaces and commas, so
# the List-Unsubscribe URL stays on one line (a test reads the raw bytes).
_FAST = compat32


def _header(value: str) -> str:
    """One line; non-ASCII as RFC 2047 encoded words."""
    value = one_line(value)
    # compat32 messages take Header objects for this (typed as str in typeshed).
    return value if value.isascii() else cast(str, Header(value, "utf-8"))


def _parts(renderer: EmailRenderer, composed: Composed, date: str | None
           ) -> tuple[list[tuple[str, str]], str, str]:
    """The headers (in order) and the text and HTML bodies of one campaign message."""
    # Composed HTML is the nh3-cleaned render plus our own open pixel.
    text, html = layout(renderer).render({
        "subject_line": composed.subject, "body_html": composed.html,
        "body_text": composed.text, "unsubscribe_url": composed.unsubscribe_url,
        "preferences_url": composed.preferences_url})
    if UNSAFE & set(composed.unsubscribe_url) or not composed.unsubscribe_url.startswith(
            ("https://", "http://")):
        raise ValueError("List-Unsubscribe needs one absolute http(s) URL")
    headers = [
        ("Subject", _header(composed.subject)), ("From", _header(renderer.sender)),
        ("To", one_line(composed.to)), ("Reply-To", one_line(composed.reply_to)),
        ("Date", date or formatdate(localtime=False)),
        ("Message-ID", one_line(composed.message_id)),
        # RFC 2369 + RFC 8058 one-click, as workers.emails.add_list_unsubscribe writes them.
        ("List-Unsubscribe", f"<{composed.unsubscribe_url}>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")]
    return headers, text, html


def _boundary() -> str:
    # Our own boundary: the generator would otherwise pick a random one per message and
    # compile a regular expression to check the parts for it (B5: ~5% of a send's CPU).
    # Both parts are base64, whose alphabet has no "-": no line can collide with it.
    return f"=_tl_{secrets.token_hex(12)}"


def build_message(renderer: EmailRenderer, composed: Composed, *,
                  boundary: str | None = None, date: str | None = None) -> Message:
    """The message as an email.message object (what encode_message writes directly)."""
    headers, text, html = _parts(renderer, composed, date)
    message = MIMEMultipart("alternative", boundary=boundary or _boundary(), policy=_FAST)
    for name, value in headers:
        message[name] = value
    message.attach(text_part(text, "plain"))
    message.attach(text_part(html, "html"))
    return message


@dataclass(frozen=True)
class Outgoing:
    """A message ready for SMTP: the envelope and the bytes, CRLF line endings."""

    sender: str
    recipient: str
    data: bytes


_SMTP_FOLD = compat32.clone(linesep="\r\n")
_PLAIN_VALUE = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*")
# Printable ASCII without the characters compat32 may fold at (space, comma, semicolon).
_ONE_WORD = re.compile(r"[\x21-\x2b\x2d-\x3a\x3c-\x7e]+")


def _header_line(name: str, value: str) -> str:
    """The header as compat32's generator writes it: a short printable ASCII value as it
    is, a long one that cannot be folded (the List-Unsubscribe URL) on a continuation
    line of its own, anything else (encoded words, non-ASCII, long text) folded by
    compat32 itself (about 30 us a header). Tests compare with compat32 on generated
    values."""
    if isinstance(value, str) and "=?" not in value:
        if len(name) + 2 + len(value) <= 78 and _PLAIN_VALUE.fullmatch(value):
            return f"{name}: {value}\r\n"
        if _ONE_WORD.fullmatch(value):
            return f"{name}: \r\n {value}\r\n"
    return _SMTP_FOLD.fold(name, value)


def _part_headers(subtype: str) -> list[tuple[str, str]]:
    return [("Content-Type", f'text/{subtype}; charset="utf-8"'), ("MIME-Version", "1.0"),
            ("Content-Transfer-Encoding", "base64")]


def _base64(body: str) -> str:
    return base64.encodebytes(body.encode("utf-8")).decode("ascii")


def _base64_crlf(body: str) -> str:
    """_base64's lines with CRLF endings, from one binascii call: base64.encodebytes
    calls it once per 57 bytes."""
    encoded = binascii.b2a_base64(body.encode("utf-8"), newline=False).decode("ascii")
    return "".join([encoded[i:i + 76] + "\r\n" for i in range(0, len(encoded), 76)])


def _part_bytes(body: str, subtype: str) -> str:
    return ("".join(f"{name}: {value}\r\n" for name, value in _part_headers(subtype))
            + "\r\n" + _base64_crlf(body))


@lru_cache(maxsize=16)
def _address(header_value: str) -> str:
    """The envelope address aiosmtplib took from the From header (same fallback)."""
    return parse_address(header_value)


def encode_message(renderer: EmailRenderer, composed: Composed, *,
                   boundary: str | None = None, date: str | None = None) -> Outgoing | None:
    """The bytes build_message's message flattens to (with CRLF), written directly: the
    email generator (folding every header, walking the parts) was a fifth of a send's
    CPU (B5). None when an address is not ASCII (SMTPUTF8): build_message then."""
    sender, recipient = _address(renderer.sender), one_line(composed.to)
    if not (sender.isascii() and recipient.isascii()):
        return None
    headers, text, html = _parts(renderer, composed, date)
    boundary = boundary or _boundary()
    lines = [_header_line("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
             "MIME-Version: 1.0\r\n"]
    lines += [_header_line(name, value) for name, value in headers]
    data = "".join([*lines, f"\r\n--{boundary}\r\n", _part_bytes(text, "plain"),
                    f"\r\n--{boundary}\r\n", _part_bytes(html, "html"),
                    f"\r\n--{boundary}--\r\n"])
    return Outgoing(sender=sender, recipient=recipient, data=data.encode("ascii"))


def text_part(body: str, subtype: str) -> Message:
    """What MIMEText(body, subtype, "utf-8") builds, byte for byte (a test compares), at a
    fraction of the cost: its charset and parameter bookkeeping and the pure-Python
    base64 were a quarter of rendering a campaign message (B5)."""
    part = Message(policy=_FAST)
    for name, value in _part_headers(subtype):
        part[name] = value
    part.set_payload(_base64(body))
    return part


# Sends in flight per worker, per pooled connection: a send spends much of its time in
# database round trips and rendering, so with one send per connection the connections
# sat idle (B5: a third of the SMTP-only rate). Sends go in groups (one claim, one
# transaction: domain.campaigns.delivery) and a group's statements cost PostgreSQL
# about the same whatever its size, so groups are large: twelve sends, two groups in
# flight per four connections (one group's database work overlaps the other's SMTP).
# Measured in B5 against the same 24 sends in flight as four groups of six: a third of
# the PostgreSQL CPU (13.5 s against 30 s a run), 270 messages/s against 170; groups of
# three (12 in flight) took 42 s. The sends in flight are the most a killed worker can
# leave in doubt (QUALITY.md Q1: in_doubt <= kills x concurrency).
GROUP_SIZE = 12
SENDS_PER_CONNECTION = 6


def groups_in_flight(pool_size: int) -> int:
    return max(1, max(1, pool_size) * SENDS_PER_CONNECTION // GROUP_SIZE)


def sends_in_flight(pool_size: int) -> int:
    return groups_in_flight(pool_size) * GROUP_SIZE


class CampaignOutlet:
    """domain.campaigns.delivery.Outlet over an SmtpPool; `slots` bound the groups in
    flight in this worker, so at most `lanes` sends are claimed at once."""

    def __init__(self, pool: SmtpPool, renderer: EmailRenderer) -> None:
        self.pool = pool
        self.renderer = renderer
        self.group_size = GROUP_SIZE
        self.lanes = sends_in_flight(pool.size)
        self.slots = asyncio.Semaphore(groups_in_flight(pool.size))
        self._in_flight: set[asyncio.Future] = set()

    async def send(self, message: Composed) -> None:
        try:
            outgoing = encode_message(self.renderer, message)
            if outgoing is None:
                await self.pool.send(build_message(self.renderer, message))
            else:
                await self.pool.send_raw(outgoing.sender, outgoing.recipient, outgoing.data)
        except TemporaryMailError as exc:
            raise TemporarySendError(str(exc)) from exc
        except PermanentMailError as exc:
            raise PermanentSendError(str(exc)) from exc

    def track(self, task: asyncio.Future) -> None:
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def drain(self) -> None:
        """Wait for the sends in flight (shutdown must not close the pools under them)."""
        while self._in_flight:
            await asyncio.gather(*list(self._in_flight), return_exceptions=True)
