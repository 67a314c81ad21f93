"""Before and after a scheduled interview, from a cron task (every 5 minutes).

Reminder: 24 hours before the start, one email to the candidate and one to each panelist
(none once the application is no longer active: rejected, withdrawn, hired).
Due while the start is between 1 and 24 hours away (a cron that was down sends it late,
never minutes before the start), and only for an interview booked or moved at least 24
hours before its start: one booked later has just sent the invitation with everything.

Scorecards: once a scheduled interview has ended it becomes `completed`, and each
panelist who has not submitted a scorecard for that application and stage is sent a
link to it.

Exactly once: each sweep claims its interviews with a conditional UPDATE of a mark
(`reminded_at`, `scorecards_requested_at` IS NULL → now) in the transaction that queues
the emails, so a re-run or a second worker running at the same moment finds nothing left
to claim (rows another run holds are skipped, not waited for). Rescheduling clears both
marks, so the new time gets its own reminder. Set-based: a constant number of statements
per batch of interviews, whatever the number of people.
"""

from __future__ import annotations

from datetime import timedelta

from domain.db import fetch, transaction
from domain.interviews import emails as interview_emails
from domain.interviews import queries
from domain.mail import service as mail
from domain.ports import Clock, TaskQueue
from settings import get_settings

REMINDER_TEMPLATE = "interview_reminder"
SCORECARD_TEMPLATE = "scorecard_request"
LEAD = timedelta(hours=24)
LAST_CALL = timedelta(hours=1)
BATCH = 500

_CLAIM_REMINDERS = (
    "UPDATE interviews SET reminded_at = $1 WHERE id IN (SELECT id FROM interviews "
    "WHERE status = 'scheduled' AND reminded_at IS NULL AND starts_at > $2 "
    "AND starts_at <= $3 AND updated_at <= starts_at - $4::interval AND application IN "
    "(SELECT id FROM applications WHERE status = 'active') "
    "ORDER BY id LIMIT $5 FOR UPDATE SKIP LOCKED) "
    "AND status = 'scheduled' AND reminded_at IS NULL RETURNING id")

_ATTENDEES = (
    "SELECT i.id, a.person, p.email, 'candidate' AS role, NULL::int AS staff, "
    "floor(extract(epoch FROM i.starts_at))::bigint AS start FROM interviews i "
    "JOIN applications a ON a.id = i.application JOIN people p ON p.id = a.person "
    "WHERE i.id = ANY($1::int[]) UNION ALL "
    "SELECT i.id, NULL, s.email, 'panelist', s.id, "
    "floor(extract(epoch FROM i.starts_at))::bigint FROM interviews i "
    "JOIN interview_panelists ip ON ip.interview = i.id "
    "JOIN staff_users s ON s.id = ip.staff WHERE i.id = ANY($1::int[]) ORDER BY 1, 3")

_CLAIM_ENDED = (
    "UPDATE interviews SET status = 'completed', scorecards_requested_at = $1, "
    "updated_at = $1 WHERE id IN (SELECT id FROM interviews WHERE status = 'scheduled' "
    "AND scorecards_requested_at IS NULL AND ends_at <= $1 "
    "ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) "
    "AND status = 'scheduled' AND scorecards_requested_at IS NULL "
    "RETURNING id, application")

_AUDIT_COMPLETED = (
    "INSERT INTO audit_entries (occurred_at, actor, action, subject, ip, detail) "
    "SELECT $1, 'system', 'interview.completed', 'interview:' || i, '', "
    "jsonb_build_object('application', a) FROM unnest($2::int[], $3::int[]) AS u(i, a)")

# Panelists of these interviews without a submitted scorecard for its application+stage.
_MISSING_SCORECARDS = (
    "SELECT i.id, s.id AS staff, s.email FROM interviews i "
    "JOIN interview_panelists ip ON ip.interview = i.id "
    "JOIN staff_users s ON s.id = ip.staff AND s.is_active "
    "WHERE i.id = ANY($1::int[]) AND NOT EXISTS (SELECT 1 FROM scorecards sc "
    "WHERE sc.application = i.application AND sc.stage = i.stage AND sc.author = s.id "
    "AND sc.status = 'submitted') ORDER BY i.id, s.email")


async def send_reminders(*, clock: Clock, queue: TaskQueue | None,
                         batch: int = BATCH) -> int:
    """Queue the reminders due now; returns how many emails this run queued."""
    now = clock.now()
    queued = 0
    while True:
        async with transaction():
            claimed = await fetch(_CLAIM_REMINDERS, now, now + LAST_CALL, now + LEAD, LEAD,
                                  batch)
            ids = [row["id"] for row in claimed]
            if ids:
                rows = await fetch(_ATTENDEES, ids)
                queued += await mail.queue_emails([
                    mail.Outgoing(row["person"], row["email"],
                                  {"interview_id": row["id"], "recipient": row["role"],
                                   "starts_at": row["start"]},
                                  f"{REMINDER_TEMPLATE}:{row['id']}:{row['start']}:"
                                  f"{row['email'].lower()}") for row in rows],
                    template=REMINDER_TEMPLATE, now=now, queue=queue)
        if len(ids) < batch:
            return queued


async def request_scorecards(*, clock: Clock, queue: TaskQueue | None,
                             batch: int = BATCH) -> int:
    """Complete the interviews that have ended and ask their panelists for scorecards;
    returns how many emails this run queued."""
    now = clock.now()
    queued = 0
    while True:
        async with transaction():
            claimed = await fetch(_CLAIM_ENDED, now, batch)
            if claimed:
                await fetch(_AUDIT_COMPLETED, now, [r["id"] for r in claimed],
                            [r["application"] for r in claimed])
                rows = await fetch(_MISSING_SCORECARDS, [r["id"] for r in claimed])
                queued += await mail.queue_emails([
                    mail.Outgoing(None, row["email"],
                                  {"interview_id": row["id"], "staff_id": row["staff"]},
                                  f"{SCORECARD_TEMPLATE}:{row['id']}:{row['staff']}")
                    for row in rows], template=SCORECARD_TEMPLATE, now=now, queue=queue)
        if len(claimed) < batch:
            return queued


async def reminder_email_context(template: str, stored: dict, *, clock: Clock) -> dict:
    view = await queries.interview_view(int(stored["interview_id"]))
    start = view["starts_at"]
    if view["status"] != "scheduled" or start is None \
            or int(start.timestamp()) != int(stored["starts_at"]):
        # Moved or called off since: the updated invitation or the cancellation holds.
        raise LookupError(f"interview {view['id']} changed since; reminder not sent")
    return await interview_emails.interview_email_context(template, stored, clock=clock)


async def scorecard_email_context(template: str, stored: dict, *, clock: Clock) -> dict:
    view = await queries.interview_view(int(stored["interview_id"]))
    rows = await fetch("SELECT s.full_name, sc.status FROM staff_users s LEFT JOIN "
                       "scorecards sc ON sc.author = s.id AND sc.application = $2 "
                       "AND sc.stage = $3 WHERE s.id = $1", int(stored["staff_id"]),
                       view["application"], view["stage"])
    if rows and rows[0]["status"] == "submitted":
        raise LookupError("the scorecard was submitted since; reminder not sent")
    return {
        "person_name": (rows[0]["full_name"] if rows else "").split(" ")[0],
        "candidate_name": view["full_name"] or view["email"],
        "interview_title": view["title"],
        "job_title": view["job_title"],
        "stage_name": view["stage_name"],
        "interview_when": interview_emails.when_text(view["starts_at"], view["ends_at"],
                                                     view["time_zone"]),
        "scorecard_url": scorecard_url(view["application"]),
    }


def scorecard_url(application_id: int) -> str:
    return f"{get_settings().base_url}/backoffice/applications/{application_id}/scorecard"


EMAIL_CONTEXTS = {REMINDER_TEMPLATE: reminder_email_context,
                  SCORECARD_TEMPLATE: scorecard_email_context}
