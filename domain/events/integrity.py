"""Seat-count integrity (QUALITY.md V4): `events.taken` must equal the registrations that
hold a seat (`rules.SEAT_STATUSES`). Every seat change moves both in one transaction, so a
mismatch means something bypassed the service (a manual SQL fix, a restored backup, a
bug). The hourly task finds such events, repairs the count under the event row lock and
leaves an audit entry; seats the repair frees go to the waiting list at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from domain.audit import service as audit
from domain.db import fetch, transaction
from domain.events import rules
from domain.events import service as events
from domain.ports import Clock, TaskQueue

log = logging.getLogger(__name__)
ACTOR = "system:event-integrity"


@dataclass(frozen=True)
class Repair:
    event_id: int
    slug: str
    was: int  # events.taken before the repair
    counted: int  # registrations holding a seat: the new events.taken
    capacity: int | None
    offered: int  # seats then offered to the waiting list


async def recount(event_id: int, *, clock: Clock, queue: TaskQueue | None) -> Repair | None:
    """Repair one event's `taken` if it disagrees with its registrations; None when it
    agrees (nothing is written then). Same lock order as the service: event row first."""
    now = clock.now()
    async with transaction():
        event = await _lock(event_id)
        if event is None:
            return None
        # Counted after the lock: every committed seat change is visible, and none can
        # start until we commit.
        counted = await _seats_held(event_id)
        if counted == event["taken"]:
            return None
        await fetch("UPDATE events SET taken = $2 WHERE id = $1", event_id, counted)
        offered = await events.fill_seats(event_id, now, queue)
        repair = Repair(event_id, event["slug"], event["taken"], counted, event["capacity"],
                        offered)
        await _record(repair, now)
    return repair


async def check_all(*, clock: Clock, queue: TaskQueue | None) -> list[Repair]:
    """Recount every published event that has not ended and disagrees with its
    registrations. One read finds them; only those are locked and fixed."""
    suspects = await mismatched_events(clock.now())
    repairs = []
    for event_id in suspects:
        repair = await recount(event_id, clock=clock, queue=queue)
        if repair is not None:
            repairs.append(repair)
    return repairs


async def mismatched_events(now: datetime) -> list[int]:
    """Without locks, so a suspect is confirmed by `recount` under the lock. A correct
    event never shows up: one statement reads one snapshot, and seat changes commit
    together with their registration."""
    rows = await fetch(
        "SELECT e.id FROM events e WHERE e.status = 'published' AND e.ends_at > $1 "
        "AND e.taken <> (SELECT count(*) FROM event_registrations r WHERE r.event = e.id "
        "AND r.status = ANY($2::varchar[])) ORDER BY e.id", now, list(rules.SEAT_STATUSES))
    return [row["id"] for row in rows]


async def _lock(event_id: int) -> dict | None:
    rows = await fetch("SELECT id, slug, taken, capacity FROM events WHERE id = $1 FOR UPDATE",
                       event_id)
    return rows[0] if rows else None


async def _seats_held(event_id: int) -> int:
    rows = await fetch("SELECT count(*) AS n FROM event_registrations WHERE event = $1 "
                       "AND status = ANY($2::varchar[])", event_id, list(rules.SEAT_STATUSES))
    return int(rows[0]["n"])


async def _record(repair: Repair, now: datetime) -> None:
    await audit.record(action="events.seats_recounted", at=now, actor=ACTOR,
                       subject=f"event:{repair.event_id}",
                       detail={"slug": repair.slug, "taken_was": repair.was,
                               "taken_now": repair.counted, "capacity": repair.capacity,
                               "offered": repair.offered})
    # A warning, not an error: the count is right again, but whatever skewed it should be
    # found (the audit entry keeps the numbers).
    log.warning("event %s (%s): taken was %s, %s registrations hold a seat; repaired, "
                "%s seats offered to the waiting list", repair.event_id, repair.slug,
                repair.was, repair.counted, repair.offered)
