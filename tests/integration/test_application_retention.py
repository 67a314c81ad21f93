"""The retention purge of application records for everyone, against the real database:
1 year after the last action (2 with FEDERAL_CONTRACTOR), never a day early, never under
a legal hold, with the CV file only when nothing else uses it; one audit entry per run."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime

import pytest

from domain.compliance import retention
from domain.db import execute, fetch, fetchval
from domain.privacy import service as privacy
from domain.profiles import files
from tests.events_support import person
from tests.integration.test_privacy import apply_for_a_job
from workers.settings import WorkerSettings

LAST_ACTION = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
KEPT = ("SELECT (SELECT count(*) FROM applications) + (SELECT count(*) FROM "
        "stage_transitions) + (SELECT count(*) FROM eeo_self_identifications) + "
        "(SELECT count(*) FROM interviews) + (SELECT count(*) FROM scorecards)")


async def application(email: str, *, last_action: datetime = LAST_ACTION) -> tuple[int, int]:
    pid = await person(email)
    app_id = await apply_for_a_job(pid, email.split("@")[0])
    await execute("UPDATE applications SET applied_at = $2, last_action_at = $3 "
                  "WHERE id = $1", app_id, datetime(2026, 1, 5, tzinfo=UTC), last_action)
    return pid, app_id


async def cv(pid: int, *, current: bool, application_ids: tuple[int, ...] = ()) -> str:
    key = secrets.token_hex(16)
    files.path_of(key).parent.mkdir(parents=True, exist_ok=True)
    files.path_of(key).write_bytes(b"%PDF-1.4 cv")
    cv_id = await fetchval(
        "INSERT INTO cv_files (person, storage_key, display_name, content_type, size_bytes, "
        "sha256, is_current, uploaded_at) VALUES ($1, $2, 'cv.pdf', 'application/pdf', 11, "
        "'x', $3, now()) RETURNING id", pid, key, current)
    for app_id in application_ids:
        await execute("UPDATE applications SET cv_file = $2 WHERE id = $1", app_id, cv_id)
    return key


async def purge(clock, *, federal: bool = False, batch: int = retention.BATCH):
    return await retention.purge_expired_applications(clock=clock, federal_contractor=federal,
                                                       batch=batch)


@pytest.mark.parametrize(("federal", "years"), [(False, 1), (True, 2)])
async def test_records_go_the_day_after_their_retention_ends(clock, federal, years):
    await application("ann@example.com")
    assert await fetchval(KEPT) == 5
    clock.current = datetime(2026 + years, 3, 10, 23, 59, tzinfo=UTC)  # last day kept
    assert (await purge(clock, federal=federal)).applications == 0
    assert await fetchval(KEPT) == 5
    clock.current = datetime(2026 + years, 3, 11, 0, 0, tzinfo=UTC)
    assert (await purge(clock, federal=federal)).applications == 1
    assert await fetchval(KEPT) == 0  # history, self-ID, interviews, scorecards with it
    assert await fetchval("SELECT count(*) FROM people") == 1  # the person is not erased


async def test_a_later_action_restarts_the_period(clock):
    _, app_id = await application("ann@example.com")
    await execute("UPDATE applications SET last_action_at = $2 WHERE id = $1", app_id,
                  datetime(2026, 9, 1, tzinfo=UTC))
    clock.current = datetime(2027, 6, 1, tzinfo=UTC)
    assert (await purge(clock)).applications == 0
    clock.current = datetime(2027, 9, 2, tzinfo=UTC)
    assert (await purge(clock)).applications == 1


async def test_a_legal_hold_keeps_the_records_until_released(clock):
    ann, _ = await application("ann@example.com")
    await application("bob@example.com")
    hold = await privacy.place_legal_hold(person_ref=str(ann), reason="EEOC charge 7",
                                          staff_email="admin@test.local", ip="", clock=clock)
    clock.current = datetime(2030, 1, 1, tzinfo=UTC)
    result = await purge(clock)
    assert (result.applications, result.held) == (1, 1)
    assert await fetchval("SELECT person FROM applications") == ann
    await privacy.release_legal_hold(hold_id=hold, staff_email="admin@test.local", ip="",
                                     clock=clock)
    assert (await purge(clock)).applications == 1
    assert await fetchval("SELECT count(*) FROM applications") == 0


async def test_a_cv_file_goes_only_when_nothing_uses_it(clock):
    ann, ann_app = await application("ann@example.com")
    sent_only = await cv(ann, current=False, application_ids=(ann_app,))
    bob, bob_app = await application("bob@example.com")
    profile_cv = await cv(bob, current=True, application_ids=(bob_app,))
    cid, cid_old = await application("cid@example.com")
    await execute("INSERT INTO requisitions (slug, title, status, created_at, updated_at) "
                  "VALUES ('other-role', 'Other', 'open', now(), now())")
    shared = await cv(cid, current=False, application_ids=(cid_old,))
    recent = await fetchval(
        "INSERT INTO applications (requisition, person, stage, status, answers, applied_at, "
        "stage_entered_at, last_action_at, cv_file) SELECT r.id, $1, a.stage, 'active', $2, "
        "$3, $3, $3, a.cv_file FROM requisitions r, applications a WHERE r.slug = "
        "'other-role' AND a.id = $4 RETURNING id",
        cid, json.dumps({}), datetime(2027, 6, 1, tzinfo=UTC), cid_old)

    clock.current = datetime(2027, 7, 1, tzinfo=UTC)
    result = await purge(clock, batch=2)  # several batches
    assert (result.applications, result.files) == (3, 1)
    assert await fetchval("SELECT array_agg(id) FROM applications") == [recent]
    assert not files.path_of(sent_only).exists()
    assert files.path_of(profile_cv).exists() and files.path_of(shared).exists()
    assert await fetchval("SELECT count(*) FROM cv_files") == 2


async def test_each_run_leaves_one_summary_audit_entry(clock):
    await application("ann@example.com")
    await application("bob@example.com")
    clock.current = datetime(2027, 6, 1, tzinfo=UTC)
    await purge(clock, batch=1)
    await purge(clock)
    entries = await fetch("SELECT actor, action, detail::text AS detail FROM audit_entries "
                          "WHERE action = 'compliance.applications_purged' ORDER BY id")
    assert [json.loads(e["detail"])["applications"] for e in entries] == [2, 0]
    assert {e["actor"] for e in entries} == {"system:retention"}


def test_the_purge_is_a_daily_unique_cron_job():
    names = {task.__name__ for task in WorkerSettings.functions}
    assert "purge_expired_applications" in names
    jobs = [job for job in WorkerSettings.cron_jobs if job.name.endswith(
        "purge_expired_applications")]
    assert len(jobs) == 1 and jobs[0].unique and jobs[0].hour == {3}
