"""Hosting events: create, edit, publish, call off, co-hosts. Every change is audited.

A change people's calendars should pick up (time, place, link, title) bumps the event's
`sequence` and, once published, emails everyone holding a seat an updated invitation
with the same UID, so the calendar entry moves instead of duplicating.
"""

from __future__ import annotations

import json
from datetime import datetime

from domain.accounts.service import Staff
from domain.audit import service as audit
from domain.db import fetch, transaction
from domain.errors import Conflict, Invalid, NotFound
from domain.events import calendar, rules
from domain.events.drafts import EventDraft, slugify
from domain.events.service import fill_seats, lock_event
from domain.mail import service as mail
from domain.ports import Clock, TaskQueue

# Changes that make an existing calendar entry wrong.
_CALENDAR_FIELDS = ("title", "starts_at", "ends_at", "time_zone", "venue", "join_url", "kind")


def _columns(draft: EventDraft) -> dict:
    return {
        "title": draft.title, "description": draft.description, "kind": draft.kind,
        "starts_at": draft.starts_at, "ends_at": draft.ends_at, "time_zone": draft.time_zone,
        "venue": draft.venue, "join_url": draft.join_url, "capacity": draft.capacity,
        "registration_deadline": draft.registration_deadline,
        "offer_hours": draft.offer_hours, "communities": draft.communities,
        "habitual_no_shows_waitlisted": draft.habitual_no_shows_waitlisted,
        "questions": json.dumps([q.as_json() for q in draft.questions]),
    }


async def create_event(draft: EventDraft, *, by: Staff, clock: Clock) -> dict:
    """A draft event owned by its creator; nobody sees it on the portal until published."""
    now = clock.now()
    values = _columns(draft)
    async with transaction():
        rows = await fetch(
            "INSERT INTO events (slug, title, description, kind, starts_at, ends_at, "
            "time_zone, venue, join_url, capacity, taken, registration_deadline, status, "
            "offer_hours, communities, habitual_no_shows_waitlisted, questions, sequence, "
            "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, "
            "'draft', $12, $13, $14, $15::jsonb, 0, $16, $16) RETURNING id, slug",
            await _free_slug(slugify(draft.title)), values["title"], values["description"],
            values["kind"], values["starts_at"], values["ends_at"], values["time_zone"],
            values["venue"], values["join_url"], values["capacity"],
            values["registration_deadline"], values["offer_hours"], values["communities"],
            values["habitual_no_shows_waitlisted"], values["questions"], now)
        event = rows[0]
        await fetch("INSERT INTO event_hosts (event, staff, role, created_at) "
                    "VALUES ($1, $2, 'owner', $3)", event["id"], by.id, now)
        await _audit("event.created", event["id"], by, now, {"title": draft.title})
        return event


# Path segments the portal uses under /events/ for other pages.
_RESERVED_SLUGS = {"news", "registrations", "offers"}


async def _free_slug(base: str) -> str:
    rows = await fetch("SELECT slug FROM events WHERE slug = $1 OR slug LIKE $2",
                       base, f"{base}-%")
    taken = {row["slug"] for row in rows} | _RESERVED_SLUGS
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


async def update_event(event_id: int, draft: EventDraft, *, by: Staff, clock: Clock,
                       queue: TaskQueue | None) -> dict:
    """Save the form; refuse a capacity below the seats already held (it would overbook)."""
    now = clock.now()
    values = _columns(draft)
    async with transaction():
        await lock_event(event_id)
        before = (await fetch("SELECT * FROM events WHERE id = $1", event_id))[0]
        if before["status"] == "cancelled":
            raise Conflict("This event has been called off; it can no longer be edited.")
        if not rules.capacity_allowed(draft.capacity, before["taken"]):
            message = (f"{before['taken']} seats are already taken; the capacity cannot be "
                       "lower than that.")
            raise Invalid(message, {"capacity": message})
        moved = [name for name in _CALENDAR_FIELDS if before[name] != values[name]]
        sequence = before["sequence"] + (1 if moved else 0)
        await fetch(
            "UPDATE events SET title = $2, description = $3, kind = $4, starts_at = $5, "
            "ends_at = $6, time_zone = $7, venue = $8, join_url = $9, capacity = $10, "
            "registration_deadline = $11, offer_hours = $12, communities = $13, "
            "habitual_no_shows_waitlisted = $14, questions = $15::jsonb, sequence = $16, "
            "updated_at = $17 WHERE id = $1", event_id, values["title"],
            values["description"], values["kind"], values["starts_at"], values["ends_at"],
            values["time_zone"], values["venue"], values["join_url"], values["capacity"],
            values["registration_deadline"], values["offer_hours"], values["communities"],
            values["habitual_no_shows_waitlisted"], values["questions"], sequence, now)
        await _audit("event.updated", event_id, by, now, {"changed_calendar": moved})
        if moved and before["status"] == "published":
            await _email_holders(event_id, "event_updated", f"seq{sequence}", now, queue)
        if before["status"] == "published":
            await fill_seats(event_id, now=now, queue=queue)
        return {"moved": moved, "sequence": sequence}


async def publish(event_id: int, *, by: Staff, clock: Clock) -> None:
    now = clock.now()
    async with transaction():
        event = await lock_event(event_id)
        if event["status"] == "published":
            return
        if event["status"] != "draft":
            raise Conflict("Only a draft can be published.")
        starts = (await fetch("SELECT starts_at FROM events WHERE id = $1", event_id))[0]
        if starts["starts_at"] <= now:
            raise Conflict("This event's start time has passed; change it before publishing.")
        await fetch("UPDATE events SET status = 'published', updated_at = $2 WHERE id = $1",
                    event_id, now)
        await _audit("event.published", event_id, by, now, {})


async def call_off(event_id: int, *, by: Staff, reason: str, clock: Clock,
                   queue: TaskQueue | None) -> int:
    """Cancel the whole event: every open registration is cancelled and told (with a
    METHOD:CANCEL invitation that removes the calendar entry). Returns how many."""
    now = clock.now()
    async with transaction():
        event = await lock_event(event_id)
        if event["status"] == "cancelled":
            return 0
        rows = await fetch(
            "UPDATE event_registrations SET status = 'cancelled', cancelled_at = $2, "
            "offer_expires_at = NULL, updated_at = $2 WHERE event = $1 "
            "AND status = ANY($3::varchar[]) "
            "RETURNING id, person, (SELECT email FROM people WHERE id = person) AS email",
            event_id, now, ["registered", "offered", "waitlisted"])
        await fetch("UPDATE events SET status = 'cancelled', sequence = sequence + 1, "
                    "taken = (SELECT count(*) FROM event_registrations WHERE event = $1 "
                    "AND status = ANY($3::varchar[])), updated_at = $2 WHERE id = $1",
                    event_id, now, list(rules.SEAT_STATUSES))
        await _queue(rows, "event_called_off", "", now, queue,
                     extra={"reason": reason[:1000]})
        await _audit("event.cancelled", event_id, by, now,
                     {"registrations": len(rows), "reason": reason[:1000]})
        return len(rows)


async def add_cohost(event_id: int, email: str, *, by: Staff, clock: Clock) -> dict:
    now = clock.now()
    rows = await fetch("SELECT id, full_name, roles, is_active FROM staff_users "
                       "WHERE lower(email) = lower($1)", email.strip())
    if not rows or not rows[0]["is_active"]:
        raise Invalid("There is no active staff account with that email.",
                      {"email": "There is no active staff account with that email."})
    staff = rows[0]
    if not {"event_host", "recruiter", "admin"} & set(staff["roles"] or ()):
        message = "That person's role cannot host events; ask an admin to add the host role."
        raise Invalid(message, {"email": message})
    async with transaction():
        await fetch("INSERT INTO event_hosts (event, staff, role, created_at) "
                    "VALUES ($1, $2, 'co_host', $3) ON CONFLICT (event, staff) DO NOTHING",
                    event_id, staff["id"], now)
        await _audit("event.cohost_added", event_id, by, now, {"staff": staff["id"]})
    return staff


async def remove_cohost(event_id: int, staff_id: int, *, by: Staff, clock: Clock) -> None:
    now = clock.now()
    async with transaction():
        rows = await fetch("DELETE FROM event_hosts WHERE event = $1 AND staff = $2 "
                           "AND role = 'co_host' RETURNING id", event_id, staff_id)
        if not rows:
            raise NotFound("That person is not a co-host of this event.")
        await _audit("event.cohost_removed", event_id, by, now, {"staff": staff_id})


async def hosts(event_id: int) -> list[dict]:
    return await fetch(
        "SELECT s.id, s.full_name, s.email, h.role FROM event_hosts h "
        "JOIN staff_users s ON s.id = h.staff WHERE h.event = $1 "
        "ORDER BY h.role DESC, s.full_name", event_id)


async def _email_holders(event_id: int, template: str, version: str, now: datetime,
                         queue: TaskQueue | None) -> None:
    rows = await fetch("SELECT r.id, r.person, p.email FROM event_registrations r "
                       "JOIN people p ON p.id = r.person WHERE r.event = $1 "
                       "AND r.status = ANY($2::varchar[])", event_id, list(rules.HOLDS_SEAT))
    await _queue(rows, template, version, now, queue)


async def _queue(registrations: list[dict], template: str, version: str, now: datetime,
                 queue: TaskQueue | None, extra: dict | None = None) -> None:
    """One email per registration (id, person, email), queued in one batch. The
    invitation's SEQUENCE is fixed now, at the change, so a later email always carries a
    higher one than an earlier email."""
    sequence = calendar.sequence_at(now)
    await mail.queue_emails([
        mail.Outgoing(row["person"], row["email"],
                      {"registration_id": row["id"], "ics_sequence": sequence,
                       **(extra or {})},
                      f"{template}:{row['id']}" + (f":{version}" if version else ""))
        for row in registrations], template=template, now=now, queue=queue)


async def _audit(action: str, event_id: int, by: Staff, now: datetime, detail: dict) -> None:
    await audit.record(action=action, at=now, actor=by.email, subject=f"event:{event_id}",
                       detail=detail)
