"""Event reminders: queue the 24 h and 1 h reminders that are due."""

from __future__ import annotations

from arq import cron

from domain.events import reminders


async def send_event_reminders(ctx: dict) -> int:
    """Idempotent: a reminder already queued is skipped by its dedupe key."""
    return await reminders.queue_due(clock=ctx["clock"], queue=ctx["queue"])


TASKS = [send_event_reminders]
# Every 5 minutes: a 1 h reminder goes out 55 to 60 minutes before the start.
CRON_JOBS = [cron(send_event_reminders, minute=set(range(0, 60, 5)), second={23},
                  unique=True, timeout=240)]
