"""Read models for event pages, registrations and emails."""

from __future__ import annotations

import json
from datetime import datetime

from domain.db import fetch
from domain.errors import NotFound
from domain.keyset import older_than, split_page

_EVENT_COLUMNS = ("id, slug, title, description, kind, starts_at, ends_at, time_zone, venue, "
                  "join_url, capacity, taken, registration_deadline, status, offer_hours, "
                  "questions, communities, habitual_no_shows_waitlisted, sequence, "
                  "attendance_closed_at")


def _decoded(event: dict) -> dict:
    questions = event.get("questions")
    if isinstance(questions, str):
        event["questions"] = json.loads(questions)
    return event


async def event_by_slug(slug: str) -> dict:
    rows = await fetch(f"SELECT {_EVENT_COLUMNS} FROM events WHERE slug = $1", slug)  # noqa: S608 constant columns  # nosec B608
    if not rows:
        raise NotFound("There is no event at this address.")
    return _decoded(rows[0])


async def event_by_id(event_id: int) -> dict:
    rows = await fetch(f"SELECT {_EVENT_COLUMNS} FROM events WHERE id = $1", event_id)  # noqa: S608 constant columns  # nosec B608
    if not rows:
        raise NotFound("There is no such event.")
    return _decoded(rows[0])


async def public_event(slug: str) -> dict:
    """Published or cancelled events are visible; drafts are not."""
    event = await event_by_slug(slug)
    if event["status"] == "draft":
        raise NotFound("There is no event at this address.")
    return event


async def upcoming(now: datetime) -> list[dict]:
    rows = await fetch(
        f"SELECT {_EVENT_COLUMNS} FROM events WHERE status = 'published' AND ends_at > $1 "  # noqa: S608  # nosec B608 # constant columns
        "ORDER BY starts_at, id", now)
    return [_decoded(row) for row in rows]


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


async def events_needing_seats_filled(now: datetime) -> list[int]:
    """Free seats while people wait: left by a registration racing a cancellation, or
    held back from habitual no-shows until their `offers_from` time came."""
    rows = await fetch(
        "SELECT e.id FROM events e WHERE e.status = 'published' AND e.starts_at > $1 "
        "AND (e.capacity IS NULL OR e.taken < e.capacity) AND EXISTS (SELECT 1 FROM "
        "event_registrations r WHERE r.event = e.id AND r.status = 'waitlisted' "
        "AND (r.offers_from IS NULL OR r.offers_from <= $1))", now)
    return [row["id"] for row in rows]


async def events_for_staff(staff_id: int, *, every_event: bool, show: str,
                           now: datetime) -> list[dict]:
    """The back-office list: upcoming (incl. drafts), past or cancelled events, either
    every event or only those the staff member hosts. At most 200, nearest first."""
    conditions = {
        "upcoming": "e.status IN ('draft', 'published') AND e.ends_at > $1",
        "past": "e.status = 'published' AND e.ends_at <= $1",
        "cancelled": "e.status = 'cancelled' AND $1::timestamptz IS NOT NULL",
    }
    order = "e.starts_at" if show == "upcoming" else "e.starts_at DESC"
    hosted = "" if every_event else \
        "AND EXISTS (SELECT 1 FROM event_hosts h WHERE h.event = e.id AND h.staff = $2)"
    sql = ("SELECT e.id, e.slug, e.title, e.kind, e.starts_at, e.ends_at, e.time_zone, "  # noqa: S608 constant fragments only  # nosec B608
           "e.venue, e.capacity, e.taken, e.status, (SELECT count(*) FROM event_registrations r "
           "WHERE r.event = e.id AND r.status = 'waitlisted') AS waiting FROM events e "
           "WHERE " + conditions.get(show, conditions["upcoming"]) + " " + hosted
           + " ORDER BY " + order + ", e.id LIMIT 200")
    return await fetch(sql, now, *([] if every_event else [staff_id]))


async def upcoming_for_community(community_id: int, now: datetime, limit: int = 5) -> list[dict]:
    """Published events a host promoted to this community, soonest first."""
    rows = await fetch(
        f"SELECT {_EVENT_COLUMNS} FROM events WHERE status = 'published' AND ends_at > $1 "  # noqa: S608 constant columns  # nosec B608
        "AND $2 = ANY(communities) ORDER BY starts_at, id LIMIT $3", now, community_id, limit)
    return [_decoded(row) for row in rows]


# --- The REST API's read models (api/events.py) ------------------------------------------

async def api_events(*, status: str = "", cursor: str | None = None,
                     limit: int = 50) -> tuple[list[dict], str | None]:
    """Events, latest start first, keyset-paginated."""
    args: list = [status]
    where = ["($1 = '' OR status = $1)"]
    after = older_than(cursor, args, "starts_at", "id")
    if after:
        where.append(after)
    args.append(limit + 1)
    rows = await fetch(
        "SELECT id, slug, title, kind, starts_at, ends_at, time_zone, venue, capacity, taken, "  # noqa: S608  # nosec B608 # constant fragments, $n values
        f"registration_deadline, status, created_at FROM events WHERE {' AND '.join(where)} "
        f"ORDER BY starts_at DESC, id DESC LIMIT ${len(args)}", *args)
    return split_page(rows, limit, "starts_at")


async def api_registrations(event_id: int, *, status: str = "", cursor: str | None = None,
                            limit: int = 50) -> tuple[list[dict], str | None]:
    """An event's registrations, newest first, keyset-paginated (answers left out)."""
    args: list = [event_id, status]
    where = ["r.event = $1", "($2 = '' OR r.status = $2)"]
    after = older_than(cursor, args, "r.created_at", "r.id")
    if after:
        where.append(after)
    args.append(limit + 1)
    rows = await fetch(
        "SELECT r.id, r.person, p.email, p.full_name, r.status, r.source, r.created_at, "  # noqa: S608  # nosec B608 # constant fragments, $n values
        "r.checked_in_at, r.cancelled_at FROM event_registrations r "
        f"JOIN people p ON p.id = r.person WHERE {' AND '.join(where)} "
        f"ORDER BY r.created_at DESC, r.id DESC LIMIT ${len(args)}", *args)
    return split_page(rows, limit, "created_at")
