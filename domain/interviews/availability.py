"""Asking a candidate when they can interview, and their answer.

A request is opened by stage automation (a bulk move of up to 1,000 applications, inside
the pipeline's transaction) or by a recruiter's button, and emails the candidate a
signed link (`links.availability_url`). The candidate answers with time windows; the
recruiters on the requisition are told, and the scheduling page shows the windows.

Set-based on purpose: `request_many` runs a constant number of statements whatever the
number of applications (lock, insert with its audit and timeline rows, suppression
check, the emails and their outbox rows).
status: requested → submitted | cancelled; only a `requested` request takes an answer.
"""

from __future__ import annotations

import json
from datetime import datetime

from domain.consent import service as consent
from domain.db import fetch, transaction
from domain.errors import Conflict, NotFound
from domain.interviews import availability_rules as rules
from domain.interviews import links
from domain.interviews.availability_rules import Availability
from domain.mail import service as mail
from domain.people.rules import first_name
from domain.ports import Clock, TaskQueue
from settings import get_settings

REQUEST_TEMPLATE = "availability_request"
SUBMITTED_TEMPLATE = "availability_submitted"
ALREADY_ASKED = "We are already waiting for this candidate's availability at this stage."

# One statement: the new requests (one per active application without an open one at
# this stage), their audit entries and timeline events, and who to email.
_CREATE = """
WITH created AS (
    INSERT INTO availability_requests (application, stage, status, time_zone, windows,
        note, requested_by, requested_at)
    SELECT a.id, $2::int, 'requested', coalesce(pr.time_zone, ''), '[]'::jsonb, '',
           $3::text, $4::timestamptz
    FROM applications a LEFT JOIN profiles pr ON pr.person = a.person
    WHERE a.id = ANY($1::int[]) AND a.status = 'active' AND NOT EXISTS (
        SELECT 1 FROM availability_requests r
        WHERE r.application = a.id AND r.stage = $2::int AND r.status = 'requested')
    ORDER BY a.id
    RETURNING id, application
), audited AS (
    INSERT INTO audit_entries (occurred_at, actor, action, subject, ip, detail)
    SELECT $4::timestamptz, left($3::text, 320), 'interview.availability_requested',
           'application:' || c.application, '',
           jsonb_build_object('request', c.id, 'stage', $2::int)
    FROM created c
), timeline AS (
    INSERT INTO engagement_events (person, type, occurred_at, source, payload)
    SELECT a.person, 'availability_requested', $4::timestamptz, 'availability:' || c.id,
           jsonb_build_object('requisition', q.title)
    FROM created c JOIN applications a ON a.id = c.application
    JOIN requisitions q ON q.id = a.requisition
)
SELECT c.id, a.person, p.email FROM created c
JOIN applications a ON a.id = c.application JOIN people p ON p.id = a.person
ORDER BY c.id
"""


async def request_many(application_ids: list[int], *, stage_id: int, by: str,
                       now: datetime, queue: TaskQueue | None = None) -> list[int]:
    """Open a request for each application that has none open at this stage and email
    the candidates. Joins the caller's transaction when there is one. Returns the ids of
    the requests created (applications already asked, or not active, are skipped)."""
    ids = sorted({int(application_id) for application_id in application_ids})
    if not ids:
        return []
    async with transaction():
        # Two movers at once: the second waits here, then its INSERT (a new snapshot)
        # sees the first one's requests and skips those applications.
        await fetch("SELECT id FROM applications WHERE id = ANY($1::int[]) ORDER BY id "
                    "FOR UPDATE", ids)
        rows = await fetch(_CREATE, ids, stage_id, by[:320], now)
        suppressed = await consent.suppressed_emails([row["email"] for row in rows])
        await mail.queue_emails([
            mail.Outgoing(row["person"], row["email"], {"request_id": row["id"]},
                          f"{REQUEST_TEMPLATE}:{row['id']}")
            for row in rows if row["email"] not in suppressed],
            template=REQUEST_TEMPLATE, now=now, queue=queue)
    return [int(row["id"]) for row in rows]


async def request_one(application_id: int, stage_id: int | None = None, *, by: str,
                      now: datetime, queue: TaskQueue | None = None) -> int:
    """The back office's button: at `stage_id`, or the application's current stage.
    Conflict when a request is already open there."""
    async with transaction():
        rows = await fetch("SELECT stage, status FROM applications WHERE id = $1",
                           application_id)
        if not rows:
            raise NotFound("There is no such application.")
        if rows[0]["status"] != "active":
            raise Conflict(f"This application is {rows[0]['status']}; ask active "
                           "candidates only.")
        created = await request_many([application_id], stage_id=stage_id or rows[0]["stage"],
                                     by=by, now=now, queue=queue)
    if not created:
        raise Conflict(ALREADY_ASKED)
    return created[0]


async def close_for_interview(application_id: int, stage_id: int, *, by: str,
                              now: datetime) -> None:
    """An interview was scheduled at this stage: an unanswered request is no longer
    needed (its link then says so). In the caller's transaction."""
    await fetch("WITH closed AS (UPDATE availability_requests SET status = 'cancelled' "
                "WHERE application = $1 AND stage = $2 AND status = 'requested' "
                "RETURNING id) INSERT INTO audit_entries (occurred_at, actor, action, "
                "subject, ip, detail) SELECT $3, $4, 'interview.availability_cancelled', "
                "'application:' || $1::int, '', jsonb_build_object('request', id) FROM closed",
                application_id, stage_id, now, by[:320])


async def cancel(request_id: int, *, by: str, now: datetime) -> None:
    async with transaction():
        rows = await fetch("UPDATE availability_requests SET status = 'cancelled' "
                           "WHERE id = $1 AND status = 'requested' RETURNING application",
                           request_id)
        if not rows:
            raise Conflict("This request is no longer open.")
        await _audit("interview.availability_cancelled", rows[0]["application"], request_id,
                     by, now)


async def submit(request_id: int, answer: Availability, *, clock: Clock,
                 queue: TaskQueue | None) -> None:
    """The candidate's answer. Conflict when the request was already answered or was
    withdrawn (the page says which)."""
    now = clock.now()
    async with transaction():
        request = await _locked(request_id)
        closed = request["status"] if request["status"] != "requested" else None
        if closed is None and request["application_status"] != "active":
            # Decided meanwhile (rejected, withdrawn, hired): nobody needs the answer.
            await fetch("UPDATE availability_requests SET status = 'cancelled' WHERE id = $1",
                        request_id)
            await _audit("interview.availability_cancelled", request["application"],
                         request_id, "system", now)
            closed = "cancelled"
        if closed is None:
            await _store_answer(request, answer, now, queue)
    if closed is not None:  # raised after commit: the cancellation above is kept
        raise Conflict(_closed_message(closed))


async def _store_answer(request: dict, answer: Availability, now: datetime,
                        queue: TaskQueue | None) -> None:
    request_id = request["id"]
    await fetch("UPDATE availability_requests SET status = 'submitted', time_zone = $2, "
                "windows = $3::jsonb, note = $4, submitted_at = $5 WHERE id = $1",
                request_id, answer.time_zone, json.dumps(answer.stored_windows()),
                answer.note, now)
    await _audit("interview.availability_submitted", request["application"], request_id,
                 "candidate", now, {"windows": len(answer.windows)})
    await fetch("INSERT INTO engagement_events (person, type, occurred_at, source, "
                "payload) VALUES ($1, 'availability_submitted', $2, $3, $4::jsonb)",
                request["person"], now, f"availability:{request_id}",
                json.dumps({"windows": len(answer.windows)}))
    recipients = await _recruiters(request)
    await mail.queue_emails([
        mail.Outgoing(None, email, {"request_id": request_id},
                      f"{SUBMITTED_TEMPLATE}:{request_id}:{email.lower()}")
        for email in recipients], template=SUBMITTED_TEMPLATE, now=now, queue=queue)


def _closed_message(status: str) -> str:
    if status == "submitted":
        return "You have already sent your availability. Thank you: we will be in touch."
    return "We no longer need your availability for this step. We will be in touch by email."


async def _locked(request_id: int) -> dict:
    rows = await fetch("SELECT r.*, a.person, a.requisition, a.status AS application_status "
                       "FROM availability_requests r "
                       "JOIN applications a ON a.id = r.application WHERE r.id = $1 "
                       "FOR UPDATE OF r", request_id)
    if not rows:
        raise NotFound("There is no such request.")
    return rows[0]


async def _recruiters(request: dict) -> list[str]:
    """The requisition's recruiters; without any, whoever asked (when a person did)."""
    rows = await fetch("SELECT DISTINCT lower(s.email) AS email FROM requisition_members m "
                       "JOIN staff_users s ON s.id = m.staff WHERE m.requisition = $1 "
                       "AND m.role = 'recruiter' AND s.is_active ORDER BY 1",
                       request["requisition"])
    emails = [row["email"] for row in rows]
    if not emails and "@" in request["requested_by"]:
        emails = [request["requested_by"].lower()]
    return emails


async def _audit(action: str, application_id: int, request_id: int, by: str, now: datetime,
                 detail: dict | None = None) -> None:
    await fetch("INSERT INTO audit_entries (occurred_at, actor, action, subject, ip, detail) "
                "VALUES ($1, $2, $3, $4, '', $5::jsonb)", now, by[:320], action,
                f"application:{application_id}",
                json.dumps({"request": request_id, **(detail or {})}))


# Read side ------------------------------------------------------------------------------

_VIEW = ("SELECT r.*, a.person, a.requisition, a.status AS application_status, p.email, "
         "p.full_name, q.title AS job_title, "
         "s.name AS stage_name, coalesce(pr.time_zone, '') AS profile_time_zone "
         "FROM availability_requests r JOIN applications a ON a.id = r.application "
         "JOIN people p ON p.id = a.person JOIN requisitions q ON q.id = a.requisition "
         "JOIN requisition_stages s ON s.id = r.stage "
         "LEFT JOIN profiles pr ON pr.person = a.person ")


def _decoded(row: dict) -> dict:
    if isinstance(row["windows"], str):
        row["windows"] = json.loads(row["windows"])
    return row


async def request_view(request_id: int) -> dict:
    rows = await fetch(_VIEW + "WHERE r.id = $1", request_id)
    if not rows:
        raise NotFound("There is no such request.")
    return _decoded(rows[0])


async def for_application(application_id: int) -> list[dict]:
    """Newest first."""
    rows = await fetch(_VIEW + "WHERE r.application = $1 ORDER BY r.requested_at DESC, "
                       "r.id DESC", application_id)
    return [_decoded(row) for row in rows]


async def submitted_windows(application_id: int, zone: str) -> list[dict]:
    """The latest answer at each stage, windows in `zone` for the scheduler."""
    seen: set[int] = set()
    answers = []
    for row in await for_application(application_id):
        if row["status"] != "submitted" or row["stage"] in seen:
            continue
        seen.add(row["stage"])
        answers.append({"stage_name": row["stage_name"], "note": row["note"],
                        "submitted_at": row["submitted_at"], "zone": zone or "UTC",
                        "windows": rules.in_zone(row["windows"], zone)})
    return answers


async def email_context(template: str, stored: dict, *, clock: Clock) -> dict:
    settings = get_settings()
    view = await request_view(int(stored["request_id"]))
    wanted = "requested" if template == REQUEST_TEMPLATE else "submitted"
    if view["status"] != wanted or (template == REQUEST_TEMPLATE
                                    and view["application_status"] != "active"):
        # Answered or withdrawn between queueing and sending: nothing worth saying now.
        raise LookupError(f"the availability request is {view['status']}; {template} "
                          "not sent")
    return {
        "person_name": first_name(view["full_name"]),
        "candidate_name": view["full_name"] or view["email"],
        "job_title": view["job_title"],
        "stage_name": view["stage_name"],
        "availability_url": links.availability_url(view["id"]),
        "windows": rules.describe(view["windows"], view["time_zone"]),
        "time_zone": view["time_zone"],
        "note": view["note"],
        "application_url": f"{settings.base_url}/backoffice/applications/"
                           f"{view['application']}#interviews",
    }


EMAIL_CONTEXTS = dict.fromkeys((REQUEST_TEMPLATE, SUBMITTED_TEMPLATE), email_context)
