"""Check-in at the door, walk-ins, and marking attendance by hand.

Lock order is the one of domain.events.service: the event row first, then registration
rows, so none of this can deadlock with registration, cancellation or offer expiry.
`check_in` takes no event lock on purpose: it moves no seat (registered and attended both
hold one), and its conditional UPDATE of the single registration row is what makes twenty
simultaneous scans of one ticket check in exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.audit import service as audit
from domain.db import fetch, transaction
from domain.engagement import service as engagement
from domain.errors import Conflict, Invalid, NotFound
from domain.events import attendance_queries as views
from domain.events import attendance_rules as rules
from domain.people import service as people
from domain.people.rules import InvalidEmail, clean_name, normalise_email
from domain.ports import Clock


@dataclass(frozen=True)
class CheckInResult:
    """What happened, in a sentence for the host, and the registration as it is now.
    outcome: checked_in | already | refused | unmarked | unchanged."""

    outcome: str
    message: str
    registration: dict


class EventFull(Conflict):
    """No seat left for a walk-in; the host may admit over capacity explicitly."""

    def __init__(self, taken: int, capacity: int) -> None:
        super().__init__(rules.full_message(taken, capacity))
        self.taken, self.capacity = taken, capacity


def _name(view: dict) -> str:
    return rules.display_name(view["full_name"], view["email"])


def explain(view: dict) -> CheckInResult:
    """The result for a registration that was not changed: already in, or why not."""
    if view["status"] == "attended":
        message = rules.already_checked_in(_name(view), view["checked_in_at"],
                                           view["checked_in_by_name"], view["time_zone"])
        return CheckInResult("already", message, view)
    return CheckInResult("refused", rules.refusal(_name(view), view["status"]), view)


async def _record(view: dict, kind: str, now: datetime) -> None:
    await engagement.record(person_id=view["person"], type=kind, occurred_at=now,
                            source="events", payload={"event": view["event_slug"]})


async def check_in(registration_id: int, *, by: str, clock: Clock) -> CheckInResult:
    """registered -> attended, once; anything else is explained, never an error."""
    now = clock.now()
    async with transaction():
        before = await views.registration(registration_id)
        if before["event_status"] != "published":
            return CheckInResult("refused", rules.event_not_open(before["event_status"]),
                                 before)
        rows = await fetch(
            "UPDATE event_registrations SET status = 'attended', checked_in_at = $2, "
            "checked_in_by = $3, updated_at = $2 WHERE id = $1 AND status = 'registered' "
            "RETURNING id", registration_id, now, by[:320])
        after = await views.registration(registration_id)
        if rows:
            await _record(after, "event_attended", now)
            return CheckInResult("checked_in", f"{_name(after)} is checked in.", after)
    return explain(after)


async def _lock_event(event_id: int) -> dict:
    rows = await fetch("SELECT id, slug, status, capacity, taken, kind, ends_at, time_zone, "
                       "attendance_closed_at FROM events WHERE id = $1 FOR UPDATE", event_id)
    if not rows:
        raise NotFound("There is no such event.")
    return rows[0]


async def _lock_registration(registration_id: int) -> dict:
    """Event row first, then the registration (the service's lock order)."""
    rows = await fetch("SELECT event FROM event_registrations WHERE id = $1", registration_id)
    if not rows:
        raise NotFound("There is no such registration.")
    event = await _lock_event(rows[0]["event"])
    await fetch("SELECT id FROM event_registrations WHERE id = $1 FOR UPDATE", registration_id)
    return event


def walk_in_fields(email: str, full_name: str) -> tuple[str, str]:
    """The normalised email and cleaned name, or Invalid with a message per field."""
    errors: dict[str, str] = {}
    name = clean_name(full_name)
    if not name:
        errors["full_name"] = "Enter the person's name."
    try:
        address = normalise_email(email)
    except InvalidEmail as exc:
        errors["email"] = str(exc).replace("your email", "their email")
        address = ""
    if errors:
        raise Invalid(errors=errors)
    return address, name


async def walk_in(event_id: int, *, email: str, full_name: str, by: str,
                  admit_over_capacity: bool, clock: Clock) -> CheckInResult:
    """Admit someone at the door: reuse their registration if they have one, else a new
    one from the `walk_in` source. Registering here is not marketing consent."""
    address, name = walk_in_fields(email, full_name)
    now = clock.now()
    async with transaction():
        event = await _lock_event(event_id)
        if event["status"] != "published":
            raise Conflict(rules.event_not_open(event["status"]))
        person = await people.find_or_create(email=address, full_name=name, source="event",
                                             now=now)
        current = await _registration_of(event_id, person["id"])
        if current is not None and current["status"] == "attended":
            return explain(await views.registration(current["id"]))
        if current is None or current["status"] in rules.NEEDS_A_SEAT:
            await _take_seat(event, over_capacity=admit_over_capacity, by=by,
                             person_id=person["id"], now=now)
        registration_id = await _admit(event_id, person["id"], current, by, now)
        view = await views.registration(registration_id)
        await _record(view, "event_attended", now)
    return CheckInResult("checked_in", f"{_name(view)} is checked in.", view)


async def _registration_of(event_id: int, person_id: int) -> dict | None:
    rows = await fetch("SELECT id, status FROM event_registrations "
                       "WHERE event = $1 AND person = $2 FOR UPDATE", event_id, person_id)
    return rows[0] if rows else None


async def _take_seat(event: dict, *, over_capacity: bool, by: str, person_id: int,
                     now: datetime) -> None:
    """The same conditional UPDATE as registration; going past capacity is only ever the
    host's explicit choice, and it is written to the audit log."""
    seated = await fetch("UPDATE events SET taken = taken + 1 WHERE id = $1 "
                         "AND (capacity IS NULL OR taken < capacity) RETURNING taken",
                         event["id"])
    if seated:
        return
    if not over_capacity:
        raise EventFull(event["taken"], event["capacity"])
    rows = await fetch("UPDATE events SET taken = taken + 1 WHERE id = $1 "
                       "RETURNING taken, capacity", event["id"])
    await audit.record(action="events.walk_in_over_capacity", at=now, actor=by,
                       subject=f"event:{event['id']}",
                       detail={"person": person_id, "taken": rows[0]["taken"],
                               "capacity": rows[0]["capacity"]})


async def _admit(event_id: int, person_id: int, current: dict | None, by: str,
                 now: datetime) -> int:
    if current is None:
        rows = await fetch(
            "INSERT INTO event_registrations (event, person, status, source, checked_in_at, "
            "checked_in_by, created_at, updated_at) "
            "VALUES ($1, $2, 'attended', 'walk_in', $3, $4, $3, $3) RETURNING id",
            event_id, person_id, now, by[:320])
        return int(rows[0]["id"])
    await fetch("UPDATE event_registrations SET status = 'attended', checked_in_at = $2, "
                "checked_in_by = $3, offer_expires_at = NULL, cancelled_at = NULL, "
                "updated_at = $2 WHERE id = $1", current["id"], now, by[:320])
    return int(current["id"])


async def mark(registration_id: int, *, attended: bool, by: str,
               clock: Clock) -> CheckInResult:
    """By hand, mostly for virtual events. Seats do not move: registered, attended and
    no-show all hold one."""
    now = clock.now()
    async with transaction():
        event = await _lock_registration(registration_id)
        view = await views.registration(registration_id)
        if attended:
            return await _mark_present(view, by, now)
        return await _mark_absent(view, event, now)


async def _mark_present(view: dict, by: str, now: datetime) -> CheckInResult:
    if view["status"] not in ("registered", "no_show"):
        return explain(view)
    await fetch("UPDATE event_registrations SET status = 'attended', checked_in_at = $2, "
                "checked_in_by = $3, updated_at = $2 WHERE id = $1", view["id"], now, by[:320])
    await _record(view, "event_attended", now)
    view = await views.registration(view["id"])
    return CheckInResult("checked_in", f"{_name(view)} is marked as attended.", view)


async def _mark_absent(view: dict, event: dict, now: datetime) -> CheckInResult:
    if view["status"] != "attended":
        return CheckInResult("unchanged", f"{_name(view)} is not marked as attended.", view)
    # Once attendance is closed, not coming means a no-show; before, they may still come.
    status = "no_show" if event["attendance_closed_at"] else "registered"
    await fetch("UPDATE event_registrations SET status = $2, checked_in_at = NULL, "
                "checked_in_by = '', joined_at = NULL, attended_minutes = NULL, "
                "updated_at = $3 WHERE id = $1", view["id"], status, now)
    if status == "no_show":
        await _record(view, "event_no_show", now)
    view = await views.registration(view["id"])
    label = "a no-show" if status == "no_show" else "not attended"
    return CheckInResult("unmarked", f"{_name(view)} is marked as {label}.", view)
