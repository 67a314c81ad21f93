"""Reading mail that comes back (pure, stdlib `email` only): RFC 3464 delivery status
notifications, RFC 5965 (ARF) complaint reports, and replies.

A DSN is `multipart/report; report-type=delivery-status` with a `message/delivery-status`
part: one per-message block, then a block per recipient (Final-Recipient, Action, Status,
Diagnostic-Code). The original message comes back as `message/rfc822` or
`text/rfc822-headers`; its Message-ID names our send. Postfix, Exim and Gmail all send
this shape; they differ in which optional fields they fill, which is why every field is
optional here.
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr

from domain.campaigns import bounce_rules

MAX_BODY = 10_000
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class Bounce:
    recipient: str
    action: str  # failed | delayed | delivered | relayed | expanded
    status: str  # e.g. 5.1.1
    diagnostic: str
    kind: str  # hard | soft | '' (not a failure)


@dataclass(frozen=True)
class Report:
    kind: str  # bounce | complaint
    bounces: tuple[Bounce, ...]
    original_message_id: str
    complainant: str = ""


@dataclass(frozen=True)
class Mail:
    """An ordinary message (a reply, or something unmatched)."""

    sender: str
    recipients: tuple[str, ...]
    subject: str
    message_id: str
    refers_to: tuple[str, ...]  # In-Reply-To, then References, newest first
    text: str


def parse_bytes(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=policy.default)
    if not isinstance(message, EmailMessage):  # policy.default always builds one
        raise TypeError("email policy did not build an EmailMessage")
    return message


def _field(block: Message, name: str) -> str:
    value = block.get(name)
    return " ".join(str(value).split()) if value is not None else ""


def _address(value: str) -> str:
    """`rfc822; ann@example.com` → ann@example.com."""
    return parseaddr(value.split(";", 1)[-1].strip())[1].strip().lower()


def _blocks(report: Message) -> list[Message]:
    for part in report.walk():
        if part.get_content_type() == "message/delivery-status":
            payload = part.get_payload()
            return [block for block in payload if isinstance(block, Message)] \
                if isinstance(payload, list) else []
    return []


def _original_message_id(report: Message) -> str:
    for part in report.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            found = _message_ids(str(inner.get("Message-ID", ""))) \
                if isinstance(inner, Message) else []
            if found:
                return found[0]
        if kind == "text/rfc822-headers":
            headers = email.message_from_string(_text_of(part), policy=policy.default)
            found = _message_ids(str(headers.get("Message-ID", "")))
            if found:
                return found[0]
    return ""


def _bounce(block: Message) -> Bounce | None:
    recipient = _address(_field(block, "Final-Recipient") or _field(block, "Original-Recipient"))
    if not recipient:
        return None
    action = _field(block, "Action").lower()
    diagnostic = _field(block, "Diagnostic-Code")
    found = _STATUS.search(_field(block, "Status")) or _STATUS.search(diagnostic)
    status = ".".join(found.groups()) if found else ""
    return Bounce(recipient, action, status, diagnostic[:500],
                  bounce_rules.kind_of(status=status, action=action))


def _report_type(message: Message) -> str:
    if message.get_content_type() != "multipart/report":
        return ""
    return str(message.get_param("report-type") or "").lower()


def parse_report(message: Message) -> Report | None:
    """The delivery or complaint report this message is, else None."""
    kind = _report_type(message)
    if kind == "delivery-status":
        bounces = tuple(b for b in map(_bounce, _blocks(message)[1:]) if b is not None)
        if not bounces:  # a report without a per-message block: every block is a recipient
            bounces = tuple(b for b in map(_bounce, _blocks(message)) if b is not None)
        return Report("bounce", bounces, _original_message_id(message))
    if kind == "feedback-report":
        return Report("complaint", (), _original_message_id(message), _complainant(message))
    return None


def _complainant(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "message/feedback-report":
            payload = part.get_payload()
            text = "".join(str(p) for p in payload) if isinstance(payload, list) else str(payload)
            found = re.search(r"(?im)^Original-Rcpt-To:\s*(\S+)", text)
            if found:
                return _address(found.group(1))
    return ""


def _message_ids(value: str) -> list[str]:
    return _MESSAGE_ID.findall(value or "")


def _text_of(part: Message) -> str:
    try:
        content = part.get_content() if isinstance(part, EmailMessage) else part.get_payload()
    except (LookupError, ValueError, AssertionError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _plain_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    text = _text_of(body)
    if body.get_content_type() == "text/html":
        from domain.campaigns.rules import html_to_text  # the same HTML → text as ours

        text = html_to_text(text)
    return text


_QUOTE_HEADER = re.compile(
    r"^(On .{0,200}wrote:|Le .{0,200}a écrit ?:|Am .{0,200}schrieb .{0,80}:|"
    r"-{2,}\s*Original Message\s*-{2,}|_{5,}|From: .+)$", re.IGNORECASE)


def trim_reply(text: str, limit: int = MAX_BODY) -> str:
    """The new part of a reply: stop at the quoted original ("On … wrote:", "----- Original
    Message -----", a quoted block), drop '>' lines, and keep at most `limit` characters."""
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if _QUOTE_HEADER.match(line.strip()):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line.rstrip())
    return "\n".join(kept).strip()[:limit]


def parse_mail(message: EmailMessage, envelope_recipients: tuple[str, ...] = ()) -> Mail:
    headers = [str(value) for name in ("To", "Cc", "Delivered-To", "X-Envelope-To")
               for value in message.get_all(name) or []]
    # Case kept: the local part carries the reply token, which is case-sensitive.
    recipients = {address for _, address in getaddresses(headers) if address}
    recipients.update(envelope_recipients)
    refers = _message_ids(str(message.get("In-Reply-To", "")))
    refers += list(reversed(_message_ids(str(message.get("References", "")))))
    return Mail(
        sender=parseaddr(str(message.get("From", "")))[1].lower(),
        recipients=tuple(sorted(recipients)),
        subject=" ".join(str(message.get("Subject", "")).split())[:300],
        message_id=(_message_ids(str(message.get("Message-ID", ""))) or [""])[0][:300],
        refers_to=tuple(dict.fromkeys(refers)),
        text=trim_reply(_plain_text(message)),
    )
