"""Read models for event pages, registrations and emails."""

from __future__ import annotations

from datetime import datetime

from domain.db import fetch
from domain.errors import NotFound

_EVENT_COLUMNS = ("id, slug, title, description, kind, starts_at, ends_at, time_zone, venue, "
                  "join_url, capacity, taken, registration_deadline, status, offer_hours")


async def event_by_slug(slug: str) -> dict:
    rows = await fetch(f"SELECT {_EVENT_COLUMNS} FROM events WHERE slug = $1", slug)  # noqa: S608 constant columns
    if not rows:
        raise NotFound("There is no event at this address.")
    return rows[0]


async def public_event(slug: str) -> dict:
    """Published or cancelled events are visible; drafts are not."""
    event = await event_by_slug(slug)
    if event["status"] == "draft":
        raise NotFound("There is no event at this address.")
    return event


async def upcoming(now: datetime) -> list[dict]:
    return await fetch(
        f"SELECT {_EVENT_COLUMNS} FROM events WHERE status = 'published' AND ends_at > $1 "  # noqa: S608
        "ORDER BY starts_at, id", now)


async def registration_of(event_id: int, person_id: int) -> dict | None:
    rows = await fetch(
        "SELECT id, status, position, offer_expires_at FROM event_registrations "
        "WHERE event = $1 AND person = $2", event_id, person_id)
    return rows[0] if rows else None


async def waitlist_position(registration: dict) -> int | None:
    """1-based place in the queue, or None when not waitlisted."""
    if registration["status"] != "waitlisted":
        return None
    return int(await _count_ahead(registration["id"]) + 1)


async def _count_ahead(registration_id: int) -> int:
    rows = await fetch(
        "SELECT count(*) AS n FROM event_registrations w JOIN event_registrations r "
        "ON r.event = w.event WHERE r.id = $1 AND w.status = 'waitlisted' "
        "AND w.position < r.position", registration_id)
    return int(rows[0]["n"])


async def registration_view(registration_id: int) -> dict:
    """A registration with its event and person, for emails and signed-link pages."""
    rows = await fetch(
        "SELECT r.id, r.status, r.position, r.offer_expires_at, r.person, "
        "p.full_name, p.email, e.slug FROM event_registrations r "
        "JOIN people p ON p.id = r.person JOIN events e ON e.id = r.event WHERE r.id = $1",
        registration_id)
    if not rows:
        raise NotFound("There is no such registration.")
    view = rows[0]
    view["event"] = await event_by_slug(view.pop("slug"))
    return view


async def events_needing_seats_filled() -> list[int]:
    """Free seats while people wait: left by a registration racing a cancellation."""
    rows = await fetch(
        "SELECT e.id FROM events e WHERE e.status = 'published' "
        "AND (e.capacity IS NULL OR e.taken < e.capacity) AND EXISTS (SELECT 1 FROM "
        "event_registrations r WHERE r.event = e.id AND r.status = 'waitlisted')")
    return [row["id"] for row in rows]
