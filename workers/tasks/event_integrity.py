"""Event seat counts: recount `events.taken` against the registrations every hour."""

from __future__ import annotations

from arq import cron

from domain.events import integrity


async def recount_event_seats(ctx: dict) -> int:
    """Idempotent: a second run finds nothing left to repair. Returns events repaired."""
    repairs = await integrity.check_all(clock=ctx["clock"], queue=ctx["queue"])
    return len(repairs)


TASKS = [recount_event_seats]
# Hourly, off the hour. A mismatch needs something outside the service (manual SQL, a
# restore), but matters: a count too low lets the conditional UPDATE sell held seats
# again, one too high hides free seats from the waiting list.
CRON_JOBS = [cron(recount_event_seats, minute={23}, second={41}, unique=True, timeout=600)]
