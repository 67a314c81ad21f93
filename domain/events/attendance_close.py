"""Closing attendance after an event: who held a seat and did not come is a no-show.

Set-based: one UPDATE ... RETURNING per status change under the event row lock, so a
2,000-person event closes in one short transaction. Idempotent: a closed event is left
alone, so the host's button and the cron can both run it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.audit import service as audit
from domain.db import fetch, transaction
from domain.engagement import service as engagement
from domain.errors import Conflict, NotFound
from domain.events import attendance_rules as rules
from domain.ports import Clock


@dataclass(frozen=True)
class Closed:
    no_shows: int
    offers_released: int
    waitlist_closed: int
    closed_at: datetime
    already: bool = False


async def close_attendance(event_id: int, *, clock: Clock, by: str = "system") -> Closed:
    now = clock.now()
    async with transaction():
        event = await _lock_event(event_id)
        if event["attendance_closed_at"] is not None:
            return Closed(0, 0, 0, event["attendance_closed_at"], already=True)
        _check_closable(event, now)
        no_shows = await _to_no_show(event_id, now)
        released = await _release_offers(event_id, now)
        waitlist = await _close_waitlist(event_id, now)
        await fetch("UPDATE events SET attendance_closed_at = $2 WHERE id = $1", event_id, now)
        await _record_no_shows(no_shows, event["slug"], now)
        closed = Closed(len(no_shows), released, waitlist, now)
        await audit.record(action="events.attendance_closed", at=now, actor=by,
                           subject=f"event:{event_id}",
                           detail={"no_shows": closed.no_shows, "offers_released": released,
                                   "waitlist_closed": waitlist})
    return closed


async def _lock_event(event_id: int) -> dict:
    rows = await fetch("SELECT id, slug, status, ends_at, time_zone, attendance_closed_at "
                       "FROM events WHERE id = $1 FOR UPDATE", event_id)
    if not rows:
        raise NotFound("There is no such event.")
    return rows[0]


def _check_closable(event: dict, now: datetime) -> None:
    if event["status"] != "published":
        # A called-off event had no attendance to take: nobody should become a no-show.
        raise Conflict("Only a published event's attendance can be closed.")
    if not rules.can_close(event["ends_at"], now):
        ends = rules.local_moment(event["ends_at"], event["time_zone"])
        raise Conflict(f"Attendance can be closed once the event has ended ({ends}).")


async def _to_no_show(event_id: int, now: datetime) -> list[dict]:
    return await fetch("UPDATE event_registrations SET status = 'no_show', updated_at = $2 "
                       "WHERE event = $1 AND status = 'registered' RETURNING id, person",
                       event_id, now)


async def _release_offers(event_id: int, now: datetime) -> int:
    """An unanswered offer held a seat in `taken`; the event is over, so give it back."""
    rows = await fetch("UPDATE event_registrations SET status = 'cancelled', cancelled_at = $2, "
                       "offer_expires_at = NULL, updated_at = $2 "
                       "WHERE event = $1 AND status = 'offered' RETURNING id", event_id, now)
    if rows:
        await fetch("UPDATE events SET taken = taken - $2 WHERE id = $1", event_id, len(rows))
    return len(rows)


async def _close_waitlist(event_id: int, now: datetime) -> int:
    """Without this, the seats freed above would be offered by the waitlist cron to people
    still waiting, for an event that is over."""
    rows = await fetch("UPDATE event_registrations SET status = 'cancelled', cancelled_at = $2, "
                       "updated_at = $2 WHERE event = $1 AND status = 'waitlisted' "
                       "RETURNING id", event_id, now)
    return len(rows)


async def _record_no_shows(rows: list[dict], slug: str, now: datetime) -> None:
    # engagement.record takes one row at a time; inside this one transaction each is a
    # single round trip on the same connection.
    for row in rows:
        await engagement.record(person_id=row["person"], type="event_no_show",
                                occurred_at=now, source="events", payload={"event": slug})


async def close_due(*, clock: Clock) -> int:
    """Cron: close every published event whose end is far enough behind (per kind)."""
    now = clock.now()
    candidates = await fetch(
        "SELECT id, kind, ends_at FROM events WHERE status = 'published' "
        "AND attendance_closed_at IS NULL AND ends_at <= $1 ORDER BY ends_at, id",
        now - rules.EARLIEST_AUTO_CLOSE)
    closed = 0
    for event in candidates:
        if not rules.auto_close_due(event["kind"], event["ends_at"], now):
            continue
        try:
            result = await close_attendance(event["id"], clock=clock)
        except Conflict:
            continue  # called off or moved meanwhile: nothing to close
        closed += 0 if result.already else 1
    return closed
