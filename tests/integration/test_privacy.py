"""Data-subject requests against the real database: export, erasure, retention, holds."""

import hashlib
import json
import secrets
import stat
import uuid
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.consent import service as consent
from domain.consent.rules import COMMUNITY_EMAILS
from domain.db import execute, fetch, fetchval
from domain.engagement import service as engagement
from domain.errors import Invalid, NotFound
from domain.people import service as people
from domain.privacy import export, registry, suppression
from domain.privacy import service as privacy
from domain.privacy.registry import Files, Retained, owner_condition, personal_tables
from domain.tokens import service as tokens
from domain.tokens.signer import Purpose
from settings import get_settings


@pytest.fixture(autouse=True)
def no_archives_left_over():
    """VAR_DIR lives for the whole run; each test here starts with no archives on disk."""
    for path in export.exports_dir().iterdir():
        path.unlink()


def cv_dir():
    path = get_settings().var_dir / "uploads" / "cv"
    path.mkdir(parents=True, exist_ok=True)
    return path


async def _register_for_an_event(pid: int, now) -> None:
    await execute(
        "INSERT INTO events (slug, title, starts_at, ends_at, status, created_at) "
        "VALUES ('privacy-meetup', 'Meetup', $1, $1, 'published', $1) "
        "ON CONFLICT (slug) DO NOTHING", now)
    await execute(
        "INSERT INTO event_registrations (event, person, status, created_at, updated_at) "
        "SELECT id, $1, 'registered', $2, $2 FROM events WHERE slug = 'privacy-meetup'",
        pid, now)


async def populate(email: str, marker: str, community: dict, clock) -> int:
    """A person with at least one row in every personal table, each carrying `marker`."""
    now = clock.now()
    person = await people.find_or_create(email=email, full_name=f"{marker} Person",
                                         source="test", now=now)
    pid = person["id"]
    text = await consent.current_text(COMMUNITY_EMAILS)
    await execute(
        "INSERT INTO community_memberships (person, community, status, interests, requested_at) "
        "VALUES ($1, $2, 'confirmed', ARRAY['backend'], $3) ON CONFLICT DO NOTHING",
        pid, community["id"], now)
    await consent.record(person_id=pid, purpose=COMMUNITY_EMAILS, scope=community["slug"],
                         text_id=text["id"], action="given", method="double_opt_in", at=now,
                         ip="198.51.100.1", user_agent=f"agent-{marker}")
    await execute(
        "INSERT INTO contact_preferences (person, cadence, channels, updated_at) "
        "VALUES ($1, 'monthly', ARRAY['email'], $2) ON CONFLICT DO NOTHING", pid, now)
    await execute(
        "INSERT INTO profiles (person, headline, city, country, links, skills, updated_at) "
        "VALUES ($1, $2, 'Lisbon', 'PT', $3::jsonb, ARRAY['python'], $4) "
        "ON CONFLICT DO NOTHING",
        pid, f"headline-{marker}", json.dumps([{"url": f"https://{marker}.example"}]), now)
    content = f"%PDF-1.4 cv-of-{marker}".encode()
    key = secrets.token_hex(16)
    (cv_dir() / key).write_bytes(content)
    await execute(
        "INSERT INTO cv_files (person, storage_key, display_name, content_type, size_bytes, "
        "sha256, is_current, uploaded_at, note) VALUES ($1, $2, $3, 'application/pdf', $4, $5, "
        "true, $6, $7)",
        pid, key, f"{marker}-cv.pdf", len(content), hashlib.sha256(content).hexdigest(), now,
        f"note-{marker}")
    await engagement.record(person_id=pid, type="content_viewed", occurred_at=now,
                            source="portal", payload={"marker": marker})
    await execute(
        "INSERT INTO outbound_emails (person, to_address, template, context, state, dedupe_key, "
        "subject, created_at, sent_at) VALUES ($1, $2, 'community_confirm', '{}'::jsonb, "
        "'sent', $3, $4, $5, $5)", pid, email, f"k-{marker}", f"subject-{marker}", now)
    await execute(
        "INSERT INTO social_identities (person, provider, issuer, subject, email, created_at) "
        "VALUES ($1, 'github', 'https://github.com', $2, $3, $4)", pid, f"sub-{marker}", email,
        now)
    await execute(
        "INSERT INTO candidate_logins (person, session_epoch, created_at, last_sign_in_at) "
        "VALUES ($1, 0, $2, $2) ON CONFLICT DO NOTHING", pid, now)
    await _register_for_an_event(pid, now)
    await _earlier_export(pid, now)
    await _crm_lists(pid, marker, now)
    await _nurture(pid, marker, now)
    await _marketing(pid, marker, now)
    await tokens.issue(purpose=Purpose.MAGIC_LINK, subject=f"person:{pid}", clock=clock)
    return pid


async def apply_for_a_job(pid: int, marker: str) -> int:
    """A job application with its history and self-identification, each carrying `marker`.
    Not part of `populate`: an application is a record kept after erasure, which changes
    what erasing such a person does (tested on its own)."""
    from tests.jobs_support import create_application, create_requisition

    requisition = await fetchval("SELECT id FROM requisitions WHERE slug = 'privacy-role'")
    if requisition is None:
        requisition = (await create_requisition("privacy-role", title="Privacy role"))["id"]
    application = await create_application(requisition, pid)
    await execute("UPDATE applications SET answers = $2::jsonb WHERE id = $1",
                  application["id"], json.dumps({"q1": f"answer-{marker}"}))
    await execute("INSERT INTO eeo_self_identifications (application, gender, created_at) "
                  "VALUES ($1, $2, now())", application["id"], f"gender-{marker}")
    await _interview_and_scorecard(application, marker)
    await execute("INSERT INTO availability_requests (application, stage, status, time_zone, "
                  "windows, note, requested_by, requested_at) VALUES ($1, $2, 'submitted', "
                  "'Europe/Lisbon', '[]'::jsonb, $3, 'interviewer@test.local', now())",
                  application["id"], application["stage"], f"availability-{marker}")
    return int(application["id"])


async def _crm_lists(pid: int, marker: str, now: datetime) -> None:
    """Tags, a pool place, an engagement score, and a duplicate pair merged into them (the
    other record is someone else's row and is not exported)."""
    await execute("UPDATE people SET phone = $2, linkedin = $3 WHERE id = $1", pid,
                  "+351210000000", f"linkedin.com/in/{marker}")
    await execute("INSERT INTO person_tags (person, tag, added_by, added_at) "
                  "VALUES ($1, $2, 'staff@test.local', $3)", pid, f"tag-{marker}", now)
    pool = await fetchval(
        "INSERT INTO talent_pools (name, created_at, updated_at) VALUES ('Privacy pool', $1, $1) "
        "ON CONFLICT (name) DO UPDATE SET updated_at = EXCLUDED.updated_at RETURNING id", now)
    await execute("INSERT INTO pool_members (pool, person, stage, source, note, added_by, "
                  "added_at, stage_changed_at) VALUES ($1, $2, 'lead', 'manual', $3, "
                  "'staff@test.local', $4, $4)", pool, pid, f"pool-note-{marker}", now)
    await execute("INSERT INTO engagement_scores (person, score, band, last_engaged_at, "
                  "computed_at) VALUES ($1, 40, 'warm', $2, $2)", pid, now)
    audience = await fetchval(
        "INSERT INTO segment_audiences (key, definition, time_relative, member_count, problem, "
        "created_at) VALUES ('privacy-test', '{}'::jsonb, false, 0, '', $1) "
        "ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key RETURNING id", now)
    await execute("INSERT INTO segment_audience_members (audience, person) VALUES ($1, $2)",
                  audience, pid)
    await execute("INSERT INTO webhook_events (event_id, type, person, payload, occurred_at) "
                  "VALUES ($1, 'person.created', $2, $3::jsonb, $4)", str(uuid.uuid4()), pid,
                  json.dumps({"person": {"id": pid, "marker": marker}}), now)
    twin = await fetchval("INSERT INTO people (email, full_name, source, merged_into, "
                          "created_at, updated_at) VALUES ($1, 'Twin', 'test', $2, $3, $3) "
                          "RETURNING id", f"twin-{secrets.token_hex(4)}@example.com", pid, now)
    await execute("INSERT INTO duplicate_hints (person, other, reason, status, found_at) "
                  "VALUES ($1, $2, 'phone', 'merged', $3)", pid, twin, now)
    await execute("INSERT INTO person_merges (kept, merged, moved, status, merged_by, merged_at) "
                  "VALUES ($1, $2, '{}'::jsonb, 'done', 'staff@test.local', $3)", pid, twin, now)


async def _interview_and_scorecard(application: dict, marker: str) -> None:
    interviewer = await fetchval(
        "INSERT INTO staff_users (email, full_name, roles, is_active, created_at) "
        "VALUES ($1, 'Ivy Interviewer', ARRAY['recruiter'], true, now()) "
        "ON CONFLICT (email) DO UPDATE SET full_name = EXCLUDED.full_name RETURNING id",
        "interviewer@test.local")
    interview = await fetchval(
        "INSERT INTO interviews (application, stage, title, status, location, created_by, "
        "created_at, updated_at) VALUES ($1, $2, $3, 'proposed', 'Room 1', "
        "'interviewer@test.local', now(), now()) RETURNING id",
        application["id"], application["stage"], f"interview-{marker}")
    await execute("INSERT INTO interview_slots (interview, starts_at, ends_at) "
                  "VALUES ($1, now(), now() + interval '1 hour')", interview)
    scorecard = await fetchval(
        "INSERT INTO scorecards (application, stage, author, status, recommendation, notes, "
        "created_at) VALUES ($1, $2, $3, 'submitted', 'yes', $4, now()) RETURNING id",
        application["id"], application["stage"], interviewer, f"notes-{marker}")
    await execute("INSERT INTO scorecard_ratings (scorecard, attribute, rating, note) "
                  "VALUES ($1, 'Python', 3, $2)", scorecard, f"rating-{marker}")
    await execute("INSERT INTO offers (application, status, title, letter, created_by, "
                  "created_at, updated_at) VALUES ($1, 'draft', 'Offer', $2, "
                  "'interviewer@test.local', now(), now())", application["id"],
                  f"letter-{marker}")


async def _nurture(pid: int, marker: str, now: datetime) -> None:
    """An enrolment in a nurture sequence with a step run, and a recruiter task."""
    sequence = await fetchval(
        "INSERT INTO sequences (name, purpose, created_at, updated_at) "
        "VALUES ($1, 'community_emails', $2, $2) RETURNING id", f"nurture-{marker}", now)
    enrollment = await fetchval(
        "INSERT INTO sequence_enrollments (sequence, version, person, step_key, entered_at, "
        "entry_reason, updated_at) VALUES ($1, 1, $2, 's1', $3, $4, $3) RETURNING id",
        sequence, pid, now, f"entry-{marker}")
    await execute("INSERT INTO sequence_step_runs (enrollment, step_key, outcome, ran_at) "
                  "VALUES ($1, 's0', $2, $3)", enrollment, f"outcome-{marker}", now)
    await execute("INSERT INTO recruiter_tasks (person, kind, title, enrollment, created_at) "
                  "VALUES ($1, 'call', $2, $3, $4)", pid, f"task-{marker}", enrollment, now)


async def _marketing(pid: int, marker: str, now: datetime) -> None:
    """A campaign email with an open and a click, and a reply to it."""
    campaign = await fetchval(
        "INSERT INTO campaigns (name, purpose, created_at, updated_at) "
        "VALUES ($1, 'community_emails', $2, $2) RETURNING id", f"campaign-{marker}", now)
    send = await fetchval(
        "INSERT INTO marketing_sends (campaign, person, state, created_at, sent_at, "
        "message_id, reply_token) VALUES ($1, $2, 'sent', $3, $3, $4, $5) RETURNING id",
        campaign, pid, now, f"<{marker}@acme.example>", f"reply-{marker}")
    await execute("INSERT INTO campaign_csv_people (campaign, person) VALUES ($1, $2)",
                  campaign, pid)
    await execute("INSERT INTO tracking_events (send, kind, flag, occurred_at, hit_id) "
                  "VALUES ($1, 'open', '', $2, $3)", send, now, f"hit-{marker}")
    await execute(
        "INSERT INTO inbound_messages (kind, send, person, source, from_address, subject, "
        "body_text, message_id, received_at) VALUES ('reply', $1, $2, 'smtp', $3, $4, $5, "
        "$6, $7)", send, pid, f"{marker}@example.com", f"Re: {marker}", f"reply-{marker}",
        f"<r-{marker}@example.com>", now)


async def _earlier_export(pid: int, now: datetime) -> None:
    """A finished, expired export from last month, so every personal table has a row."""
    then = now - timedelta(days=40)
    request_id = await fetchval(
        "INSERT INTO data_requests (person, kind, status, received_at, due_at, completed_at) "
        "VALUES ($1, 'export', 'completed', $2, $3, $2) RETURNING id", pid, then,
        then + timedelta(days=30))
    await execute(
        "INSERT INTO data_exports (request, person, storage_key, size_bytes, created_at, "
        "expires_at) VALUES ($1, $2, $3, 10, $4, $5)", request_id, pid,
        f"{secrets.token_urlsafe(24)}.zip", then, then + timedelta(days=7))


async def count_rows(person_id: int) -> dict[str, int]:
    counts = {}
    for rules in personal_tables():
        condition = owner_condition(rules.table, rules.person_path)
        counts[rules.name] = await fetchval(
            f'SELECT count(*) FROM "{rules.name}" WHERE {condition}', person_id)  # noqa: S608
    return counts


def read_archive(storage_key: str) -> tuple[dict, dict[str, bytes]]:
    with zipfile.ZipFile(export.stored_file("exports", storage_key)) as bundle:
        entries = {name: bundle.read(name) for name in bundle.namelist()}
    return json.loads(entries["data.json"]), entries


async def test_an_export_request_is_due_one_calendar_month_later(clock, community):
    clock.current = datetime(2026, 1, 31, 15, 0, tzinfo=UTC)
    pid = await populate("ann@example.com", "ann", community, clock)
    first = await privacy.request_export(person_id=pid, clock=clock, queue=None)
    again = await privacy.request_export(person_id=pid, clock=clock, queue=None)
    assert first == again  # an open request is not doubled by a second click
    row = (await fetch("SELECT due_at, status FROM data_requests WHERE id = $1", first))[0]
    assert row == {"due_at": datetime(2026, 2, 28, 15, 0, tzinfo=UTC), "status": "received"}
    tasks = await fetch("SELECT task, args FROM outbox_messages")
    assert [(t["task"], json.loads(t["args"])) for t in tasks] == [("build_data_export", [first])]


async def test_building_twice_makes_one_archive_and_one_email(clock, community):
    pid = await populate("ann@example.com", "ann", community, clock)
    request_id = await privacy.request_export(person_id=pid, clock=clock, queue=None)
    assert await privacy.build_export(request_id, clock=clock, queue=None) == "built"
    assert (await privacy.build_export(request_id, clock=clock, queue=None)).startswith("nothing")
    exports = await fetch("SELECT storage_key, expires_at FROM data_exports WHERE request = $1",
                          request_id)
    assert len(exports) == 1 and exports[0]["expires_at"] == clock.now() + timedelta(days=7)
    directory = export.exports_dir()
    assert [p.name for p in directory.iterdir()] == [exports[0]["storage_key"]]
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE((directory / exports[0]["storage_key"]).stat().st_mode) == 0o600
    emails = await fetch("SELECT template, to_address FROM outbound_emails "
                         "WHERE template = 'data_export_ready'")
    assert emails == [{"template": "data_export_ready", "to_address": "ann@example.com"}]
    status = await fetchval("SELECT status FROM data_requests WHERE id = $1", request_id)
    assert status == "completed"


async def test_only_the_owner_downloads_and_only_until_expiry(clock, community):
    ann = await populate("ann@example.com", "ann", community, clock)
    bob = await populate("bob@example.com", "bob", community, clock)
    request_id = await privacy.request_export(person_id=ann, clock=clock, queue=None)
    await privacy.build_export(request_id, clock=clock, queue=None)
    export_id = await fetchval("SELECT id FROM data_exports WHERE request = $1", request_id)
    path, filename = await export.download(person_id=ann, export_id=export_id, clock=clock)
    assert path.is_file() and filename == "your-data-2026-11-02.zip"
    with pytest.raises(NotFound):
        await export.download(person_id=bob, export_id=export_id, clock=clock)
    clock.advance(days=7)
    with pytest.raises(NotFound):
        await export.download(person_id=ann, export_id=export_id, clock=clock)
    assert await export.expire_archives(clock=clock) == 3  # this one and both earlier ones
    assert not path.exists()
    assert await export.expire_archives(clock=clock) == 0
    detail = await fetchval("SELECT detail FROM data_requests WHERE id = $1", request_id)
    assert "archive_deleted_at" in json.loads(detail)


async def test_erasure_deletes_marketing_data_and_keeps_a_suppression_hash(clock, community):
    ann = await populate("ann@example.com", "ann", community, clock)
    bob = await populate("bob@example.com", "bob", community, clock)
    bob_before = await count_rows(bob)
    ann_cv = await fetchval("SELECT storage_key FROM cv_files WHERE person = $1", ann)
    request_id = await privacy.erase_account(person_id=ann, clock=clock, queue=None)

    assert set((await count_rows(ann)).values()) == {0}
    assert await fetchval("SELECT count(*) FROM people WHERE id = $1", ann) == 0
    assert not (cv_dir() / ann_cv).exists()
    assert await count_rows(bob) == bob_before
    tokens_left = await fetch("SELECT subject FROM issued_tokens")
    assert [t["subject"] for t in tokens_left] == [f"person:{bob}"]
    assert await suppression.is_suppressed("ANN@example.com ")
    assert not await suppression.is_suppressed("bob@example.com")
    kept = (await fetch("SELECT person, kind, status, completed_at FROM data_requests "
                        "WHERE id = $1", request_id))[0]
    assert kept == {"person": None, "kind": "erasure", "status": "completed",
                    "completed_at": clock.now()}
    notice = await fetch("SELECT person, to_address FROM outbound_emails "
                         "WHERE template = 'account_erased'")
    assert notice == [{"person": None, "to_address": "ann@example.com"}]
    dump = json.dumps(await fetch("SELECT * FROM suppressions"), default=str)
    assert "ann" not in dump


async def test_erasure_notice_address_is_scrubbed_once_sent(clock, community):
    ann = await populate("ann@example.com", "ann", community, clock)
    await privacy.erase_account(person_id=ann, clock=clock, queue=None)
    assert await privacy.scrub_erasure_notices() == 0  # not sent yet: keep the address
    await execute("UPDATE outbound_emails SET state = 'sent' WHERE template = 'account_erased'")
    assert await privacy.scrub_erasure_notices() == 1
    assert await fetchval("SELECT count(*) FROM outbound_emails WHERE to_address LIKE 'ann%'") == 0


async def test_a_legal_hold_keeps_an_anonymised_person_until_released(clock, community):
    ann = await populate("ann@example.com", "ann", community, clock)
    hold_id = await privacy.place_legal_hold(person_ref="ann@example.com", reason="EEOC charge 7",
                                             staff_email="admin@test.local", ip="203.0.113.1",
                                             clock=clock)
    request_id = await privacy.erase_account(person_id=ann, clock=clock, queue=None)
    person = (await fetch("SELECT email, full_name FROM people WHERE id = $1", ann))[0]
    assert person == {"email": f"erased-{ann}@invalid", "full_name": ""}
    counts = await count_rows(ann)
    assert counts.pop("people") == 1 and counts.pop("legal_holds") == 1
    assert counts.pop("data_requests") == 2  # the earlier export and this erasure
    assert set(counts.values()) == {0}
    assert await fetchval("SELECT status FROM data_requests WHERE id = $1", request_id) \
        == "retained"
    # Old preference links of the anonymised person lead nowhere.
    from domain.preferences.emails import LinkProblem, person_from_link, preferences_url

    with pytest.raises(LinkProblem):
        await person_from_link(preferences_url(ann).rsplit("/", 1)[1])

    clock.advance(days=800)
    assert await privacy.purge_retained(clock=clock) == 0  # the hold blocks the purge
    await privacy.release_legal_hold(hold_id=hold_id, staff_email="admin@test.local",
                                     ip="203.0.113.1", clock=clock)
    assert await privacy.purge_retained(clock=clock) == 1
    assert await fetchval("SELECT count(*) FROM people") == 0
    assert await fetchval("SELECT status FROM data_requests WHERE id = $1", request_id) \
        == "completed"
    audit = await fetch("SELECT action, actor, subject FROM audit_entries ORDER BY id")
    assert [a["action"] for a in audit] == ["privacy.legal_hold_placed",
                                            "privacy.legal_hold_released"]
    assert {a["subject"] for a in audit} == {f"person:{ann}"}


async def test_holds_need_a_known_person_and_a_reason(clock, community):
    with pytest.raises(Invalid) as problem:
        await privacy.place_legal_hold(person_ref="nobody@example.com", reason=" ",
                                       staff_email="a@test.local", ip="", clock=clock)
    assert set(problem.value.errors) == {"person", "reason"}
    with pytest.raises(NotFound):
        await privacy.release_legal_hold(hold_id=99, staff_email="a@test.local", ip="",
                                         clock=clock)
    assert await fetchval("SELECT count(*) FROM legal_holds") == 0


@pytest.fixture
async def applications(monkeypatch):
    """Stands in for the applications table a later issue adds to RETAINED_TABLES."""
    await execute(
        "CREATE TABLE test_applications (id serial PRIMARY KEY, person integer NOT NULL "
        "REFERENCES people(id), applied_at timestamptz NOT NULL, decided_at timestamptz, "
        "file_key varchar(80))")
    entry = Retained("test_applications", "person", record_date="applied_at",
                     action_date="decided_at",
                     files=Files("file_key", "uploads/applications", exported=False))
    monkeypatch.setattr(registry, "RETAINED_TABLES", [entry])
    monkeypatch.setattr("domain.privacy.erasure.RETAINED_TABLES", [entry])
    yield entry
    await execute("DROP TABLE test_applications")


async def _apply(person_id: int, applied: datetime, decided: datetime | None) -> str:
    key = secrets.token_hex(16)
    directory = get_settings().var_dir / "uploads" / "applications"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / key).write_bytes(b"application")
    await execute("INSERT INTO test_applications (person, applied_at, decided_at, file_key) "
                  "VALUES ($1, $2, $3, $4)", person_id, applied, decided, key)
    return key


@pytest.mark.parametrize(("federal", "years"), [(False, 1), (True, 2)])
async def test_applications_wait_out_retention_then_go_with_their_files(
        clock, community, applications, monkeypatch, federal, years):
    monkeypatch.setattr(privacy, "get_settings",
                        lambda: replace(get_settings(), federal_contractor=federal))
    ann = await populate("ann@example.com", "ann", community, clock)
    decided = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    key = await _apply(ann, datetime(2026, 6, 1, tzinfo=UTC), decided)
    request_id = await privacy.erase_account(person_id=ann, clock=clock, queue=None)
    assert await fetchval("SELECT status FROM data_requests WHERE id = $1", request_id) \
        == "retained"
    # Old preference links of the anonymised person lead nowhere.
    from domain.preferences.emails import LinkProblem, person_from_link, preferences_url

    with pytest.raises(LinkProblem):
        await person_from_link(preferences_url(ann).rsplit("/", 1)[1])
    assert await fetchval("SELECT email FROM people WHERE id = $1", ann) == f"erased-{ann}@invalid"

    clock.current = datetime(2026 + years, 10, 1, 23, 59, tzinfo=UTC)  # last day kept
    assert await privacy.purge_retained(clock=clock) == 0
    assert await fetchval("SELECT count(*) FROM test_applications") == 1
    clock.current = datetime(2026 + years, 10, 2, 0, 0, tzinfo=UTC)
    assert await privacy.purge_retained(clock=clock) == 1
    assert await fetchval("SELECT count(*) FROM test_applications") == 0
    assert await fetchval("SELECT count(*) FROM people") == 0
    assert not (get_settings().var_dir / "uploads" / "applications" / key).exists()


async def test_an_applicant_is_anonymised_and_their_application_kept_for_a_year(clock,
                                                                               community):
    ann = await populate("ann@example.com", "ann", community, clock)
    application = await apply_for_a_job(ann, "ann")
    last_action = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
    cv = (await fetch("SELECT id, storage_key FROM cv_files WHERE person = $1", ann))[0]
    await execute("UPDATE applications SET applied_at = $2, last_action_at = $2, "
                  "cv_file = $3 WHERE id = $1", application, last_action, cv["id"])
    request_id = await privacy.erase_account(person_id=ann, clock=clock, queue=None)
    assert await fetchval("SELECT status FROM data_requests WHERE id = $1", request_id) \
        == "retained"
    assert await fetchval("SELECT email FROM people WHERE id = $1", ann) == f"erased-{ann}@invalid"
    assert await fetchval("SELECT count(*) FROM profiles WHERE person = $1", ann) == 0
    kept = "SELECT (SELECT count(*) FROM applications) + (SELECT count(*) FROM " \
           "stage_transitions) + (SELECT count(*) FROM eeo_self_identifications) + " \
           "(SELECT count(*) FROM interviews) + (SELECT count(*) FROM scorecards) + " \
           "(SELECT count(*) FROM offers)"
    assert await fetchval(kept) == 6
    # The CV sent with the application is part of the hiring record: kept, file included.
    assert await fetchval("SELECT count(*) FROM cv_files WHERE id = $1", cv["id"]) == 1
    assert (cv_dir() / cv["storage_key"]).exists()

    clock.current = datetime(2027, 9, 1, 23, 59, tzinfo=UTC)  # the last day it is kept
    assert await privacy.purge_retained(clock=clock) == 0
    clock.current = datetime(2027, 9, 2, 0, 0, tzinfo=UTC)
    assert await privacy.purge_retained(clock=clock) == 1
    assert await fetchval(kept) == 0  # the history and self-identification go with it
    assert await fetchval("SELECT count(*) FROM people WHERE id = $1", ann) == 0
    assert not (cv_dir() / cv["storage_key"]).exists()


async def test_an_erasure_cancels_a_pending_export_and_its_build_backs_off(clock, community):
    ann = await populate("ann@example.com", "ann", community, clock)
    await privacy.place_legal_hold(person_ref=str(ann), reason="Charge", staff_email="a@t.local",
                                   ip="", clock=clock)  # keeps the person row, anonymised
    request_id = await privacy.request_export(person_id=ann, clock=clock, queue=None)
    await privacy.erase_account(person_id=ann, clock=clock, queue=None)
    assert await fetchval("SELECT status FROM data_requests WHERE id = $1", request_id) \
        == "cancelled"
    assert (await privacy.build_export(request_id, clock=clock, queue=None)).startswith("nothing")
    assert await fetchval("SELECT count(*) FROM outbound_emails "
                          "WHERE template = 'data_export_ready'") == 0
    assert list(export.exports_dir().iterdir()) == []


async def test_unrecorded_archives_are_swept_once_old(clock, community):
    ann = await populate("ann@example.com", "ann", community, clock)
    request_id = await privacy.request_export(person_id=ann, clock=clock, queue=None)
    await privacy.build_export(request_id, clock=clock, queue=None)
    orphan = export.exports_dir() / export.new_storage_key()
    orphan.write_bytes(b"left by a crashed run")
    assert await export.sweep_orphans(clock=clock) == 0  # too fresh: may be about to commit
    clock.current = datetime.now(UTC) + timedelta(hours=2)
    assert await export.sweep_orphans(clock=clock) == 1
    assert not orphan.exists()
    assert len(list(export.exports_dir().iterdir())) == 1  # the recorded archive stays


async def test_privacy_emails_render_from_their_contexts(clock, community):
    from domain.mail import contexts
    from workers.emails import EmailRenderer

    renderer = EmailRenderer(sender="a@b.c", company_name="Acme <b>", postal_address="1 St")
    ann = await populate("ann@example.com", "<i>ann", community, clock)
    request_id = await privacy.request_export(person_id=ann, clock=clock, queue=None)
    await privacy.build_export(request_id, clock=clock, queue=None)
    export_id = await fetchval("SELECT id FROM data_exports WHERE request = $1", request_id)
    context = await contexts.build("data_export_ready", {"export_id": export_id}, clock=clock)
    subject, text, html = renderer.render("data_export_ready", context)
    assert f"/account/data/exports/{export_id}" in text and "9 November 2026" in text
    assert "<i>" not in html and "&lt;i&gt;" in html and "<b>" not in html

    await privacy.place_legal_hold(person_ref=str(ann), reason="Charge", staff_email="a@t.local",
                                   ip="", clock=clock)
    erasure_id = await privacy.erase_account(person_id=ann, clock=clock, queue=None)
    context = await contexts.build("account_erased", {"request_id": erasure_id}, clock=clock)
    subject, text, html = renderer.render("account_erased", context)
    assert "deleted" in subject and context["retained"] is True
    assert "job applications" in text and "job applications" in html
    assert "ann" not in text.lower()
