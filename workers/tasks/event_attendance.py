"""Event attendance: close it automatically some hours after each event ends."""

from __future__ import annotations

from arq import cron

from domain.events import attendance_close


async def close_event_attendance(ctx: dict) -> int:
    """Idempotent: an event already closed (by its host or an earlier run) is left alone."""
    return await attendance_close.close_due(clock=ctx["clock"])


TASKS = [close_event_attendance]
# Every 15 minutes: the closing delay is hours (domain.events.attendance_rules), so a
# quarter of an hour late is nothing, and a missed run is caught up by the next one.
CRON_JOBS = [cron(close_event_attendance, minute={4, 19, 34, 49}, second={41},
                  unique=True, timeout=300)]
