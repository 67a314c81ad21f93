"""Interview use cases: schedule (fixed time or offered slots), the candidate's pick,
reschedule and cancel.

Each runs in one transaction with the interview row locked (SELECT … FOR UPDATE), so two
picks at once are served one after the other and the second finds the interview already
booked. Every change that a calendar must follow bumps `sequence` and queues one email per
attendee after commit (`domain.mail.service.queue_email` writes an outbox row).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.accounts.service import Staff
from domain.audit import service as audit
from domain.db import fetch, transaction
from domain.engagement import service as engagement
from domain.errors import Conflict, Invalid, NotFound
from domain.interviews import availability, queries
from domain.interviews.rules import InterviewDraft
from domain.mail import service as mail
from domain.ports import Clock, TaskQueue

NOT_PROPOSED = "These times are no longer open: the interview was booked or called off."
OPEN = ("proposed", "scheduled")


async def _active_application(application_id: int) -> dict:
    rows = await fetch("SELECT id, stage, person, status, requisition FROM applications "
                       "WHERE id = $1 FOR UPDATE", application_id)
    if not rows:
        raise NotFound("There is no such application.")
    if rows[0]["status"] != "active":
        raise Invalid(f"This application is {rows[0]['status']}; interviews are for "
                      "active applications.")
    return rows[0]


async def _locked(interview_id: int) -> dict:
    rows = await fetch("SELECT * FROM interviews WHERE id = $1 FOR UPDATE", interview_id)
    if not rows:
        raise NotFound("There is no such interview.")
    return rows[0]


async def schedule(application_id: int, draft: InterviewDraft, *, by: Staff, clock: Clock,
                   queue: TaskQueue | None) -> int:
    """The interview id. At the application's current stage; a fixed time invites
    everyone now, offered slots email the candidate a link to choose."""
    now = clock.now()
    async with transaction():
        application = await _active_application(application_id)
        rows = await fetch(
            "INSERT INTO interviews (application, stage, title, status, starts_at, ends_at, "
            "time_zone, location, join_url, duration_minutes, sequence, created_by, "
            "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, "
            "$11, $12, $12) RETURNING id",
            application_id, application["stage"], draft.title, draft.status,
            draft.starts_at, draft.ends_at, draft.time_zone, draft.location, draft.join_url,
            draft.duration_minutes, by.email[:320], now)
        interview_id = int(rows[0]["id"])
        await fetch("INSERT INTO interview_panelists (interview, staff) "
                    "SELECT $1, unnest($2::int[])", interview_id, draft.panelists)
        duration = timedelta(minutes=draft.duration_minutes)
        await fetch("INSERT INTO interview_slots (interview, starts_at, ends_at) "
                    "SELECT $1, s, s + $3::interval FROM unnest($2::timestamptz[]) AS s",
                    interview_id, draft.slots, duration)
        await _audit(interview_id, application_id, f"interview.{draft.status}", by, now)
        await availability.close_for_interview(application_id, application["stage"],
                                               by=by.email, now=now)
        if draft.starts_at:
            await _booked(interview_id, application, now, queue, sequence=0)
        else:
            await _email(interview_id, "interview_slots", 0, now, queue, panel=False)
    return interview_id


async def pick_slot(interview_id: int, slot_id: int, *, clock: Clock,
                    queue: TaskQueue | None) -> None:
    """The candidate's choice. Conflict when the interview is no longer proposed (another
    pick won, or staff rescheduled or cancelled it); NotFound for a slot not offered."""
    now = clock.now()
    async with transaction():
        interview = await _locked(interview_id)
        if interview["status"] != "proposed":
            raise Conflict(NOT_PROPOSED)
        rows = await fetch("SELECT starts_at, ends_at FROM interview_slots "
                           "WHERE id = $1 AND interview = $2", slot_id, interview_id)
        if not rows:
            raise NotFound("That time is not one of the times offered.")
        # After new times were offered (sequence > 0, a CANCEL went out at that
        # sequence), the booking's REQUEST must outrank it.
        sequence = interview["sequence"] + 1 if interview["sequence"] else 0
        await fetch("UPDATE interviews SET status = 'scheduled', starts_at = $2, "
                    "ends_at = $3, updated_at = $4, sequence = $5 WHERE id = $1",
                    interview_id, rows[0]["starts_at"], rows[0]["ends_at"], now, sequence)
        await audit.record(action="interview.slot_picked", at=now, actor="candidate",
                           subject=f"interview:{interview_id}",
                           detail={"application": interview["application"],
                                   "starts_at": rows[0]["starts_at"].isoformat()})
        application = {"id": interview["application"], "person": await _person(interview)}
        await _booked(interview_id, application, now, queue, sequence=sequence)


async def reschedule(interview_id: int, starts_at: datetime, time_zone: str, *, by: Staff,
                     clock: Clock, queue: TaskQueue | None) -> None:
    """A new fixed time: SEQUENCE goes up and everyone gets the updated invitation
    (same UID), so calendars move the entry instead of adding a second one."""
    now = clock.now()
    async with transaction():
        interview = await _locked(interview_id)
        if interview["status"] not in OPEN:
            raise Conflict(f"This interview is {interview['status']}; schedule a new one.")
        sequence = interview["sequence"] + 1
        ends_at = starts_at + timedelta(minutes=interview["duration_minutes"])
        # A new time is due its own reminder and, once over, its own scorecard request.
        await fetch("UPDATE interviews SET status = 'scheduled', starts_at = $2, "
                    "ends_at = $3, time_zone = $4, sequence = $5, updated_at = $6, "
                    "reminded_at = NULL, scorecards_requested_at = NULL "
                    "WHERE id = $1", interview_id, starts_at, ends_at, time_zone, sequence,
                    now)
        await _audit(interview_id, interview["application"], "interview.rescheduled", by,
                     now, {"starts_at": starts_at.isoformat(), "time_zone": time_zone})
        application = {"id": interview["application"], "person": await _person(interview)}
        await _booked(interview_id, application, now, queue, sequence=sequence)


async def reoffer(interview_id: int, slots: list[datetime], time_zone: str, *, by: Staff,
                  clock: Clock, queue: TaskQueue | None) -> None:
    """New times for the candidate to choose from, replacing the offered ones or the
    time they had booked. A booked time must not linger in anyone's calendar: SEQUENCE
    goes up and a METHOD:CANCEL for it (same UID) goes to the panel and, with the new
    choice link, to the candidate; their next pick is a REQUEST with a higher one."""
    now = clock.now()
    async with transaction():
        interview = await _locked(interview_id)
        if interview["status"] not in OPEN:
            raise Conflict(f"This interview is {interview['status']}; schedule a new one.")
        sequence = interview["sequence"] + 1
        await fetch("UPDATE interviews SET status = 'proposed', starts_at = NULL, "
                    "ends_at = NULL, time_zone = $2, sequence = $3, updated_at = $4, "
                    "reminded_at = NULL, scorecards_requested_at = NULL WHERE id = $1",
                    interview_id, time_zone, sequence, now)
        await fetch("DELETE FROM interview_slots WHERE interview = $1", interview_id)
        await fetch("INSERT INTO interview_slots (interview, starts_at, ends_at) "
                    "SELECT $1, s, s + $3::interval FROM unnest($2::timestamptz[]) AS s",
                    interview_id, slots, timedelta(minutes=interview["duration_minutes"]))
        await _audit(interview_id, interview["application"], "interview.slots_reoffered", by,
                     now, {"slots": len(slots), "time_zone": time_zone})
        previous = None
        if interview["status"] == "scheduled":
            previous = {"starts_at": interview["starts_at"].isoformat(),
                        "ends_at": interview["ends_at"].isoformat(),
                        "time_zone": interview["time_zone"]}
        await _reoffer_emails(interview_id, sequence, previous, now, queue)


async def _reoffer_emails(interview_id: int, sequence: int, previous: dict | None,
                          now: datetime, queue: TaskQueue | None) -> None:
    view = await queries.interview_view(interview_id)
    context = {"interview_id": interview_id, "sequence": sequence, "previous": previous}
    await mail.queue_emails([mail.Outgoing(
        view["person"], view["email"], {**context, "recipient": "candidate"},
        f"interview_slots:{interview_id}:{sequence}:{view['email'].lower()}")],
        template="interview_slots", now=now, queue=queue)
    if previous:
        await mail.queue_emails([mail.Outgoing(
            None, member["email"], {**context, "recipient": "panelist", "reoffered": True},
            f"interview_cancelled:{interview_id}:{sequence}:{member['email'].lower()}")
            for member in view["panel"]], template="interview_cancelled", now=now,
            queue=queue)


async def cancel(interview_id: int, *, by: Staff, clock: Clock,
                 queue: TaskQueue | None) -> None:
    """METHOD:CANCEL to everyone who got an invitation, with a higher SEQUENCE than the
    last REQUEST so no calendar keeps the entry."""
    now = clock.now()
    async with transaction():
        interview = await _locked(interview_id)
        if interview["status"] not in OPEN:
            raise Conflict(f"This interview is already {interview['status']}.")
        sequence = interview["sequence"] + 1
        await fetch("UPDATE interviews SET status = 'cancelled', sequence = $2, "
                    "updated_at = $3 WHERE id = $1", interview_id, sequence, now)
        await _audit(interview_id, interview["application"], "interview.cancelled", by, now)
        await engagement.record(person_id=await _person(interview),
                                type="interview_cancelled", occurred_at=now,
                                source=f"interview:{interview_id}",
                                payload={"interview": interview["title"]})
        await _email(interview_id, "interview_cancelled", sequence, now, queue,
                     panel=interview["status"] == "scheduled")


async def _person(interview: dict) -> int:
    rows = await fetch("SELECT person FROM applications WHERE id = $1",
                       interview["application"])
    return int(rows[0]["person"])


async def _booked(interview_id: int, application: dict, now: datetime,
                  queue: TaskQueue | None, *, sequence: int) -> None:
    view = await queries.interview_view(interview_id)
    await engagement.record(person_id=application["person"], type="interview_scheduled",
                            occurred_at=now, source=f"interview:{interview_id}",
                            payload={"interview": view["title"], "requisition": view["job_title"],
                                     "starts_at": view["starts_at"].isoformat()})
    await _email(interview_id, "interview_invitation", sequence, now, queue, panel=True)


async def _email(interview_id: int, template: str, sequence: int, now: datetime,
                 queue: TaskQueue | None, *, panel: bool) -> None:
    """One email per attendee; the dedupe key holds the sequence, so a re-sent
    invitation is a new email while a retried transaction sends nothing twice."""
    view = await queries.interview_view(interview_id)
    recipients = [(view["person"], view["email"], "candidate")]
    if panel:
        recipients += [(None, member["email"], "panelist") for member in view["panel"]]
    for person_id, address, role in recipients:
        await mail.queue_email(
            person_id=person_id, to=address, template=template,
            context={"interview_id": interview_id, "sequence": sequence, "recipient": role},
            dedupe_key=f"{template}:{interview_id}:{sequence}:{address.lower()}", now=now,
            queue=queue, kind="transactional")


async def _audit(interview_id: int, application_id: int, action: str, by: Staff,
                 now: datetime, detail: dict | None = None) -> None:
    await audit.record(action=action, at=now, actor=by.email,
                       subject=f"interview:{interview_id}",
                       detail={"application": application_id, **(detail or {})})
