"""Interview reminders (24 h before) and scorecard requests (after the end) from the cron
tasks, exactly once under re-runs and concurrent runs, through the real worker into the
sink; and rescheduling a booked interview by offering new times, whose old time must
leave every calendar."""

import asyncio
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

from icalendar import Calendar

from domain.accounts import service as accounts
from domain.db import fetch, fetchval
from domain.interviews import rules
from domain.interviews import service as interviews
from tests.events_support import person
from tests.jobs_support import create_application, create_requisition
from workers.settings import WorkerSettings
from workers.tasks.interview_reminders import (
    request_interview_scorecards,
    send_interview_reminders,
)

START = datetime(2026, 11, 5, 13, 30, tzinfo=UTC)  # the clock starts 2026-11-02 09:00


async def run(task, clock, queue, times: int = 1) -> int:
    """The cron task body, as arq runs it; `times` runs at once, like several workers."""
    ctx = {"clock": clock, "queue": queue}
    return sum(await asyncio.gather(*(task(ctx) for _ in range(times))))


async def _world(clock) -> dict:
    pat = await accounts.create_user(email="pat@corp.test", full_name="Pat Panel",
                                     roles=["recruiter"], password="a-long-test-password",
                                     clock=clock)
    sam = await accounts.create_user(email="sam@corp.test", full_name="Sam Second",
                                     roles=["hiring_manager"],
                                     password="a-long-test-password", clock=clock)
    requisition = await create_requisition()
    application = await create_application(requisition["id"],
                                           await person("ann@example.com", "Ann Smith"),
                                           "Interview")
    return {"pat": pat, "sam": sam, "application": application}


async def _schedule(w: dict, clock, queue, *, starts_at=START, slots: int = 0) -> int:
    draft = rules.InterviewDraft(
        title="Technical interview", panelists=[w["pat"].id, w["sam"].id],
        duration_minutes=60, time_zone="Europe/Paris", location="Room 4",
        join_url="https://meet.test/room", starts_at=None if slots else starts_at,
        slots=[starts_at + timedelta(days=d) for d in range(slots)])
    return await interviews.schedule(w["application"]["id"], draft, by=w["pat"], clock=clock,
                                     queue=queue)


async def _queued(template: str) -> list[str]:
    rows = await fetch("SELECT to_address FROM outbound_emails WHERE template = $1 "
                       "ORDER BY to_address", template)
    return [row["to_address"] for row in rows]


def test_both_tasks_are_unique_cron_jobs():
    for task in (send_interview_reminders, request_interview_scorecards):
        assert task in WorkerSettings.functions
        jobs = [job for job in WorkerSettings.cron_jobs if job.coroutine is task]
        assert len(jobs) == 1 and jobs[0].unique


async def test_the_reminder_goes_once_to_the_candidate_and_each_panelist(clock, queue, mail,
                                                                        worker_burst):
    w = await _world(clock)
    interview_id = await _schedule(w, clock, queue)
    assert await run(send_interview_reminders, clock, queue) == 0, "three days ahead"
    clock.current = START - timedelta(hours=23, minutes=58)
    assert await run(send_interview_reminders, clock, queue, times=2) == 3
    clock.advance(minutes=5)
    assert await run(send_interview_reminders, clock, queue, times=3) == 0
    assert await _queued("interview_reminder") == ["ann@example.com", "pat@corp.test",
                                                   "sam@corp.test"]
    assert await fetchval("SELECT reminded_at FROM interviews WHERE id = $1",
                          interview_id) == START - timedelta(hours=23, minutes=58)
    await worker_burst()
    (candidate,) = mail.find(to="ann@example.com", subject_contains="Tomorrow")
    assert "Thursday 5 November 2026, 14:30 to 15:30 (Europe/Paris)" in candidate.text_body
    assert "your interview for Backend engineer is coming up" in candidate.text_body
    (panelist,) = mail.find(to="sam@corp.test", subject_contains="Tomorrow")
    assert "on the panel for Ann Smith's interview" in panelist.text_body


async def test_no_reminder_for_proposed_cancelled_late_booked_or_decided_ones(clock, queue):
    w = await _world(clock)
    await _schedule(w, clock, queue, slots=2)  # proposed: the candidate has not chosen
    cancelled = await _schedule(w, clock, queue)
    await interviews.cancel(cancelled, by=w["pat"], clock=clock, queue=queue)
    other = await create_application(
        (await fetch("SELECT requisition FROM applications"))[0]["requisition"],
        await person("bob@example.com", "Bob"), "Interview")
    await _schedule({**w, "application": other}, clock, queue)
    await fetch("UPDATE applications SET status = 'rejected' WHERE id = $1", other["id"])
    clock.current = START - timedelta(hours=10)
    await _schedule(w, clock, queue)  # booked 10 h ahead: the invitation just went
    assert await run(send_interview_reminders, clock, queue) == 0
    clock.current = START - timedelta(minutes=30)  # a cron that was down: too late now
    assert await run(send_interview_reminders, clock, queue) == 0
    assert await _queued("interview_reminder") == []


async def test_a_rescheduled_interview_is_reminded_again_for_its_new_time(clock, queue, mail,
                                                                         worker_burst):
    w = await _world(clock)
    interview_id = await _schedule(w, clock, queue)
    clock.current = START - timedelta(hours=20)
    assert await run(send_interview_reminders, clock, queue) == 3
    new_start = START + timedelta(days=2)
    await interviews.reschedule(interview_id, new_start, "Europe/Paris", by=w["pat"],
                                clock=clock, queue=queue)
    assert await fetchval("SELECT reminded_at FROM interviews WHERE id = $1",
                          interview_id) is None
    await worker_burst()  # the reminder for the old time is stale: not sent
    assert mail.find(to="ann@example.com", subject_contains="Tomorrow") == []
    assert await run(send_interview_reminders, clock, queue) == 0
    clock.current = new_start - timedelta(hours=23)
    assert await run(send_interview_reminders, clock, queue, times=2) == 3
    await worker_burst()
    (reminder,) = mail.find(to="ann@example.com", subject_contains="Tomorrow")
    assert "Saturday 7 November 2026, 14:30" in reminder.text_body


async def test_after_the_end_panelists_without_a_scorecard_are_asked_once(clock, queue, mail,
                                                                          worker_burst):
    w = await _world(clock)
    interview_id = await _schedule(w, clock, queue)
    application_id = w["application"]["id"]
    stage = await fetchval("SELECT stage FROM interviews WHERE id = $1", interview_id)
    await fetch("INSERT INTO scorecards (application, stage, author, status, recommendation, "
                "created_at, submitted_at) VALUES ($1, $2, $3, 'submitted', 'yes', now(), "
                "now())", application_id, stage, w["sam"].id)
    clock.current = START + timedelta(minutes=59)  # still going
    assert await run(request_interview_scorecards, clock, queue) == 0
    clock.current = START + timedelta(hours=1, minutes=3)
    assert await run(request_interview_scorecards, clock, queue, times=2) == 1
    assert await run(request_interview_scorecards, clock, queue) == 0
    row = (await fetch("SELECT status, scorecards_requested_at FROM interviews WHERE id = $1",
                       interview_id))[0]
    assert row["status"] == "completed" and row["scorecards_requested_at"] == clock.now()
    assert await _queued("scorecard_request") == ["pat@corp.test"]
    assert await fetchval("SELECT count(*) FROM audit_entries "
                          "WHERE action = 'interview.completed'") == 1
    await worker_burst()
    (asked,) = mail.find(to="pat@corp.test", subject_contains="Your scorecard")
    assert f"/backoffice/applications/{application_id}/scorecard" in asked.text_body
    assert "Ann Smith" in asked.text_body
    assert mail.find(to="sam@corp.test", subject_contains="Your scorecard") == []
    assert mail.find(to="ann@example.com", subject_contains="scorecard") == []


async def test_cancelled_and_proposed_interviews_are_not_completed(clock, queue):
    w = await _world(clock)
    await _schedule(w, clock, queue, slots=2)
    cancelled = await _schedule(w, clock, queue)
    await interviews.cancel(cancelled, by=w["pat"], clock=clock, queue=queue)
    clock.current = START + timedelta(days=5)
    assert await run(request_interview_scorecards, clock, queue) == 0
    assert sorted(r["status"] for r in await fetch("SELECT status FROM interviews")) == [
        "cancelled", "proposed"]


def _invites(messages) -> list:
    found = []
    for message in messages:
        parsed = message_from_bytes(message.raw, policy=policy.default)
        for part in parsed.walk():
            if part.get_content_type() == "text/calendar":
                calendar = Calendar.from_ical(part.get_payload(decode=True))
                found.append((str(calendar["METHOD"]), calendar.walk("VEVENT")[0]))
    return found


async def test_offering_new_times_removes_the_booked_one_from_every_calendar(
        clock, queue, mail, worker_burst):
    w = await _world(clock)
    interview_id = await _schedule(w, clock, queue, slots=2)
    first = await fetchval("SELECT id FROM interview_slots WHERE interview = $1 "
                           "ORDER BY starts_at LIMIT 1", interview_id)
    await interviews.pick_slot(interview_id, first, clock=clock, queue=queue)
    clock.current = START - timedelta(hours=20)
    assert await run(send_interview_reminders, clock, queue) == 3
    await worker_burst()
    mail.clear()
    new_times = [START + timedelta(days=3), START + timedelta(days=4)]
    await interviews.reoffer(interview_id, new_times, "America/New_York", by=w["pat"],
                             clock=clock, queue=queue)
    row = (await fetch("SELECT * FROM interviews WHERE id = $1", interview_id))[0]
    assert row["status"] == "proposed" and row["starts_at"] is None
    assert row["sequence"] == 1 and row["reminded_at"] is None
    assert [r["starts_at"] for r in await fetch(
        "SELECT starts_at FROM interview_slots WHERE interview = $1 ORDER BY starts_at",
        interview_id)] == new_times
    await worker_burst()
    # Everyone who had the booked time gets a CANCEL for it: same UID, higher SEQUENCE.
    for address in ("ann@example.com", "pat@corp.test", "sam@corp.test"):
        ((method, entry),) = _invites(mail.find(to=address))
        assert method == "CANCEL" and str(entry["STATUS"]) == "CANCELLED"
        assert str(entry["UID"]) == f"interview-{interview_id}@talentloop"
        assert int(entry["SEQUENCE"]) == 1 and entry["DTSTART"].dt == START
    (choose,) = mail.find(to="ann@example.com", subject_contains="Choose a time")
    assert "no longer works" in choose.text_body
    # The old slot cannot be picked any more; a new one books with a higher SEQUENCE.
    assert await run(send_interview_reminders, clock, queue) == 0
    new_slot = await fetchval("SELECT id FROM interview_slots WHERE interview = $1 "
                              "ORDER BY starts_at DESC LIMIT 1", interview_id)
    await interviews.pick_slot(interview_id, new_slot, clock=clock, queue=queue)
    mail.clear()
    await worker_burst()
    for address in ("ann@example.com", "pat@corp.test"):
        ((method, entry),) = _invites(mail.find(to=address))
        assert method == "REQUEST" and int(entry["SEQUENCE"]) == 2
        assert entry["DTSTART"].dt == new_times[1]
        assert str(entry["DTSTART"].dt.tzinfo) == "America/New_York"
