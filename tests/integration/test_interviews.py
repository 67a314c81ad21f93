"""Interview use cases against the real database: scheduling at the application's stage,
the candidate's pick under a race (one wins), reschedule bumping SEQUENCE, cancel, the
timeline and audit entries, and the scorecard average."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from domain.accounts import service as accounts
from domain.db import fetch, fetchval
from domain.errors import Conflict
from domain.interviews import rules, scorecards
from domain.interviews import service as interviews
from tests.events_support import person
from tests.jobs_support import create_application, create_requisition, stages

START = datetime(2026, 11, 10, 13, 30, tzinfo=UTC)


async def setup(clock) -> dict:
    staff = await accounts.create_user(email="rec@corp.test", full_name="Rita Recruiter",
                                       roles=["recruiter"], password="a-long-test-password",
                                       clock=clock)
    requisition = await create_requisition()
    application = await create_application(requisition["id"],
                                           await person("ann@example.com"), stage="Interview")
    return {"staff": staff, "requisition": requisition, "application": application}


def draft(staff_id: int, *, slots: int = 0) -> rules.InterviewDraft:
    offered = [START + timedelta(days=day) for day in range(slots)]
    return rules.InterviewDraft(
        title="Technical interview", panelists=[staff_id], duration_minutes=60,
        time_zone="Europe/Paris", location="Room 4", join_url="https://meet.test/abc",
        starts_at=None if slots else START, slots=offered)


async def test_a_fixed_time_is_scheduled_at_the_current_stage_with_invitations(clock, queue):
    w = await setup(clock)
    interview_id = await interviews.schedule(w["application"]["id"], draft(w["staff"].id),
                                             by=w["staff"], clock=clock, queue=queue)
    row = (await fetch("SELECT * FROM interviews WHERE id = $1", interview_id))[0]
    assert row["status"] == "scheduled" and row["sequence"] == 0
    assert row["stage"] == (await stages(w["requisition"]["id"]))["Interview"]
    assert row["ends_at"] - row["starts_at"] == timedelta(hours=1)
    emails = await fetch("SELECT to_address, kind FROM outbound_emails "
                         "WHERE template = 'interview_invitation' ORDER BY to_address")
    assert [(e["to_address"], e["kind"]) for e in emails] == [
        ("ann@example.com", "transactional"), ("rec@corp.test", "transactional")]
    assert await fetchval("SELECT count(*) FROM engagement_events "
                          "WHERE type = 'interview_scheduled'") == 1
    assert await fetchval("SELECT count(*) FROM audit_entries "
                          "WHERE action = 'interview.scheduled'") == 1


async def test_two_picks_at_once_book_one_slot(clock, queue):
    w = await setup(clock)
    interview_id = await interviews.schedule(w["application"]["id"],
                                             draft(w["staff"].id, slots=3),
                                             by=w["staff"], clock=clock, queue=queue)
    assert await fetchval("SELECT template FROM outbound_emails") == "interview_slots"
    slot_ids = [row["id"] for row in await fetch(
        "SELECT id FROM interview_slots WHERE interview = $1 ORDER BY starts_at",
        interview_id)]
    results = await asyncio.gather(
        *(interviews.pick_slot(interview_id, slot_id, clock=clock, queue=queue)
          for slot_id in slot_ids[:2]), return_exceptions=True)
    assert sum(result is None for result in results) == 1
    assert sum(isinstance(result, Conflict) for result in results) == 1
    row = (await fetch("SELECT status, starts_at FROM interviews WHERE id = $1",
                       interview_id))[0]
    assert row["status"] == "scheduled"
    assert row["starts_at"] in (START, START + timedelta(days=1))
    assert await fetchval("SELECT count(*) FROM outbound_emails "
                          "WHERE template = 'interview_invitation'") == 2  # one booking


async def test_reschedule_bumps_sequence_and_cancel_goes_higher_still(clock, queue):
    w = await setup(clock)
    interview_id = await interviews.schedule(w["application"]["id"], draft(w["staff"].id),
                                             by=w["staff"], clock=clock, queue=queue)
    await interviews.reschedule(interview_id, START + timedelta(days=2), "America/New_York",
                                by=w["staff"], clock=clock, queue=queue)
    row = (await fetch("SELECT * FROM interviews WHERE id = $1", interview_id))[0]
    assert row["sequence"] == 1 and row["time_zone"] == "America/New_York"
    assert row["ends_at"] == START + timedelta(days=2, hours=1)
    sequences = await fetch("SELECT DISTINCT (context->>'sequence')::int AS s "
                            "FROM outbound_emails WHERE template = 'interview_invitation' "
                            "ORDER BY s")
    assert [r["s"] for r in sequences] == [0, 1]
    await interviews.cancel(interview_id, by=w["staff"], clock=clock, queue=queue)
    assert await fetchval("SELECT sequence FROM interviews WHERE id = $1", interview_id) == 2
    assert await fetchval("SELECT count(*) FROM outbound_emails "
                          "WHERE template = 'interview_cancelled'") == 2
    assert await fetchval("SELECT count(*) FROM engagement_events "
                          "WHERE type = 'interview_cancelled'") == 1
    with pytest.raises(Conflict):
        await interviews.cancel(interview_id, by=w["staff"], clock=clock, queue=queue)
    with pytest.raises(Conflict):
        await interviews.pick_slot(interview_id, 1, clock=clock, queue=queue)


async def test_the_average_counts_submitted_scorecards_only(clock):
    w = await setup(clock)
    other = await accounts.create_user(email="hm@corp.test", full_name="Hal", roles=[
        "hiring_manager"], password="a-long-test-password", clock=clock)
    await fetch("UPDATE requisition_stages SET scorecard_attributes = ARRAY['Python', 'SQL'] "
                "WHERE requisition = $1", w["requisition"]["id"])
    application_id = w["application"]["id"]
    submitted = rules.ScorecardDraft(ratings={"Python": (4, ""), "SQL": (3, "")},
                                     recommendation="yes", notes="", submit=True)
    draft_only = rules.ScorecardDraft(ratings={"Python": (1, "")}, recommendation="",
                                      notes="", submit=False)
    assert await scorecards.save(application_id, submitted, by=w["staff"],
                                 clock=clock) == "submitted"
    await scorecards.save(application_id, draft_only, by=other, clock=clock)
    assert await scorecards.average(application_id) == 3.5
    with pytest.raises(Conflict):
        await scorecards.save(application_id, submitted, by=w["staff"], clock=clock)
