"""Hosts messaging an event's registrants, and the one-click follow-ups after an event.

These are service messages about an event the person signed up for (transactional):
no marketing consent is needed, but suppressed addresses (hard bounces, complaints,
erasure) are never written to. Newsletters to the same people go through campaigns.
"""

from __future__ import annotations

from datetime import datetime

from domain.accounts.service import Staff
from domain.audit import service as audit
from domain.consent import service as consent
from domain.db import fetch, transaction
from domain.errors import Invalid, NotFound
from domain.events import links, queries
from domain.events.emails import when_text
from domain.mail import service as mail
from domain.people.rules import first_name
from domain.ports import Clock, TaskQueue
from settings import get_settings

AUDIENCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "registered": ("Everyone with a seat", ("registered", "offered")),
    "attended": ("People who attended", ("attended",)),
    "no_show": ("People who did not come", ("no_show",)),
    "waitlisted": ("People on the waiting list", ("waitlisted",)),
    "everyone": ("Everyone registered, waiting, attended or absent",
                 ("registered", "offered", "waitlisted", "attended", "no_show")),
}
MAX_SUBJECT = 200
MAX_BODY = 10_000

# One click after the event: a prepared message per audience, edited before sending.
FOLLOW_UPS = {
    "attended": ("Thank you for coming to {title}",
                 "Hi,\n\nThank you for joining us at {title}. It was great to meet you.\n\n"
                 "If you'd like to hear about roles that match your interests, reply to this "
                 "email or join one of our talent communities.\n\nSee you at the next one!"),
    "no_show": ("Sorry we missed you at {title}",
                "Hi,\n\nWe missed you at {title}. No problem: things come up.\n\n"
                "Keep an eye on our events page for the next date; we'd love to see you "
                "there."),
}


def follow_up(audience: str, event: dict) -> tuple[str, str]:
    subject, body = FOLLOW_UPS[audience]
    return subject.format(title=event["title"]), body.format(title=event["title"])


async def audience_counts(event_id: int) -> dict[str, int]:
    rows = await fetch("SELECT status, count(*) AS n FROM event_registrations "
                       "WHERE event = $1 GROUP BY status", event_id)
    by_status = {row["status"]: int(row["n"]) for row in rows}
    return {key: sum(by_status.get(s, 0) for s in statuses)
            for key, (_, statuses) in AUDIENCES.items()}


def check_message(audience: str, subject: str, body: str) -> dict[str, str]:
    errors = {}
    if audience not in AUDIENCES:
        errors["audience"] = "Choose who receives the message."
    if not subject.strip():
        errors["subject"] = "Write a subject."
    elif len(subject) > MAX_SUBJECT:
        errors["subject"] = f"Use at most {MAX_SUBJECT} characters."
    if not body.strip():
        errors["body"] = "Write the message."
    elif len(body) > MAX_BODY:
        errors["body"] = f"Use at most {MAX_BODY:,} characters."
    return errors


async def send_message(event_id: int, *, audience: str, subject: str, body: str, by: Staff,
                       clock: Clock, queue: TaskQueue | None) -> dict:
    """One email per recipient through the mail outbox. Returns sent and skipped counts."""
    errors = check_message(audience, subject, body)
    if errors:
        raise Invalid("Check the message.", errors)
    now = clock.now()
    async with transaction():
        message_id = await _store(event_id, audience, subject.strip(), body.strip(), by, now)
        recipients = await fetch(
            "SELECT r.id, r.person, p.email FROM event_registrations r "
            "JOIN people p ON p.id = r.person WHERE r.event = $1 "
            "AND r.status = ANY($2::varchar[]) ORDER BY r.id",
            event_id, list(AUDIENCES[audience][1]))
        suppressed = await consent.suppressed_emails([row["email"] for row in recipients])
        sent = await mail.queue_emails([
            mail.Outgoing(row["person"], row["email"],
                          {"message_id": message_id, "registration_id": row["id"]},
                          f"event_message:{message_id}:{row['id']}")
            for row in recipients if row["email"] not in suppressed],
            template="event_message", now=now, queue=queue)
        await fetch("UPDATE event_messages SET recipients = $2 WHERE id = $1", message_id, sent)
        await audit.record(action="event.message_sent", at=now, actor=by.email,
                           subject=f"event:{event_id}",
                           detail={"message": message_id, "audience": audience,
                                   "recipients": sent, "skipped": len(recipients) - sent})
    return {"sent": sent, "skipped": len(recipients) - sent}


async def _store(event_id: int, audience: str, subject: str, body: str, by: Staff,
                 now: datetime) -> int:
    rows = await fetch(
        "INSERT INTO event_messages (event, audience, subject, body, sent_by, recipients, "
        "created_at) VALUES ($1, $2, $3, $4, $5, 0, $6) RETURNING id",
        event_id, audience, subject, body, by.email, now)
    return int(rows[0]["id"])


async def sent_messages(event_id: int) -> list[dict]:
    return await fetch("SELECT id, audience, subject, sent_by, recipients, created_at "
                       "FROM event_messages WHERE event = $1 ORDER BY id DESC LIMIT 50",
                       event_id)


async def message_email_context(template: str, stored: dict, *, clock: Clock) -> dict:
    rows = await fetch("SELECT subject, body FROM event_messages WHERE id = $1",
                       int(stored["message_id"]))
    if not rows:
        raise NotFound("The message no longer exists.")
    view = await queries.registration_view(int(stored["registration_id"]))
    event = view["event"]
    return {
        "person_name": first_name(view["full_name"]),
        "message_subject": rows[0]["subject"], "message_body": rows[0]["body"],
        "event_title": event["title"], "event_when": when_text(event),
        "event_url": f"{get_settings().base_url}/events/{event['slug']}",
        "manage_url": links.manage_url(view["id"]),
    }


EMAIL_CONTEXTS = {"event_message": message_email_context}
