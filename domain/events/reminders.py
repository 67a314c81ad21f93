"""Event reminders 24 hours and 1 hour before the start, queued by a cron task.

Who gets one: people whose registration is `registered` (not cancelled, waitlisted,
offered, nor already checked in) for a published event that has not started yet.

When: each reminder has a window, and a run queues every reminder whose window is open.
The 24 h reminder is due while the start is between 1 and 24 hours away, the 1 h reminder
while it is less than an hour away; so a cron that was down for a while sends the one
that still makes sense, never a "coming up" email minutes before the start.

Late registrants: a reminder goes only to people whose seat was confirmed before its
window opened (the registration's `updated_at`, which registering, re-registering and
accepting an offer all set, is at least the lead time before the start). Someone who
registers five hours before the start has just received the confirmation with everything
in it: they get the 1 h reminder but no "coming up" one right after the confirmation.

Exactly once: the email's dedupe key names the reminder, the registration and the start
time, and `outbound_emails.dedupe_key` is unique, so a repeated run, or two workers
running at once, cannot queue a second copy. A moved event has a new start time, hence
new keys: its reminders are due again, for the new time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.db import fetch, transaction
from domain.mail import service as mail
from domain.ports import Clock, TaskQueue

TEMPLATE = "event_reminder"
# Longest lead first: each window ends where the next, shorter one begins.
LEADS: dict[str, timedelta] = {"24h": timedelta(hours=24), "1h": timedelta(hours=1)}
BATCH = 500

# One indexed scan of the published events starting in the window (events_upcoming_idx),
# their registrations, minus those whose reminder is already queued. The key is built
# here only, so the NOT EXISTS test and the key queued can never disagree.
_DUE = (
    "SELECT r.id, r.person, p.email, k.dedupe_key FROM events e "
    "JOIN event_registrations r ON r.event = e.id JOIN people p ON p.id = r.person "
    "CROSS JOIN LATERAL (SELECT 'event_reminder:' || $4::text || ':' || r.id || ':' || "
    "floor(extract(epoch FROM e.starts_at))::bigint AS dedupe_key) k "
    "WHERE e.status = 'published' AND e.starts_at > $1 AND e.starts_at <= $2 "
    "AND r.status = 'registered' AND r.updated_at <= e.starts_at - $3::interval "
    "AND r.id > $5 AND NOT EXISTS "
    "(SELECT 1 FROM outbound_emails o WHERE o.dedupe_key = k.dedupe_key) "
    "ORDER BY r.id LIMIT $6"
)


def windows(now: datetime) -> list[tuple[str, datetime, datetime]]:
    """(reminder, start after, start at or before) for each reminder, longest lead first."""
    leads = list(LEADS.items())
    ends = [lead for _, lead in leads[1:]] + [timedelta(0)]
    return [(name, now + end, now + lead) for (name, lead), end in zip(leads, ends, strict=True)]


async def queue_due(*, clock: Clock, queue: TaskQueue | None, batch: int = BATCH) -> int:
    """Queue every reminder that is due now; returns how many were queued by this run."""
    now = clock.now()
    queued = 0
    for reminder, after, until in windows(now):
        queued += await _queue_window(reminder, after, until, now, queue, batch)
    return queued


async def _queue_window(reminder: str, after: datetime, until: datetime, now: datetime,
                        queue: TaskQueue | None, batch: int) -> int:
    queued, last_id = 0, 0
    while True:
        rows = await fetch(_DUE, after, until, LEADS[reminder], reminder, last_id, batch)
        if not rows:
            return queued
        queued += await _queue_batch(rows, reminder, now, queue)
        last_id = rows[-1]["id"]
        if len(rows) < batch:
            return queued


async def _queue_batch(rows: list[dict], reminder: str, now: datetime,
                       queue: TaskQueue | None) -> int:
    """One transaction per batch: its outbox rows are enqueued once it commits."""
    async with transaction():
        # Keys another run queued first are skipped, so they do not count.
        return await mail.queue_emails([
            mail.Outgoing(row["person"], row["email"],
                          {"registration_id": row["id"], "reminder": reminder},
                          row["dedupe_key"]) for row in rows],
            template=TEMPLATE, now=now, queue=queue)
