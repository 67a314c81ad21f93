"""Mail that comes back: `receive(raw)` for the inbound SMTP listener and the inbound-mail
webhook, `provider_event(data)` for the bounce/complaint webhook's JSON.

A raw message is a delivery report (RFC 3464 → bounces), a complaint report (ARF →
complaint), or a reply. A reply is matched to our send by the reply token in its
recipient (replies+<token>@REPLY_DOMAIN, the Reply-To the sender set) or, failing that,
by In-Reply-To / References against marketing_sends.message_id. A matched reply is
stored for the person's timeline, marks the send replied, records a "replied" engagement
event, pauses the person's nurture sequence (domain.sequences.service.pause_for_reply)
and emails the campaign's author or the sequence's owner.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.campaigns import bounce_rules, bounces, dsn
from domain.db import fetch, fetchval, transaction
from domain.engagement import service as engagement
from domain.errors import Invalid
from domain.mail import service as mail
from domain.ports import Clock, TaskQueue
from settings import get_settings

MAX_RAW_BYTES = 2_000_000
EVENT_TYPES = ("bounce", "complaint", "delivered")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{6,40}$")


def reply_token(recipients: tuple[str, ...]) -> str:
    """The token of the first replies+<token>@REPLY_DOMAIN recipient, else ''."""
    domain = get_settings().reply_domain.lower()
    for address in recipients:
        local, _, host = address.lower().rpartition("@")
        if host == domain and local.startswith("replies+"):
            token = address.rpartition("@")[0].split("+", 1)[1]
            if _TOKEN.match(token):
                return token
    return ""


async def receive(raw: bytes, *, recipients: tuple[str, ...] = (), source: str = "smtp",
                  clock: Clock, queue: TaskQueue | None) -> dict[str, Any]:
    """Handle one inbound message; safe to call twice with the same message."""
    message = dsn.parse_bytes(raw[:MAX_RAW_BYTES])
    now = clock.now()
    report = dsn.parse_report(message)
    if report is not None and report.kind == "bounce":
        results = [await bounces.bounce(
            email=b.recipient, message_id=report.original_message_id, kind=b.kind,
            status=b.status, diagnostic=b.diagnostic, at=now, source=source)
            for b in report.bounces if b.kind]
        return {"kind": "bounce", "bounces": results}
    if report is not None:
        return await bounces.complaint(email=report.complainant,
                                       message_id=report.original_message_id, at=now,
                                       source=source, queue=queue)
    return await reply(dsn.parse_mail(message, recipients), source=source, now=now,
                       queue=queue)


async def _send_for(found: dsn.Mail) -> dict[str, Any] | None:
    token = reply_token(found.recipients)
    if token:
        rows = await fetch(
            "SELECT s.id AS send, s.person, s.campaign, s.enrollment, s.step_key "
            "FROM marketing_sends s WHERE s.reply_token = $1", token)
        if rows:
            return rows[0]
    return await bounces.find_send(list(found.refers_to)) if found.refers_to else None


async def reply(found: dsn.Mail, *, source: str, now: datetime,
                queue: TaskQueue | None) -> dict[str, Any]:
    async with transaction():
        if found.message_id and await fetchval(
                "SELECT 1 FROM inbound_messages WHERE message_id = $1 "
                "AND kind IN ('reply', 'unmatched') LIMIT 1", found.message_id):
            return {"kind": "reply", "duplicate": True}
        target = await _send_for(found)
        if target is None:
            # Kept without its body: nobody it could be shown to, so no content is kept.
            await _store_reply("unmatched", None, found, source, now, body="")
            return {"kind": "unmatched"}
        inbound_id = await _store_reply("reply", target, found, source, now, body=found.text)
        await _mark_replied(target, inbound_id, now=now)
        paused = await _pause_sequences(target, now=now)
        await _notify(target, inbound_id, now=now, queue=queue)
    return {"kind": "reply", "send": target["send"], "inbound": inbound_id, "paused": paused}


async def _store_reply(kind: str, target: dict | None, found: dsn.Mail, source: str,
                       now: datetime, *, body: str) -> int:
    return int(await fetchval(
        "INSERT INTO inbound_messages (kind, send, person, source, from_address, subject, "
        "body_text, bounce_kind, status_code, diagnostic, message_id, received_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, '', '', '', $8, $9) RETURNING id",
        kind, target and target["send"], target and target["person"], source[:16],
        found.sender[:320], found.subject[:300], body, found.message_id[:300], now))


async def _mark_replied(target: dict, inbound_id: int, *, now: datetime) -> None:
    await fetch("UPDATE marketing_sends SET replied_at = coalesce(replied_at, $2) "
                "WHERE id = $1", target["send"], now)
    await engagement.record(
        person_id=target["person"], type="replied", occurred_at=now, source="email",
        payload={"send": target["send"], "campaign": target["campaign"],
                 "enrollment": target["enrollment"], "step": target["step_key"] or None,
                 "inbound": inbound_id})


async def _pause_sequences(target: dict, *, now: datetime) -> int:
    # Imported here: the sequences context may import campaign modules at load time.
    from domain.sequences.service import pause_for_reply

    return await pause_for_reply(target["person"], send_id=target["send"], at=now)


async def _recruiter(target: dict) -> str:
    """Who hears of the reply: the campaign's author, or the sequence's owner."""
    if target["campaign"] is not None:
        found = await fetchval("SELECT created_by FROM campaigns WHERE id = $1",
                               target["campaign"])
    else:
        found = await fetchval(
            "SELECT coalesce(nullif(q.owner, ''), q.created_by) FROM sequence_enrollments e "
            "JOIN sequences q ON q.id = e.sequence WHERE e.id = $1", target["enrollment"])
    return str(found or "")


async def _notify(target: dict, inbound_id: int, *, now: datetime,
                  queue: TaskQueue | None) -> None:
    recruiter = await _recruiter(target)
    active = recruiter and await fetchval(
        "SELECT 1 FROM staff_users WHERE email = $1 AND is_active", recruiter)
    if active:
        await mail.queue_email(person_id=None, to=recruiter, template="reply_received",
                               context={"inbound_id": inbound_id},
                               dedupe_key=f"reply_received:{inbound_id}", now=now, queue=queue)


async def reply_context(template: str, stored: dict, *, clock: Clock) -> dict:
    """The recruiter's notice: who replied to what, and the reply's new text."""
    rows = await fetch(
        "SELECT i.subject, i.body_text, i.from_address, i.person, p.full_name, "
        "coalesce(c.name, q.name, '') AS about FROM inbound_messages i "
        "JOIN people p ON p.id = i.person "
        "LEFT JOIN marketing_sends s ON s.id = i.send "
        "LEFT JOIN campaigns c ON c.id = s.campaign "
        "LEFT JOIN sequence_enrollments e ON e.id = s.enrollment "
        "LEFT JOIN sequences q ON q.id = e.sequence WHERE i.id = $1 AND i.kind = 'reply'",
        int(stored["inbound_id"]))
    if not rows:
        raise LookupError("the reply is gone (erased): nothing to tell")
    row = rows[0]
    return {"person_name": row["full_name"] or row["from_address"], "about": row["about"],
            "subject": row["subject"], "body": row["body_text"][:2000],
            "person_url": f"{get_settings().base_url}/backoffice/candidates/{row['person']}"}


EMAIL_CONTEXTS: dict = {"reply_received": reply_context, **bounces.EMAIL_CONTEXTS}


# -- the provider webhook's JSON ----------------------------------------------------------

@dataclass(frozen=True)
class ProviderEvent:
    type: str
    email: str
    message_id: str
    bounce_type: str
    status: str
    diagnostic: str
    occurred_at: datetime | None


def _text(data: dict, name: str, limit: int) -> str:
    value = data.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid(f"{name} must be a string")
    return value.strip()[:limit]


def parse_event(data: Any) -> ProviderEvent:
    """Validate one event of the documented shape (raises Invalid with the reason)."""
    if not isinstance(data, dict):
        raise Invalid("each event must be a JSON object")
    kind = _text(data, "type", 20)
    if kind not in EVENT_TYPES:
        raise Invalid("type must be bounce, complaint or delivered")
    email, message_id = _text(data, "email", 320), _text(data, "message_id", 300)
    if not email and not message_id:
        raise Invalid("email or message_id is required")
    bounce_type = _text(data, "bounce_type", 10)
    if kind == "bounce" and bounce_type not in bounce_rules.KINDS:
        raise Invalid("bounce_type must be hard or soft")
    occurred = _text(data, "occurred_at", 40)
    try:
        at = datetime.fromisoformat(occurred.replace("Z", "+00:00")) if occurred else None
    except ValueError as exc:
        raise Invalid("occurred_at must be an ISO 8601 time") from exc
    if at is not None and at.tzinfo is None:
        raise Invalid("occurred_at needs a time zone")
    return ProviderEvent(kind, email.lower(), message_id, bounce_type, _text(data, "status", 16),
                         _text(data, "diagnostic", 1000), at)


async def provider_event(event: ProviderEvent, *, clock: Clock,
                         queue: TaskQueue | None) -> dict[str, Any]:
    now = clock.now()
    # A provider's clock is trusted only into the past: a future time is read as now.
    at = min(event.occurred_at, now) if event.occurred_at else now
    if event.type == "delivered":
        return {"kind": "delivered"}
    if event.type == "complaint":
        return await bounces.complaint(email=event.email, message_id=event.message_id, at=at,
                                       source="webhook", queue=queue)
    kind = bounce_rules.kind_of(status=event.status, declared=event.bounce_type) \
        if event.status else event.bounce_type
    return await bounces.bounce(email=event.email, message_id=event.message_id,
                                kind=kind or event.bounce_type, status=event.status,
                                diagnostic=event.diagnostic, at=at, source="webhook")


async def timeline_items(person_id: int, limit: int) -> list[dict]:
    """The person's replies for their timeline: the subject and the reply's own text
    (escaped by the template like every other timeline detail)."""
    rows = await fetch(
        "SELECT subject, body_text, received_at FROM inbound_messages "
        "WHERE person = $1 AND kind = 'reply' ORDER BY received_at DESC LIMIT $2",
        person_id, limit)
    return [{"kind": "email", "occurred_at": row["received_at"],
             "title": f"Reply: {row['subject']}" if row["subject"] else "Reply",
             "detail": row["body_text"] or None, "status": "replied"} for row in rows]
