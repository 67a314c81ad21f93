"""Event registration: seats by one conditional UPDATE, a FIFO waitlist, expiring offers.

Lock order is always the event row, then registration rows, so cancellations, offer
expiry and re-registration never deadlock each other (QUALITY.md 1.7, V1-V4).
"""

from __future__ import annotations

import json
from datetime import datetime

from domain.db import fetch, fetchval, transaction
from domain.engagement import service as engagement
from domain.errors import Conflict, Invalid, NotFound
from domain.events import calendar, history, news, queries, rules
from domain.events.news import NewsOptIn
from domain.events.queries import event_by_slug
from domain.integrations import webhooks
from domain.mail import service as mail
from domain.people import service as people
from domain.ports import Clock, TaskQueue


async def register(event_slug: str, person_id: int, *, clock: Clock, queue: TaskQueue | None,
                   answers: dict[str, str] | None = None, source: str = "portal",
                   event_news: NewsOptIn | None = None) -> dict:
    """Register once per person: a repeat returns the existing registration, no new seat.
    `answers` must already be checked against the event's questions (drafts.answer_problems).
    `event_news` is the separate, optional "email me about future events" box: recorded in
    the same transaction, so the confirmation email can carry its double opt-in link.
    """
    now = clock.now()
    async with transaction():
        if event_news is not None:
            await news.opt_in(person_id, text_id=event_news.text_id,
                              verified=event_news.verified, evidence=event_news.evidence,
                              clock=clock)
        event = await event_by_slug(event_slug)
        problem = rules.registration_problem(event, now, by_host=source == "manual")
        if problem:
            raise Invalid(problem)
        rows = await fetch(
            "INSERT INTO event_registrations (event, person, status, answers, source, "  # noqa: S608  # nosec B608 # constant RETURNING list
            "created_at, updated_at) VALUES ($1, $2, 'waitlisted', $3::jsonb, $4, $5, $5) "
            "ON CONFLICT (event, person) DO NOTHING "
            f"RETURNING {_RETURNING}", event["id"], person_id, json.dumps(answers or {}),
            source, now)
        if not rows:
            return await _existing(event, person_id, now, queue)
        registration = await _seat_or_waitlist(event, rows[0], now, queue)
        await webhooks.emit("registration.created", {
            "registration_id": registration["id"], "event_id": event["id"],
            "person_id": person_id, "status": registration["status"]},
            person=person_id, now=now, queue=queue)
        return registration


async def register_guest(event_slug: str, *, email: str, full_name: str, clock: Clock,
                         queue: TaskQueue | None, answers: dict[str, str] | None = None,
                         source: str = "guest", event_news: NewsOptIn | None = None) -> dict:
    """Someone not signed in (or added by a host): find or create the person by email.
    Registering is not marketing consent."""
    async with transaction():
        person = await people.find_or_create(email=email, full_name=full_name,
                                             source="event", now=clock.now())
        return await register(event_slug, person["id"], clock=clock, queue=queue,
                              answers=answers, source=source, event_news=event_news)


async def _existing(event: dict, person_id: int, now: datetime,
                    queue: TaskQueue | None) -> dict:
    await lock_event(event["id"])
    rows = await fetch("SELECT id, event, person, status, position, offer_expires_at "
                       "FROM event_registrations WHERE event = $1 AND person = $2 FOR UPDATE",
                       event["id"], person_id)
    registration = rows[0]
    if registration["status"] != "cancelled":
        return registration
    # Coming back after cancelling: back of the queue, like anybody new.
    rows = await fetch(
        "UPDATE event_registrations SET status = 'waitlisted', cancelled_at = NULL, "  # noqa: S608  # nosec B608 # constant RETURNING list
        "offer_expires_at = NULL, updated_at = $2, "
        "position = nextval('event_registration_position_seq') WHERE id = $1 "
        f"RETURNING {_RETURNING}",
        registration["id"], now)
    return await _seat_or_waitlist(event, rows[0], now, queue)


async def _seat_or_waitlist(event: dict, registration: dict, now: datetime,
                            queue: TaskQueue | None) -> dict:
    if event["habitual_no_shows_waitlisted"] and await history.is_habitual_no_show(
            registration["person"]):
        # Host option: people who often do not come wait, and are offered a seat only
        # once everyone else has had the chance (rules.habitual_offers_from).
        rows = await fetch(
            "UPDATE event_registrations SET offers_from = $2 WHERE id = $1 "  # noqa: S608  # nosec B608 # constant RETURNING list
            f"RETURNING {_RETURNING}",
            registration["id"], rules.habitual_offers_from(event["starts_at"], now))
        await _announce(rows[0], event, "event_waitlisted", now, queue)
        return rows[0]
    # The only way a seat is taken: concurrent callers serialise on the event row here, so
    # the seat and the registration's status change in one statement (a short lock).
    rows = await fetch(
        "WITH seat AS (UPDATE events SET taken = taken + 1 WHERE id = $1 "  # noqa: S608  # nosec B608 # constant RETURNING list
        "AND status = 'published' AND (capacity IS NULL OR taken < capacity) RETURNING id) "
        "UPDATE event_registrations SET status = 'registered' WHERE id = $2 "
        f"AND EXISTS (SELECT 1 FROM seat) RETURNING {_RETURNING}",
        event["id"], registration["id"])
    registration = rows[0] if rows else registration
    await _announce(registration, event, f"event_{registration['status']}", now, queue)
    return registration


# A registration row as the service passes it around (with the person's address, so
# announcing needs no extra query). Constant SQL: what the `noqa: S608` marks refer to.
_RETURNING = ("id, event, person, status, position, offer_expires_at, "
              "(SELECT email FROM people WHERE people.id = person) AS email")

_TEMPLATES = {"event_registered": "event_confirmed", "event_waitlisted": "event_waitlisted",
              "event_offered": "event_offer", "event_cancelled": "event_cancelled"}


async def _announce(registration: dict, event: dict, kind: str, now: datetime,
                    queue: TaskQueue | None) -> None:
    """Timeline entry plus the matching email, in the caller's transaction."""
    await engagement.record(person_id=registration["person"], type=kind, occurred_at=now,
                            source="events", payload={"event": event["slug"]})
    email = registration.get("email") or await fetchval(
        "SELECT email FROM people WHERE id = $1", registration["person"])
    await mail.queue_email(
        person_id=registration["person"], to=email, template=_TEMPLATES[kind],
        # No waitlist place here: counting who is ahead grows with the queue, so the email
        # counts it when it is written (and then says the current place).
        context={"registration_id": registration["id"],
                 "ics_sequence": calendar.sequence_at(now)},
        dedupe_key=f"{kind}:{registration['id']}:{now.isoformat()}", now=now, queue=queue)


async def lock_event(event_id: int) -> dict:
    rows = await fetch("SELECT id, slug, capacity, taken, offer_hours, status, starts_at "
                       "FROM events "
                       "WHERE id = $1 FOR UPDATE", event_id)
    if not rows:
        raise NotFound("There is no such event.")
    return rows[0]


async def _lock_registration(registration_id: int) -> tuple[dict, dict]:
    rows = await fetch("SELECT event FROM event_registrations WHERE id = $1", registration_id)
    if not rows:
        raise NotFound("There is no such registration.")
    event = await lock_event(rows[0]["event"])
    rows = await fetch("SELECT id, event, person, status, position, offer_expires_at "
                       "FROM event_registrations WHERE id = $1 FOR UPDATE", registration_id)
    return event, rows[0]


async def cancel(registration_id: int, *, clock: Clock, queue: TaskQueue | None) -> dict:
    """Free the seat and offer it to the first in line, in the same transaction."""
    now = clock.now()
    async with transaction():
        event, registration = await _lock_registration(registration_id)
        if registration["status"] not in ("registered", "offered", "waitlisted"):
            return registration
        await _release(event, registration, now)
        await webhooks.emit("registration.cancelled", {
            "registration_id": registration["id"], "event_id": event["id"],
            "person_id": registration["person"]}, person=registration["person"], now=now,
            queue=queue)
        await _announce(registration, event, "event_cancelled", now, queue)
        await fill_seats(event["id"], now, queue)
        return {**registration, "status": "cancelled"}


async def release_all_for(person_id: int, *, clock: Clock, queue: TaskQueue | None) -> int:
    """Give up every seat and place a person holds (their account is being erased): the
    seats go to the waiting lists; the person gets no email. Joins the caller's
    transaction. Returns how many registrations were released."""
    now = clock.now()
    released = 0
    async with transaction():
        rows = await fetch("SELECT id FROM event_registrations WHERE person = $1 "
                           "AND status = ANY($2::varchar[]) ORDER BY event",
                           person_id, ["registered", "offered", "waitlisted"])
        for row in rows:
            event, registration = await _lock_registration(row["id"])
            await _release(event, registration, now)
            await fill_seats(event["id"], now, queue)
            released += 1
    return released


async def _release(event: dict, registration: dict, now: datetime) -> None:
    await fetch("UPDATE event_registrations SET status = 'cancelled', cancelled_at = $2, "
                "offer_expires_at = NULL, updated_at = $2 WHERE id = $1",
                registration["id"], now)
    if registration["status"] in rules.HOLDS_SEAT:
        await fetch("UPDATE events SET taken = taken - 1 WHERE id = $1", event["id"])


async def fill_seats(event_id: int, now: datetime, queue: TaskQueue | None) -> int:
    """Offer every free seat to the waitlist in position order, locking the event row
    (joins the caller's transaction; harmless when the caller already holds the lock)."""
    offered = 0
    while True:
        event = await lock_event(event_id)
        if event["status"] != "published" or event["starts_at"] <= now:
            return offered  # nothing to offer once it has started
        if event["capacity"] is not None and event["taken"] >= event["capacity"]:
            return offered
        rows = await fetch(
            "UPDATE event_registrations SET status = 'offered', offer_expires_at = $2, "  # noqa: S608  # nosec B608 # constant RETURNING list
            "updated_at = $3 WHERE id = (SELECT id FROM event_registrations WHERE event = $1 "
            "AND status = 'waitlisted' AND (offers_from IS NULL OR offers_from <= $3) "
            "ORDER BY position LIMIT 1 FOR UPDATE) "
            f"RETURNING {_RETURNING}",
            event_id, rules.offer_expires_at(now, event["offer_hours"]), now)
        if not rows:
            return offered
        await fetch("UPDATE events SET taken = taken + 1 WHERE id = $1", event_id)
        await _announce(rows[0], event, "event_offered", now, queue)
        offered += 1


async def accept_offer(registration_id: int, *, clock: Clock, queue: TaskQueue | None) -> dict:
    now = clock.now()
    async with transaction():
        event, registration = await _lock_registration(registration_id)
        if registration["status"] == "registered":
            return registration
        expires = registration["offer_expires_at"]
        if registration["status"] != "offered" or expires is None or expires <= now:
            raise Conflict("This offer is no longer available.")
        rows = await fetch("UPDATE event_registrations SET status = 'registered', "  # noqa: S608  # nosec B608 # constant RETURNING list
                           "offer_expires_at = NULL, updated_at = $2 WHERE id = $1 "
                           f"RETURNING {_RETURNING}",
                           registration_id, now)
        await _announce(rows[0], event, "event_registered", now, queue)
        return rows[0]


async def expire_offers(*, clock: Clock, queue: TaskQueue | None) -> int:
    """Cron: lapse stale offers one by one and pass each seat to the next person."""
    now = clock.now()
    stale = await fetch("SELECT id FROM event_registrations WHERE status = 'offered' "
                        "AND offer_expires_at <= $1 ORDER BY offer_expires_at", now)
    expired = 0
    for row in stale:
        async with transaction():
            event, registration = await _lock_registration(row["id"])
            lapsed = registration["offer_expires_at"]
            if registration["status"] != "offered" or lapsed is None or lapsed > now:
                continue  # accepted or cancelled meanwhile
            await _release(event, registration, now)
            await fill_seats(event["id"], now, queue)
            expired += 1
    for event_id in await queries.events_needing_seats_filled(now):
        async with transaction():
            await fill_seats(event_id, now, queue)
    return expired


async def set_capacity(event_id: int, capacity: int | None, *, clock: Clock,
                       queue: TaskQueue | None) -> None:
    """Refuse to go below the seats held; a raise offers the new seats to the waitlist."""
    async with transaction():
        event = await lock_event(event_id)
        if not rules.capacity_allowed(capacity, event["taken"]):
            raise Conflict(f"{event['taken']} seats are already taken.")
        await fetch("UPDATE events SET capacity = $2 WHERE id = $1", event_id, capacity)
        await fill_seats(event_id, clock.now(), queue)
