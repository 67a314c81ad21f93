"""Nurture sequences against the real database: the set-based scheduler runs every
step type, conditions read the send rollups, waits roll into the weekday window,
guards keep people out, exit rules end or pause, replies pause, versions and migration,
event-driven entry and the silver-medalist hook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.campaigns import dispatch
from domain.db import execute, fetch, fetchval
from domain.ports import SystemClock
from domain.sequences import enrolment, scheduler, service
from tests.events_support import person
from tests.sequences_support import (
    PURPOSE,
    SCOPE,
    consenting,
    draft,
    email,
    enrollment,
    live_sequence,
)

pytestmark = pytest.mark.usefixtures("clean_state")

NURTURE = [
    email("hello", "pause"),
    {"key": "pause", "type": "wait", "amount": 2, "unit": "days", "window": "",
     "next": "check"},
    {"key": "check", "type": "condition", "test": "opened", "step": "hello",
     "then": "tag", "else": "call"},
    {"key": "tag", "type": "tag", "tag": "Engaged nurture", "next": "done"},
    {"key": "call", "type": "task", "kind": "call", "title": "Call about the email",
     "assignee": "", "due_days": 3, "next": "done"},
    {"key": "done", "type": "end"},
]


async def runs(enrollment_id: int) -> list[tuple[str, str]]:
    rows = await fetch("SELECT step_key, outcome FROM sequence_step_runs WHERE enrollment = $1 "
                       "ORDER BY id", enrollment_id)
    return [(r["step_key"], r["outcome"]) for r in rows]


async def test_scheduler_runs_email_wait_condition_and_both_branches(clock):
    sequence_id = await live_sequence(NURTURE, clock)
    ann, bob = await consenting("ann@example.com", clock), await consenting("bob@ex.com", clock)
    assert sorted(await enrolment.enrol(sequence_id, [ann, bob], reason="test",
                                        now=clock.now())) == sorted([ann, bob])
    assert await scheduler.tick(now=clock.now()) == 4  # email + wait, each
    sends = await fetch("SELECT id, person, state, step_key FROM marketing_sends ORDER BY person")
    assert [(s["person"], s["state"], s["step_key"]) for s in sends] == [
        (ann, "queued", "hello"), (bob, "queued", "hello")]
    ann_row = await enrollment(sequence_id, ann)
    assert ann_row["step_key"] == "check"
    assert ann_row["due_at"] == clock.now() + timedelta(days=2)
    # Not due yet: nothing runs.
    clock.advance(days=1)
    assert await scheduler.tick(now=clock.now()) == 0
    await execute("UPDATE marketing_sends SET state = 'sent', opened_at = $2 WHERE person = $1",
                  ann, clock.now())
    clock.advance(days=1)
    assert await scheduler.tick(now=clock.now()) == 6  # condition, then tag|task, end
    assert await runs(ann_row["id"]) == [
        ("hello", "email queued"), ("pause", "waited 2 days"), ("check", "went to tag"),
        ("tag", "tagged Engaged nurture"), ("done", "completed")]
    assert await fetchval("SELECT tag FROM person_tags WHERE person = $1", ann) == \
        "Engaged nurture"
    tasks = await fetch("SELECT person, kind, assignee, due_at FROM recruiter_tasks")
    assert [(t["person"], t["kind"], t["assignee"]) for t in tasks] == [
        (bob, "call", "owner@corp.test")]
    assert tasks[0]["due_at"] == clock.now() + timedelta(days=3)
    assert {r["state"] for r in await fetch("SELECT state FROM sequence_enrollments")} == \
        {"completed"}
    # A second tick (a cron re-run) does nothing again.
    assert await scheduler.tick(now=clock.now()) == 0
    assert await fetchval("SELECT count(*) FROM marketing_sends") == 2
    assert await fetchval("SELECT count(*) FROM engagement_events "
                          "WHERE type = 'sequence_completed'") == 2


async def test_branch_on_engagement_band(clock):
    steps = [{"key": "split", "type": "branch",
              "cases": [{"test": "band", "band": "hot", "next": "hot"},
                        {"test": "applied", "next": "done"}], "default": "cool"},
             {"key": "hot", "type": "tag", "tag": "hot lead", "next": "done"},
             {"key": "cool", "type": "tag", "tag": "cool lead", "next": "done"},
             {"key": "done", "type": "end"}]
    sequence_id = await live_sequence(steps, clock)
    ann, bob = await consenting("ann@example.com", clock), await consenting("bob@ex.com", clock)
    await execute("INSERT INTO engagement_scores (person, score, band, computed_at) "
                  "VALUES ($1, 80, 'hot', $2)", ann, clock.now())
    await enrolment.enrol(sequence_id, [ann, bob], reason="test", now=clock.now())
    await scheduler.tick(now=clock.now())
    tagged = await fetch("SELECT person, tag FROM person_tags ORDER BY person")
    assert [(t["person"], t["tag"]) for t in tagged] == [(ann, "hot lead"), (bob, "cool lead")]


async def test_wait_rolls_into_weekdays_nine_to_five_in_the_persons_zone(clock):
    steps = [{"key": "w", "type": "wait", "amount": 1, "unit": "days",
              "window": "weekdays_9_17", "next": "done"}, {"key": "done", "type": "end"}]
    sequence_id = await live_sequence(steps, clock)
    ann, bob = await consenting("ann@example.com", clock), await consenting("bob@ex.com", clock)
    await execute("INSERT INTO profiles (person, time_zone) VALUES ($1, 'Europe/Paris')", ann)
    paris = ZoneInfo("Europe/Paris")
    # Thursday 20:00 in Paris: a day later is Friday 20:00, past 17:00 → Monday 9:00.
    clock.current = datetime(2026, 11, 5, 20, 0, tzinfo=paris).astimezone(UTC)
    await enrolment.enrol(sequence_id, [ann, bob], reason="test", now=clock.now())
    await scheduler.tick(now=clock.now())
    due = (await enrollment(sequence_id, ann))["due_at"]
    assert due == datetime(2026, 11, 9, 9, 0, tzinfo=paris)
    # Bob has no zone: UTC. Thursday 19:00 UTC + 1 day = Friday 19:00 → Monday 9:00 UTC.
    assert (await enrollment(sequence_id, bob))["due_at"] == datetime(2026, 11, 9, 9, 0,
                                                                       tzinfo=UTC)


async def test_enrolment_guards(clock):
    steps = [{"key": "done", "type": "end"}]
    first = await live_sequence(steps, clock, name="First")
    second = await live_sequence(steps, clock, name="Second")
    overlapping = await live_sequence(steps, clock, name="Overlap", allow_overlap=True)
    ann = await consenting("ann@example.com", clock)
    nobody = await person("no-consent@example.com")
    assert await enrolment.enrol(first, [ann, nobody], reason="t", now=clock.now()) == [ann]
    assert await enrolment.enrol(first, [ann], reason="t", now=clock.now()) == [], \
        "already open in it"
    assert await enrolment.enrol(second, [ann], reason="t", now=clock.now()) == [], \
        "one active sequence per person"
    assert await enrolment.enrol(overlapping, [ann], reason="t", now=clock.now()) == [ann]
    await service.set_state(second, "pause", by="x", now=clock.now())
    bob = await consenting("bob@example.com", clock)
    assert await enrolment.enrol(second, [bob], reason="t", now=clock.now()) == [], \
        "a paused sequence takes nobody"


async def test_active_application_keeps_people_out_unless_allowed(clock):
    from tests.jobs_support import create_requisition
    requisition = await create_requisition()
    ann = await consenting("ann@example.com", clock)
    stage = await fetchval("SELECT id FROM requisition_stages WHERE requisition = $1 "
                           "ORDER BY position LIMIT 1", requisition["id"])
    await execute("INSERT INTO applications (requisition, person, stage, status, applied_at, "
                  "last_action_at) VALUES ($1, $2, $3, 'active', $4, $4)",
                  requisition["id"], ann, stage, clock.now())
    strict = await live_sequence([{"key": "done", "type": "end"}], clock, name="Strict")
    lenient = await live_sequence([{"key": "done", "type": "end"}], clock, name="Lenient",
                                  allow_during_application=True)
    assert await enrolment.enrol(strict, [ann], reason="t", now=clock.now()) == []
    assert await enrolment.enrol(lenient, [ann], reason="t", now=clock.now()) == [ann]


async def test_exit_rules_end_or_pause_before_the_step_runs(clock):
    steps = [{"key": "w", "type": "wait", "amount": 1, "unit": "days", "window": "",
              "next": "mail"}, email("mail", "done"), {"key": "done", "type": "end"}]
    sequence_id = await live_sequence(steps, clock)
    ann, bob = await consenting("ann@example.com", clock), await consenting("bob@ex.com", clock)
    await enrolment.enrol(sequence_id, [ann, bob], reason="t", now=clock.now())
    await scheduler.tick(now=clock.now())
    text = await fetchval("SELECT id FROM consent_texts ORDER BY id LIMIT 1")
    from domain.consent import service as consent
    clock.advance(hours=1)
    await consent.record(person_id=ann, purpose=PURPOSE, scope=SCOPE, text_id=text,
                         action="withdrawn", method="preferences", at=clock.now())
    clock.advance(days=1)
    await scheduler.tick(now=clock.now())
    ann_row = await enrollment(sequence_id, ann)
    assert (ann_row["state"], ann_row["exit_reason"]) == ("exited", "unsubscribed")
    assert await fetchval("SELECT count(*) FROM marketing_sends WHERE person = $1", ann) == 0
    assert (await enrollment(sequence_id, bob))["state"] == "completed"


async def test_reply_pauses_and_a_recruiter_resumes(clock):
    steps = [email("mail", "w"), {"key": "w", "type": "wait", "amount": 1, "unit": "weeks",
                                  "window": "", "next": "done"}, {"key": "done", "type": "end"}]
    sequence_id = await live_sequence(steps, clock)
    ann = await consenting("ann@example.com", clock)
    await enrolment.enrol(sequence_id, [ann], reason="t", now=clock.now())
    await scheduler.tick(now=clock.now())
    send_id = await fetchval("SELECT id FROM marketing_sends")
    assert await service.pause_for_reply(ann, send_id=send_id, at=clock.now()) == 1
    row = await enrollment(sequence_id, ann)
    assert (row["state"], row["paused_reason"]) == ("paused", "replied")
    assert await service.pause_for_reply(ann, send_id=send_id, at=clock.now()) == 0
    await execute("UPDATE marketing_sends SET replied_at = $1", clock.now())
    await service.change_enrollment(row["id"], "resume", by="rec@corp.test", now=clock.now())
    clock.advance(weeks=1)
    await scheduler.tick(now=clock.now())
    assert (await enrollment(sequence_id, ann))["state"] == "completed", \
        "a resumed enrolment is not paused again by the reply it was resumed after"
    actions = await fetch("SELECT action FROM audit_entries WHERE action LIKE 'sequence.%' "
                          "ORDER BY id")
    assert [a["action"] for a in actions][-2:] == ["sequence.enrollment_paused",
                                                   "sequence.enrollment_resumed"]


async def test_scheduler_pauses_on_a_reply_rollup_and_exits_on_applying(clock):
    steps = [email("mail", "w"), {"key": "w", "type": "wait", "amount": 1, "unit": "days",
                                  "window": "", "next": "done"}, {"key": "done", "type": "end"}]
    sequence_id = await live_sequence(steps, clock)
    ann, bob = await consenting("ann@example.com", clock), await consenting("bob@ex.com", clock)
    await enrolment.enrol(sequence_id, [ann, bob], reason="t", now=clock.now())
    await scheduler.tick(now=clock.now())
    await execute("UPDATE marketing_sends SET replied_at = $2 WHERE person = $1", ann,
                  clock.now())
    from tests.jobs_support import create_requisition
    requisition = await create_requisition()
    stage = await fetchval("SELECT id FROM requisition_stages WHERE requisition = $1 "
                           "ORDER BY position LIMIT 1", requisition["id"])
    clock.advance(hours=2)
    await execute("INSERT INTO applications (requisition, person, stage, status, applied_at, "
                  "last_action_at) VALUES ($1, $2, $3, 'active', $4, $4)",
                  requisition["id"], bob, stage, clock.now())
    clock.advance(days=1)
    await scheduler.tick(now=clock.now())
    assert (await enrollment(sequence_id, ann))["state"] == "paused"
    bob_row = await enrollment(sequence_id, bob)
    assert (bob_row["state"], bob_row["exit_reason"]) == ("exited", "applied")


async def test_editing_a_live_sequence_makes_a_version_and_migration_moves_people(clock):
    steps = [{"key": "a", "type": "wait", "amount": 1, "unit": "days", "window": "",
              "next": "b"}, {"key": "b", "type": "tag", "tag": "old", "next": "c"},
             {"key": "c", "type": "end"}]
    sequence_id = await live_sequence(steps, clock)
    ann = await consenting("ann@example.com", clock)
    await service.update(sequence_id, draft(steps), by="rec@corp.test", now=clock.now())
    assert await fetchval("SELECT count(*) FROM sequence_versions") == 1, \
        "nobody enrolled yet: changed in place"
    await enrolment.enrol(sequence_id, [ann], reason="t", now=clock.now())
    await scheduler.tick(now=clock.now())
    new_steps = [dict(steps[0]), {"key": "b", "type": "tag", "tag": "new", "next": "c"},
                 {"key": "c", "type": "end"}]
    assert await service.update(sequence_id, draft(new_steps), by="rec@corp.test",
                                now=clock.now()) == 2
    assert (await enrollment(sequence_id, ann))["version"] == 1
    assert await service.migrate_enrolled(sequence_id, by="rec@corp.test",
                                          now=clock.now()) == 1
    assert (await enrollment(sequence_id, ann))["version"] == 2
    clock.advance(days=1)
    await scheduler.tick(now=clock.now())
    assert await fetchval("SELECT tag FROM person_tags WHERE person = $1", ann) == "new"


async def test_entry_scan_enrols_from_events_and_tags_once(clock):
    steps = [{"key": "w", "type": "wait", "amount": 1, "unit": "months", "window": "",
              "next": "done"}, {"key": "done", "type": "end"}]
    joined = await live_sequence(steps, clock, name="Joined", entry_rules=[
        {"kind": "community_joined", "community": SCOPE}])
    tagged = await live_sequence(steps, clock, name="Tagged", allow_overlap=True,
                                 entry_rules=[{"kind": "tagged", "tag": "Relocating"}])
    ann, bob = await consenting("ann@example.com", clock), await consenting("bob@ex.com", clock)
    carol = await consenting("carol@example.com", clock)
    await execute("INSERT INTO engagement_events (person, type, occurred_at, source, payload) "
                  "VALUES ($1, 'community_joined', $2, 'portal', "
                  "'{\"community\": \"engineering\"}')", carol, clock.now())
    await enrolment.scan_entries(now=clock.now())
    assert await enrollment(joined, carol) == {}, "history before the first scan is not read"
    await execute("INSERT INTO engagement_events (person, type, occurred_at, source, payload) "
                  "VALUES ($1, 'community_joined', $2, 'portal', "
                  "'{\"community\": \"engineering\"}'),"
                  " ($3, 'community_joined', $2, 'portal', '{\"community\": \"sales\"}')",
                  ann, clock.now(), bob)
    from domain.people import tags
    await tags.add_tags([bob], ["relocating"], by="x", at=clock.now())
    assert await enrolment.scan_entries(now=clock.now()) == 2
    assert (await enrollment(joined, ann))["entry_reason"] == "Joined a community: engineering"
    assert await enrollment(joined, bob) == {}
    assert (await enrollment(tagged, bob))["state"] == "active"
    await service.change_enrollment((await enrollment(joined, ann))["id"], "exit", by="x",
                                    now=clock.now())
    await execute("INSERT INTO engagement_events (person, type, occurred_at, source, payload) "
                  "VALUES ($1, 'community_joined', $2, 'portal', "
                  "'{\"community\": \"engineering\"}')",
                  ann, clock.now())
    assert await enrolment.scan_entries(now=clock.now()) == 0, \
        "an automatic entry never re-enrols someone who was in the sequence"


async def test_silver_medalist_rejection_enrols(clock):
    from domain.accounts import service as accounts
    from domain.pipeline import silver
    from tests.jobs_support import create_requisition
    from tests.silver_support import applicant
    staff = await accounts.create_user(email="rec@corp.test", full_name="Rita Recruiter",
                                       roles=["recruiter"], password="a-long-test-password",
                                       clock=clock)
    requisition = await create_requisition()
    reason = int(await fetchval("SELECT id FROM rejection_reasons WHERE by = 'company' "
                                "AND is_active ORDER BY id LIMIT 1"))
    sequence_id = await live_sequence([{"key": "done", "type": "end"}], clock, entry_rules=[
        {"kind": "silver_medalist", "job_function": ""}], allow_during_application=True)
    application = await applicant(requisition["id"], "ann@example.com", "Ann Smith",
                                  stage="Final interview", ratings=[3, 4, 3, 4],
                                  author=staff.id)
    ann = await fetchval("SELECT person FROM applications WHERE id = $1", application)
    text = await fetchval("SELECT id FROM consent_texts ORDER BY id LIMIT 1")
    from domain.consent import service as consent
    await consent.record(person_id=ann, purpose=PURPOSE, scope=SCOPE, text_id=text,
                         action="given", method="double_opt_in", at=clock.now())
    await silver.reject_one(application, reason, ticked=[application], by="rec@corp.test",
                            clock=clock)
    row = await enrollment(sequence_id, ann)
    assert (row["state"], row["entry_reason"]) == ("active", "silver medalist")


async def test_archiving_ends_open_enrolments(clock):
    sequence_id = await live_sequence([{"key": "w", "type": "wait", "amount": 1,
                                        "unit": "days", "window": "", "next": "done"},
                                       {"key": "done", "type": "end"}], clock)
    ann = await consenting("ann@example.com", clock)
    await enrolment.enrol(sequence_id, [ann], reason="t", now=clock.now())
    await service.set_state(sequence_id, "archive", by="rec@corp.test", now=clock.now())
    row = await enrollment(sequence_id, ann)
    assert (row["state"], row["exit_reason"]) == ("exited", "sequence archived")


async def test_pool_stage_step_adds_and_moves_and_is_checked_when_saved(clock):
    from domain.errors import Invalid
    pool = await fetchval(
        "INSERT INTO talent_pools (name, kind, visibility, stages, created_at, updated_at) "
        "VALUES ('Nurtured', 'static', 'shared', ARRAY['interested', 'contacted'], $1, $1) "
        "RETURNING id", clock.now())
    steps = [{"key": "move", "type": "pool_stage", "pool_id": pool, "stage": "contacted",
              "next": "done"}, {"key": "done", "type": "end"}]
    with pytest.raises(Invalid) as refused:
        await service.create(draft([{**steps[0], "stage": "hired"}, steps[1]]),
                             by="x", now=clock.now())
    assert "stages" in refused.value.errors["steps-0"]
    sequence_id = await live_sequence(steps, clock)
    ann, bob = await consenting("ann@example.com", clock), await consenting("bob@ex.com", clock)
    await execute("INSERT INTO pool_members (pool, person, stage, source, added_by, added_at, "
                  "stage_changed_at) VALUES ($1, $2, 'interested', 'test', 'x', $3, $3)",
                  pool, bob, clock.now())
    await enrolment.enrol(sequence_id, [ann, bob], reason="t", now=clock.now())
    await scheduler.tick(now=clock.now())
    members = await fetch("SELECT person, stage FROM pool_members ORDER BY person")
    assert [(m["person"], m["stage"]) for m in members] == [(ann, "contacted"),
                                                            (bob, "contacted")]


async def test_a_sequence_batch_waiting_its_turn_is_queued_once(queue, worker_burst, mail):
    clock = SystemClock()
    sequence_id = await live_sequence([email("hello", "done"), {"key": "done", "type": "end"}],
                                      clock)
    people = [await consenting(f"wait{i}@example.com", clock) for i in range(3)]
    await enrolment.enrol(sequence_id, people, reason="test", now=clock.now())
    await scheduler.tick(now=clock.now())
    # Ticks a minute apart: each minute's job ids are new, yet the rows are the first job's.
    for minute in range(3):
        await dispatch.enqueue_sequence_batches(queue, now=clock.now() + timedelta(minutes=minute))
    jobs = [job for job in await queue.pool.queued_jobs()
            if job.function == "send_sequence_batch"]
    assert len(jobs) == 1

    await worker_burst()
    assert mail.count() == 3
    assert await fetchval("SELECT count(*) FROM marketing_sends WHERE state = 'sent'") == 3
    assert await queue.waiting("sequence-batch:") == set()
