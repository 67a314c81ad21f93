"""The demo seed: believable, consistent, idempotent, deterministic, fast and all-or-nothing.

Self-contained: each database here is created fresh, migrated with the real Piccolo CLI,
and dropped afterwards; the Piccolo engine is pointed at it for the duration.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from domain.accounts.service import authenticate
from domain.campaigns import templates as marketing
from domain.db import fetch, fetchval
from domain.demo.service import STAFF_EMAILS, SeedSummary, seed_demo
from domain.engagement.rules import LABELS
from domain.errors import Invalid
from domain.events.rules import SEAT_STATUSES
from domain.people.rules import normalise_email

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
PASSWORD = "demo-password-123"
TABLES = ("people", "community_memberships", "consent_records", "engagement_events",
          "outbound_emails", "staff_users", "talent_communities", "consent_texts", "events",
          "event_hosts", "event_registrations", "requisitions", "requisition_stages",
          "requisition_members", "applications", "stage_transitions",
          "eeo_self_identifications", "profiles", "person_tags", "talent_pools",
          "pool_members", "segments")


class FixedClock:
    def now(self) -> datetime:
        return NOW


CLOCK = FixedClock()


def admin_dsn() -> str:
    """The maintenance database on the server the test run uses (else the local default)."""
    server = os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    return urlunsplit(urlsplit(server)._replace(path="/postgres"))


@contextmanager
def engine_at(dsn: str) -> Iterator[None]:
    """Point Piccolo's engine (and anything reading DATABASE_URL) at `dsn`, then restore."""
    saved_env = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = dsn
    from piccolo_conf import DB  # imported after DATABASE_URL is set

    saved = DB.config, DB.pool
    DB.config, DB.pool = {"dsn": dsn}, None  # a pool would still talk to the old database
    try:
        yield
    finally:
        DB.config, DB.pool = saved
        if saved_env is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = saved_env


async def migrate(dsn: str) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "piccolo.main", "migrations", "forwards", "domain",
        cwd=ROOT, env={**os.environ, "DATABASE_URL": dsn},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    name = f"seedtest_{uuid.uuid4().hex[:12]}"
    admin_url = admin_dsn()
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        dsn = urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
        await migrate(dsn)
        with engine_at(dsn):
            yield dsn
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def table_counts() -> dict[str, int]:
    return {table: await fetchval(f"SELECT count(*) FROM {table}") for table in TABLES}  # noqa: S608


@pytest.fixture(autouse=True)
def clean_state() -> None:
    """Replaces the shared per-test reset: this module works in databases of its own, and
    that reset would truncate them once the engine points here."""


@pytest.fixture(scope="module")
async def seeded() -> AsyncIterator[tuple[SeedSummary, float]]:
    async with fresh_database():
        started = time.perf_counter()
        summary = await seed_demo(clock=CLOCK, staff_password=PASSWORD)
        yield summary, time.perf_counter() - started


async def test_seed_creates_a_crm_of_the_expected_size(seeded):
    summary, elapsed = seeded
    assert summary.created
    assert summary.people == 2000
    assert 2000 <= summary.memberships <= 3200
    # Community ledgers (two or three entries a membership) plus one per application.
    assert 2 * summary.memberships + summary.applications <= summary.consent_records <= \
        3 * summary.memberships + summary.applications
    assert 14_000 <= summary.engagement_events <= 28_000  # about ten per person
    assert summary.memberships <= summary.emails <= 5 * summary.memberships
    assert summary.staff_emails == STAFF_EMAILS
    counts = await table_counts()
    assert (counts["people"], counts["community_memberships"], counts["consent_records"],
            counts["engagement_events"], counts["outbound_emails"]) == (
        summary.people, summary.memberships, summary.consent_records,
        summary.engagement_events, summary.emails)
    assert counts["talent_communities"] == 4
    assert (counts["events"], counts["event_registrations"]) == (
        summary.events, summary.event_registrations)
    assert summary.events == 9
    assert 450 <= summary.event_registrations <= 800
    assert (counts["requisitions"], counts["applications"]) == (
        summary.requisitions, summary.applications)
    assert summary.requisitions == 7
    assert 150 <= summary.applications <= 300
    assert elapsed < 20, f"seeding 2,000 people took {elapsed:.1f}s"


async def test_communities_are_public_with_descriptions_and_interests(seeded):
    rows = await fetch("SELECT slug, description, interest_options, is_public "
                       "FROM talent_communities ORDER BY slug")
    assert [row["slug"] for row in rows] == ["data", "design", "engineering", "sales"]
    for row in rows:
        assert row["is_public"]
        assert len(row["description"]) > 40
        assert 4 <= len(row["interest_options"]) <= 6


async def test_membership_status_mix_and_interests(seeded):
    rows = await fetch(
        "SELECT m.status, count(*) AS n, bool_and(m.interests <@ c.interest_options "
        "AND cardinality(m.interests) > 0) AS interests_ok FROM community_memberships m "
        "JOIN talent_communities c ON c.id = m.community GROUP BY m.status"
    )
    total = sum(row["n"] for row in rows)
    share = {row["status"]: row["n"] / total for row in rows}
    assert 0.62 <= share["confirmed"] <= 0.78
    assert 0.05 <= share["pending"] <= 0.15
    assert 0.14 <= share["left"] <= 0.26
    assert all(row["interests_ok"] for row in rows)
    per_person = await fetch("SELECT p.id, count(m.id) AS n FROM people p LEFT JOIN "
                             "community_memberships m ON m.person = p.id GROUP BY p.id")
    assert {row["n"] for row in per_person} == {0, 1, 2, 3}


async def test_person_emails_are_unique_normalised_and_reserved(seeded):
    emails = [row["email"] for row in await fetch("SELECT email FROM people")]
    assert len(emails) == len(set(emails)) == 2000
    assert all(normalise_email(email) == email for email in emails)
    assert all(email.endswith("@example.com") for email in emails)
    assert await fetchval("SELECT count(*) FROM people WHERE source <> 'demo'") == 0
    oldest = await fetchval("SELECT min(created_at) FROM people")
    assert 700 <= (NOW - oldest).days <= 730
    recent = await fetchval("SELECT count(*) FROM people WHERE created_at > $1",
                            NOW.replace(year=NOW.year - 1))
    assert recent > 1000  # skewed toward the recent past


async def test_every_membership_has_a_consistent_consent_ledger(seeded):
    broken = await fetchval(
        "SELECT count(*) FROM community_memberships m "
        "JOIN talent_communities c ON c.id = m.community WHERE "
        "NOT EXISTS (SELECT 1 FROM consent_records r WHERE r.person = m.person "
        " AND r.scope = c.slug AND r.action = 'requested' AND r.method = 'web_form' "
        " AND r.occurred_at = m.requested_at AND r.ip LIKE '%.%' AND r.user_agent <> '') "
        "OR (m.status IN ('confirmed', 'left')) <> EXISTS (SELECT 1 FROM consent_records r "
        " WHERE r.person = m.person AND r.scope = c.slug AND r.action = 'given' "
        " AND r.method = 'double_opt_in' AND r.occurred_at = m.confirmed_at "
        " AND r.consent_text IS NOT NULL) "
        "OR (m.status = 'left') <> EXISTS (SELECT 1 FROM consent_records r "
        " WHERE r.person = m.person AND r.scope = c.slug AND r.action = 'withdrawn' "
        " AND r.method IN ('preference_centre', 'one_click_unsubscribe') "
        " AND r.occurred_at = m.left_at) "
        "OR NOT (m.requested_at < coalesce(m.confirmed_at, $1) "
        " AND coalesce(m.confirmed_at, m.requested_at) < coalesce(m.left_at, $1))",
        NOW,
    )
    assert broken == 0
    texts = await fetch("SELECT DISTINCT consent_text, purpose FROM consent_records "
                        "ORDER BY purpose")
    assert [row["purpose"] for row in texts] == ["community_emails", "job_processing"]
    assert all(row["consent_text"] is not None for row in texts)


async def test_engagement_happens_within_each_persons_life(seeded):
    outside = await fetchval(
        "SELECT count(*) FROM engagement_events e JOIN people p ON p.id = e.person "
        "WHERE e.occurred_at < p.created_at OR e.occurred_at > $1",
        NOW,
    )
    assert outside == 0
    types = {row["type"] for row in await fetch("SELECT DISTINCT type FROM engagement_events")}
    # Every type the demo uses has a timeline label; demo data has no uploaded files
    # nor interviews, nor offers; its campaign drew no spam complaint and nobody left the
    # welcome sequence early.
    not_in_demo = {"cv_uploaded", "interview_scheduled", "interview_cancelled",
                   "offer_sent", "offer_accepted", "offer_declined", "email_complained",
                   "sequence_exited"}
    assert types == set(LABELS) - not_in_demo
    per_person = [row["n"] for row in await fetch(
        "SELECT count(e.id) AS n FROM people p "
        "LEFT JOIN engagement_events e ON e.person = p.id GROUP BY p.id")]
    assert sum(n <= 1 for n in per_person) >= 100  # some people are cold
    assert sum(n >= 25 for n in per_person) >= 50  # and some are very engaged
    visits = await fetchval("SELECT count(*) FROM engagement_events WHERE type = 'page_visit' "
                            "AND payload ? 'utm_source'")
    assert visits == await fetchval(
        "SELECT count(*) FROM engagement_events WHERE type = 'page_visit'")


async def test_sent_emails_match_their_engagement_and_consent(seeded):
    assert await fetchval("SELECT count(*) FROM outbound_emails") == await fetchval(
        "SELECT count(*) FROM engagement_events WHERE type = 'email_sent'")
    assert await fetchval(
        "SELECT count(*) FROM outbound_emails o JOIN people p ON p.id = o.person "
        "WHERE o.state <> 'sent' OR o.to_address <> p.email OR o.dedupe_key NOT LIKE 'demo:%' "
        "OR o.context <> '{}'::jsonb OR NOT (o.created_at <= o.sent_at AND o.sent_at < $1)",
        NOW,
    ) == 0
    confirms = await fetchval(
        "SELECT count(*) FROM outbound_emails WHERE template = 'community_confirm' "
        "AND subject LIKE 'Confirm you want to join the Acme % community'")
    assert confirms == await fetchval("SELECT count(*) FROM community_memberships")
    # Marketing goes only to people whose consent for that community held at send time.
    unconsented = await fetchval(
        "SELECT count(*) FROM outbound_emails o WHERE o.template = 'community_newsletter' "
        "AND (o.kind <> 'marketing' OR NOT EXISTS (SELECT 1 FROM community_memberships m "
        " JOIN talent_communities c ON c.id = m.community WHERE m.person = o.person "
        " AND o.dedupe_key LIKE 'demo:newsletter:' || c.slug || ':%' "
        " AND m.confirmed_at < o.sent_at AND o.sent_at < coalesce(m.left_at, $1)))",
        NOW,
    )
    assert unconsented == 0
    assert await fetchval("SELECT count(*) FROM outbound_emails "
                          "WHERE template = 'community_newsletter'") > 1000


async def test_seeding_again_changes_nothing(seeded):
    summary, _ = seeded
    before = await table_counts()
    again = await seed_demo(clock=CLOCK, staff_password=PASSWORD, seed=7)
    assert not again.created
    assert again == SeedSummary(False, **{
        k: v for k, v in vars(summary).items() if k != "created"})
    assert await table_counts() == before


async def test_recruiter_can_sign_in(seeded):
    staff = await authenticate(
        email="recruiter@demo.local", password=PASSWORD, ip="127.0.0.1", clock=CLOCK
    )
    assert staff is not None
    assert (staff.full_name, staff.roles) == ("Riley Recruiter", ("recruiter",))
    assert await authenticate(
        email="recruiter@demo.local", password="wrong-password-1", ip="127.0.0.1", clock=CLOCK
    ) is None
    roles = await fetch("SELECT email, roles FROM staff_users ORDER BY email")
    assert {row["email"]: row["roles"] for row in roles} == {
        "admin@demo.local": ["admin"], "hiring.manager@demo.local": ["hiring_manager"],
        "host@demo.local": ["event_host"], "marketing@demo.local": ["marketing"],
        "recruiter@demo.local": ["recruiter"],
    }


async def test_events_past_upcoming_full_virtual_and_draft(seeded):
    events = await fetch(
        "SELECT e.*, (SELECT count(*) FROM event_registrations r WHERE r.event = e.id "
        " AND r.status = 'waitlisted') AS waiting, (SELECT array_agg(DISTINCT r.status) "
        " FROM event_registrations r WHERE r.event = e.id) AS statuses "
        "FROM events e ORDER BY e.starts_at")
    past = [e for e in events if e["ends_at"] < NOW]
    upcoming = [e for e in events if e["starts_at"] > NOW and e["status"] == "published"]
    assert len(past) == 5 and len(upcoming) == 3
    assert all(e["status"] == "published" for e in past + upcoming)
    # Past events had their attendance taken and closed: people came, some did not.
    for event in past:
        assert event["attendance_closed_at"] is not None
        assert event["ends_at"] < event["attendance_closed_at"] < NOW
        assert {"attended", "no_show"} <= set(event["statuses"])
        assert not {"registered", "offered", "waitlisted"} & set(event["statuses"])
    # Upcoming ones are filling up; one is full with a waiting list and an open offer.
    assert all(e["attendance_closed_at"] is None and e["taken"] >= 20 for e in upcoming)
    [full] = [e for e in upcoming if e["capacity"] == e["taken"]]
    assert full["waiting"] >= 5
    assert "offered" in full["statuses"]
    offers = await fetch("SELECT offer_expires_at FROM event_registrations "
                         "WHERE event = $1 AND status = 'offered'", full["id"])
    assert all(row["offer_expires_at"] > NOW for row in offers)
    # Online events carry a join link; one of them is still to come.
    virtual = [e for e in events if e["kind"] == "virtual"]
    assert virtual and all(e["join_url"].startswith("https://") for e in virtual)
    assert any(e in upcoming for e in virtual)
    [draft] = [e for e in events if e["status"] == "draft"]
    assert draft["starts_at"] > NOW > draft["created_at"]
    assert draft["statuses"] is None  # nobody can register for a draft
    assert len({e["slug"] for e in events}) == len(events)


async def test_event_seats_match_registrations(seeded):
    """`taken` counts the registrations holding a seat, never more than the capacity."""
    broken = await fetch(
        "SELECT e.slug, e.taken, e.capacity, (SELECT count(*) FROM event_registrations r "
        " WHERE r.event = e.id AND r.status = ANY($1::varchar[])) AS held FROM events e",
        list(SEAT_STATUSES))
    assert broken
    for row in broken:
        assert row["taken"] == row["held"], row
        assert row["capacity"] is None or row["taken"] <= row["capacity"], row
    from domain.events.integrity import mismatched_events

    assert await mismatched_events(NOW) == []


async def test_waiting_list_order_comes_from_the_position_sequence(seeded):
    rows = await fetch("SELECT event, position, created_at, status FROM event_registrations "
                       "ORDER BY event, position")
    positions = [row["position"] for row in rows]
    assert len(set(positions)) == len(positions)
    assert max(positions) <= await fetchval(
        "SELECT last_value FROM event_registration_position_seq")
    # First come, first served: a later sign-up never waits ahead of an earlier one.
    for event in {row["event"] for row in rows}:
        waiting = [row for row in rows if row["event"] == event
                   and row["status"] == "waitlisted"]
        assert [r["created_at"] for r in waiting] == sorted(r["created_at"] for r in waiting)
    # The sequence goes on from there, so the next real sign-up queues behind them.
    assert await fetchval("SELECT nextval('event_registration_position_seq')") > max(positions)


async def test_registrations_are_on_the_peoples_timelines(seeded):
    def missing(condition: str, kind: str) -> str:
        # Constant fragments from this test only.
        return (
            "SELECT count(*) FROM event_registrations r JOIN events e ON e.id = r.event "  # noqa: S608
            f"WHERE {condition} AND NOT EXISTS (SELECT 1 FROM engagement_events g "
            f"WHERE g.person = r.person AND g.type = '{kind}' AND g.source = 'events' "
            "AND g.payload->>'event' = e.slug)")

    # Signed up (a seat or the waiting list), except walk-ins, who were admitted at the door.
    assert await fetchval(
        "SELECT count(*) FROM event_registrations r JOIN events e ON e.id = r.event "
        "WHERE r.source <> 'walk_in' AND NOT EXISTS (SELECT 1 FROM engagement_events g "
        "WHERE g.person = r.person AND g.type IN ('event_registered', 'event_waitlisted') "
        "AND g.payload->>'event' = e.slug AND g.occurred_at = r.created_at)") == 0
    assert await fetchval(missing("r.status = 'attended'", "event_attended")) == 0
    assert await fetchval(missing("r.status = 'no_show'", "event_no_show")) == 0
    assert await fetchval(missing("r.status = 'offered'", "event_offered")) == 0
    # Cancelled by the person; closing attendance and lapsed offers release seats quietly.
    assert await fetchval(missing(
        "r.status = 'cancelled' AND (e.attendance_closed_at IS NULL "
        "OR r.cancelled_at < e.attendance_closed_at) AND NOT EXISTS (SELECT 1 "
        "FROM engagement_events g WHERE g.person = r.person AND g.type = 'event_offered' "
        "AND g.payload->>'event' = e.slug)", "event_cancelled")) == 0
    # ... and nothing on a timeline for an event the person has no registration for.
    assert await fetchval(
        "SELECT count(*) FROM engagement_events g WHERE g.type LIKE 'event\\_%' AND NOT "
        "EXISTS (SELECT 1 FROM event_registrations r JOIN events e ON e.id = r.event "
        "WHERE r.person = g.person AND e.slug = g.payload->>'event')") == 0
    in_person = await fetchval(
        "SELECT count(*) FROM event_registrations r JOIN events e ON e.id = r.event "
        "WHERE r.status = 'attended' AND e.kind = 'in_person' AND (r.checked_in_at IS NULL "
        "OR r.checked_in_by NOT IN ('host@demo.local', 'recruiter@demo.local'))")
    online = await fetchval(
        "SELECT count(*) FROM event_registrations r JOIN events e ON e.id = r.event "
        "WHERE r.status = 'attended' AND e.kind = 'virtual' "
        "AND (r.joined_at IS NULL OR r.attended_minutes IS NULL)")
    assert (in_person, online) == (0, 0)
    assert await fetchval("SELECT count(*) FROM event_registrations r JOIN people p "
                          "ON p.id = r.person WHERE r.created_at < p.created_at "
                          "OR r.updated_at > $1 OR r.updated_at < r.created_at", NOW) == 0


async def test_host_sees_the_events_they_host(seeded):
    from domain.events import queries

    host = await authenticate(email="host@demo.local", password=PASSWORD, ip="127.0.0.1",
                              clock=CLOCK)
    assert host is not None
    owners = await fetch("SELECT DISTINCT s.email FROM event_hosts h JOIN staff_users s "
                         "ON s.id = h.staff WHERE h.role = 'owner'")
    assert [row["email"] for row in owners] == ["host@demo.local"]
    co_hosts = await fetch("SELECT e.slug, s.email FROM event_hosts h JOIN staff_users s "
                           "ON s.id = h.staff JOIN events e ON e.id = h.event "
                           "WHERE h.role = 'co_host'")
    assert [row["email"] for row in co_hosts] == ["recruiter@demo.local"]
    upcoming = await queries.events_for_staff(host.id, every_event=False, show="upcoming",
                                              now=NOW)
    past = await queries.events_for_staff(host.id, every_event=False, show="past", now=NOW)
    assert (len(upcoming), len(past)) == (4, 5)  # the draft is among the upcoming ones
    assert {row["status"] for row in upcoming} == {"draft", "published"}


async def test_requisitions_open_on_hold_filled_and_draft(seeded):
    rows = await fetch(
        "SELECT r.*, (SELECT count(*) FROM applications a WHERE a.requisition = r.id) AS apps, "
        "(SELECT count(*) FROM applications a WHERE a.requisition = r.id "
        " AND a.status = 'hired') AS hired, (SELECT array_agg(s.name ORDER BY s.position) "
        " FROM requisition_stages s WHERE s.requisition = r.id) AS stages "
        "FROM requisitions r ORDER BY r.id")
    by_status = {}
    for row in rows:
        by_status.setdefault(row["status"], []).append(row)
    assert {k: len(v) for k, v in by_status.items()} == {"open": 4, "on_hold": 1,
                                                         "closed": 1, "draft": 1}
    assert len({row["team"] for row in rows}) >= 4
    template = [row["name"] for row in await fetch(
        "SELECT s.name FROM template_stages s JOIN stage_templates t ON t.id = s.template "
        "WHERE t.name = 'Standard' ORDER BY s.position")]
    for row in rows:
        assert row["stages"] == template and row["template_name"] == "Standard"
        # The hires are the openings taken; a requisition is closed as filled exactly then.
        assert row["filled"] == row["hired"] <= row["openings"]
        assert (row["status"] == "closed") == (row["filled"] == row["openings"])
    [closed] = by_status["closed"]
    assert (closed["close_reason"], closed["hired"]) == ("filled", 1)
    assert closed["opened_at"] < closed["closed_at"] < NOW
    assert await fetchval("SELECT max(at) FROM stage_transitions t JOIN applications a ON "
                          "a.id = t.application WHERE a.requisition = $1 AND t.kind <> "
                          "'rejected'", closed["id"]) == closed["closed_at"]
    [draft] = by_status["draft"]
    assert (draft["apps"], draft["opened_at"]) == (0, None)
    assert all(row["apps"] >= 20 for row in rows if row["status"] != "draft")
    assert sum(row["hired"] for row in rows) == 2
    assert sum(bool(row["screening_questions"]) for row in rows) >= 3
    teams = await fetch("SELECT s.email, m.role, count(*) AS n FROM requisition_members m "
                        "JOIN staff_users s ON s.id = m.staff GROUP BY s.email, m.role")
    assert {(row["email"], row["role"]): row["n"] for row in teams} == {
        ("recruiter@demo.local", "recruiter"): 7,
        ("hiring.manager@demo.local", "hiring_manager"): 2}


async def test_stage_history_leads_to_where_each_application_is(seeded):
    """Applied first, then one transition per action in time order, each from the stage
    the previous one went to, ending where the application is now, with its status."""
    rows = await fetch(
        "SELECT a.id, a.stage, a.status, a.applied_at, a.stage_entered_at, a.last_action_at, "
        "a.decided_at, a.rejection_reason, a.requisition, p.created_at AS person_created, "
        "array_agg(t.kind ORDER BY t.at, t.id) AS kinds, "
        "array_agg(t.from_stage ORDER BY t.at, t.id) AS froms, "
        "array_agg(t.to_stage ORDER BY t.at, t.id) AS tos, "
        "array_agg(t.at ORDER BY t.at, t.id) AS ats, "
        "bool_and(s.requisition = a.requisition) AS own_stages "
        "FROM applications a JOIN people p ON p.id = a.person "
        "JOIN stage_transitions t ON t.application = a.id "
        "JOIN requisition_stages s ON s.id = t.to_stage GROUP BY a.id, p.created_at")
    assert len(rows) == await fetchval("SELECT count(*) FROM applications")
    status_after = {"applied": "active", "moved": "active", "rejected": "rejected",
                    "withdrawn": "withdrawn", "hired": "hired"}
    for row in rows:
        kinds, ats = row["kinds"], row["ats"]
        assert kinds[0] == "applied" and row["froms"][0] is None, row
        assert "applied" not in kinds[1:], row
        assert ats[0] == row["applied_at"] > row["person_created"], row
        assert ats == sorted(ats) and len(set(ats)) == len(ats), row
        assert row["froms"][1:] == row["tos"][:-1], row
        assert (row["tos"][-1], row["stage_entered_at"], row["last_action_at"]) == (
            row["stage"], ats[-1], ats[-1]), row
        assert status_after[kinds[-1]] == row["status"], row
        assert not any(k in ("rejected", "withdrawn", "hired") for k in kinds[:-1]), row
        assert (row["decided_at"] is None) == (row["status"] == "active"), row
        assert (row["rejection_reason"] is not None) == (row["status"] == "rejected"), row
        assert row["own_stages"] and ats[-1] < NOW, row
    statuses = {row["status"] for row in rows}
    assert statuses == {"active", "rejected", "withdrawn", "hired"}
    stages = await fetch("SELECT s.kind, count(*) AS n FROM applications a JOIN "
                         "requisition_stages s ON s.id = a.stage GROUP BY s.kind")
    assert {row["kind"] for row in stages} >= {"applied", "screen", "interview", "offer",
                                                "rejected", "hired"}


async def test_pipeline_actions_are_audited_and_on_the_timelines(seeded):
    transitions = await fetchval("SELECT count(*) FROM stage_transitions")
    applications = await fetchval("SELECT count(*) FROM applications")
    actions = await fetchval("SELECT count(*) FROM audit_entries "
                             "WHERE action LIKE 'application.%' "
                             "AND action <> 'application.silver_medalist'")
    assert actions == transitions - applications  # applying is not a staff action
    unaudited = await fetchval(
        "SELECT count(*) FROM stage_transitions t WHERE t.kind <> 'applied' AND NOT EXISTS "
        "(SELECT 1 FROM audit_entries e WHERE e.subject = 'application:' || t.application "
        "AND e.action = 'application.' || t.kind AND e.occurred_at = t.at AND e.actor = t.by "
        "AND (e.detail->>'to_stage')::int = t.to_stage)")
    assert unaudited == 0
    types = {"applied": "application_submitted", "moved": "application_stage_changed",
             "rejected": "application_rejected", "withdrawn": "application_withdrawn",
             "hired": "application_hired"}
    for kind, event in types.items():
        missing = await fetchval(
            "SELECT count(*) FROM stage_transitions t JOIN applications a "
            "ON a.id = t.application JOIN requisitions r ON r.id = a.requisition "
            "WHERE t.kind = $1 AND NOT EXISTS (SELECT 1 FROM engagement_events g WHERE "
            "g.person = a.person AND g.type = $2 AND g.occurred_at = t.at AND g.source = "
            "'requisition:' || r.id AND g.payload->>'requisition' = r.title)", kind, event)
        assert missing == 0, kind
    assert await fetchval("SELECT count(*) FROM engagement_events WHERE type LIKE "
                          "'application\\_%'") == transitions
    # Rejections carry a reason from the managed list; candidates withdraw themselves.
    assert await fetchval(
        "SELECT count(*) FROM applications a JOIN rejection_reasons r "
        "ON r.id = a.rejection_reason JOIN stage_transitions t ON t.application = a.id "
        "AND t.kind = 'rejected' WHERE r.by = 'company' AND t.reason = r.label") == \
        await fetchval("SELECT count(*) FROM applications WHERE status = 'rejected'")
    assert await fetchval("SELECT count(*) FROM stage_transitions WHERE kind = 'withdrawn' "
                          "AND by NOT LIKE 'person:%'") == 0
    assert await fetchval(
        "SELECT count(*) FROM applications a WHERE NOT EXISTS (SELECT 1 FROM consent_records c "
        "JOIN requisitions r ON c.scope = 'requisition:' || r.slug WHERE r.id = a.requisition "
        "AND c.person = a.person AND c.purpose = 'job_processing' AND c.action = 'given' "
        "AND c.occurred_at = a.applied_at AND c.consent_text = a.consent_text)") == 0


async def test_a_share_of_applicants_self_identified_with_a_plausible_mix(seeded):
    applications = await fetchval("SELECT count(*) FROM applications")
    rows = await fetch("SELECT e.gender, e.race_ethnicity, e.created_at, a.applied_at "
                       "FROM eeo_self_identifications e JOIN applications a "
                       "ON a.id = e.application")
    assert 0.4 * applications <= len(rows) <= 0.8 * applications
    assert all(row["created_at"] == row["applied_at"] for row in rows)
    genders = {row["gender"] for row in rows}
    assert {"female", "male", "declined"} <= genders
    assert len({row["race_ethnicity"] for row in rows}) >= 5


async def test_the_hiring_manager_works_on_their_two_requisitions_only(seeded):
    from domain.requisitions.access import may_work

    manager = await authenticate(email="hiring.manager@demo.local", password=PASSWORD,
                                 ip="127.0.0.1", clock=CLOCK)
    assert manager is not None
    ids = [row["id"] for row in await fetch("SELECT id FROM requisitions")]
    workable = [i for i in ids if await may_work(manager, i)]
    assert len(workable) == 2


async def _people_fingerprint() -> list[tuple]:
    rows = await fetch("SELECT email, full_name, created_at FROM people ORDER BY email")
    return [tuple(row.values()) for row in rows]


async def _events_fingerprint() -> list[tuple]:
    rows = await fetch("SELECT e.slug, e.starts_at, e.taken, p.email, r.status, r.created_at "
                       "FROM event_registrations r JOIN events e ON e.id = r.event "
                       "JOIN people p ON p.id = r.person ORDER BY e.slug, p.email")
    return [tuple(row.values()) for row in rows]


async def _jobs_fingerprint() -> list[tuple]:
    rows = await fetch("SELECT r.slug, p.email, a.status, s.name, a.applied_at, "
                       "a.last_action_at FROM applications a JOIN requisitions r "
                       "ON r.id = a.requisition JOIN people p ON p.id = a.person "
                       "JOIN requisition_stages s ON s.id = a.stage ORDER BY r.slug, p.email")
    return [tuple(row.values()) for row in rows]


async def _talent_fingerprint() -> list[tuple]:
    rows = await fetch(
        "SELECT 'profile', p.email, pr.headline || pr.country || pr.city || pr.seniority "
        " || array_to_string(pr.skills, ',') || array_to_string(pr.work_modes, ',') "
        " || pr.updated_at::text FROM profiles pr JOIN people p ON p.id = pr.person "
        "UNION ALL SELECT 'tag', p.email, t.tag || t.added_at::text FROM person_tags t "
        " JOIN people p ON p.id = t.person "
        "UNION ALL SELECT 'pool', p.email, tp.name || m.stage FROM pool_members m "
        " JOIN talent_pools tp ON tp.id = m.pool JOIN people p ON p.id = m.person "
        "UNION ALL SELECT 'silver', p.email, r.slug FROM applications a "
        " JOIN people p ON p.id = a.person JOIN requisitions r ON r.id = a.requisition "
        " WHERE a.silver_medalist ORDER BY 1, 2, 3")
    return [tuple(row.values()) for row in rows]


async def test_a_failed_seed_leaves_nothing_and_the_same_seed_gives_the_same_people(seeded):
    summary, _ = seeded
    expected = await _people_fingerprint()
    expected_events = await _events_fingerprint()
    expected_jobs = await _jobs_fingerprint()
    expected_talent = await _talent_fingerprint()
    async with fresh_database():
        with pytest.raises(Invalid):
            await seed_demo(clock=CLOCK, staff_password="too-short")
        assert set((await table_counts()).values()) == {0}
        again = await seed_demo(clock=CLOCK, staff_password=PASSWORD)
        assert await _people_fingerprint() == expected
        assert await _events_fingerprint() == expected_events
        assert await _jobs_fingerprint() == expected_jobs
        assert await _talent_fingerprint() == expected_talent
    assert vars(again) == vars(summary)


async def test_demo_people_have_engagement_scores_in_every_band(seeded):
    bands = {row["band"]: row["n"] for row in await fetch(
        "SELECT band, count(*) AS n FROM engagement_scores GROUP BY band")}
    assert set(bands) == {"cold", "warm", "hot"}
    # Everyone who did something weighted has a score; nobody else has a row.
    assert sum(bands.values()) == await fetchval(
        "SELECT count(DISTINCT person) FROM engagement_events WHERE type = ANY($1::varchar[])",
        list(__import__("domain.engagement.scoring", fromlist=["WEIGHTS"]).WEIGHTS))


async def test_most_people_have_a_valid_profile_with_taxonomy_skills(seeded):
    from domain.profiles import rules

    summary, _ = seeded
    rows = await fetch("SELECT pr.*, p.updated_at AS person_updated FROM profiles pr "
                       "JOIN people p ON p.id = pr.person")
    assert len(rows) == summary.profiles
    assert 0.85 * summary.people <= len(rows) <= 0.95 * summary.people
    taxonomy = {row["slug"] for row in await fetch("SELECT slug FROM skills")}
    zones = set(rules.time_zones())
    for row in rows:
        assert 3 <= len(row["skills"]) <= 10 and set(row["skills"]) <= taxonomy, row
        assert len(set(row["skills"])) == len(row["skills"]) and not row["unmatched_skills"]
        assert row["job_function"] in dict(rules.JOB_FUNCTIONS), row
        assert row["seniority"] in dict(rules.SENIORITIES), row
        assert row["country"] in rules.COUNTRIES and row["time_zone"] in zones, row
        assert row["city"] and (" at " in row["headline"]
                                or row["headline"].startswith("Freelance ")), row
        assert row["work_modes"] and set(row["work_modes"]) <= set(dict(rules.WORK_MODES))
        assert row["open_to_opportunities"] in {"", *dict(rules.OPEN_STATUSES)}, row
        assert (row["open_status_at"] is None) == (row["open_to_opportunities"] == "")
        assert row["updated_at"] == row["person_updated"] and row["links"] in ("[]", [])
    # Skills follow the communities: engineers list languages, designers Figma.
    common = {row["s"] for row in await fetch(
        "SELECT s, count(*) FROM profiles, unnest(skills) s GROUP BY s "
        "ORDER BY count(*) DESC LIMIT 10")}
    assert {"python", "figma", "sql"} <= common
    mismatched = await fetchval(
        "SELECT count(*) FROM profiles pr JOIN community_memberships m ON m.person = pr.person "
        "JOIN talent_communities c ON c.id = m.community WHERE c.slug = 'design' "
        "AND pr.job_function = 'design' AND NOT pr.skills && ARRAY(SELECT slug FROM skills "
        "WHERE category = 'design')::varchar[]")
    assert mismatched == 0
    assert len({row["country"] for row in rows}) >= 8
    # The service's own guard accepts every demo profile.
    from domain.profiles.service import ProfileUpdate, _guard

    for row in rows[:200]:
        _guard(ProfileUpdate(full_name="x", country=row["country"], time_zone=row["time_zone"],
                             job_function=row["job_function"], seniority=row["seniority"],
                             work_modes=tuple(row["work_modes"]),
                             open_to_opportunities=row["open_to_opportunities"]))


async def test_some_people_are_tagged_by_the_recruiter(seeded):
    summary, _ = seeded
    rows = await fetch("SELECT t.*, p.created_at AS person_created FROM person_tags t "
                       "JOIN people p ON p.id = t.person")
    assert len(rows) == summary.tags
    tagged = {row["person"] for row in rows}
    assert 0.08 * summary.people <= len(tagged) <= 0.12 * summary.people
    assert {row["tag"] for row in rows} == {"Relocating", "Referred by staff",
                                            "Conference 2026", "Returner",
                                            "Strong communicator"}
    assert all(row["added_by"] == "recruiter@demo.local"
               and row["person_created"] < row["added_at"] < NOW for row in rows)


async def test_late_rejections_make_silver_medalists_in_their_pools(seeded):
    summary, _ = seeded
    rows = await fetch(
        "SELECT a.id, a.person, a.status, s.kind, s.late_stage, r.job_function, "
        "EXISTS (SELECT 1 FROM engagement_events g WHERE g.person = a.person "
        " AND g.type = 'silver_medalist' AND g.occurred_at = a.decided_at) AS on_timeline, "
        "EXISTS (SELECT 1 FROM audit_entries e WHERE e.subject = 'application:' || a.id "
        " AND e.action = 'application.silver_medalist') AS audited, "
        "EXISTS (SELECT 1 FROM pool_members m JOIN talent_pools tp ON tp.id = m.pool "
        " WHERE m.person = a.person AND tp.auto_key = 'silver:' || r.job_function "
        " AND m.stage = 'interested') AS pooled "
        "FROM applications a JOIN requisitions r ON r.id = a.requisition "
        "JOIN stage_transitions t ON t.application = a.id AND t.kind = 'rejected' "
        "JOIN requisition_stages s ON s.id = t.from_stage WHERE a.silver_medalist")
    assert len(rows) == summary.silver_medalists >= 5
    assert all(row["status"] == "rejected" and row["kind"] in ("interview", "offer")
               and row["on_timeline"] and row["audited"] and row["pooled"] for row in rows)
    late = await fetchval(
        "SELECT count(*) FROM applications a JOIN stage_transitions t ON t.application = a.id "
        "AND t.kind = 'rejected' JOIN requisition_stages s ON s.id = t.from_stage "
        "WHERE s.late_stage")
    assert sum(row["late_stage"] for row in rows) == late


async def test_pools_have_people_across_their_stages(seeded):
    summary, _ = seeded
    pools = {row["name"]: row for row in await fetch(
        "SELECT tp.name, tp.kind, tp.visibility, s.email AS owner, tp.segment, "
        "(SELECT jsonb_object_agg(stage, n) FROM (SELECT stage, count(*) AS n "
        " FROM pool_members m WHERE m.pool = tp.id GROUP BY stage) x) AS stages "
        "FROM talent_pools tp LEFT JOIN staff_users s ON s.id = tp.owner")}
    assert len(pools) == summary.pools >= 4
    backend = pools["Backend engineers — 2027 pipeline"]
    stages = json.loads(backend["stages"])
    assert (backend["kind"], backend["visibility"]) == ("static", "shared")
    assert len(stages) >= 3 and 30 <= sum(stages.values()) <= 40
    design = pools["Design leads"]
    assert (design["visibility"], design["owner"]) == ("private", "recruiter@demo.local")
    assert 8 <= sum(json.loads(design["stages"]).values()) <= 12
    assert pools["Engaged Python engineers"]["kind"] == "dynamic"
    assert any(name.startswith("Silver medalists — ") for name in pools)
    # The members of the backend pool are backend-minded engineers.
    assert await fetchval(
        "SELECT count(*) FROM pool_members m JOIN talent_pools tp ON tp.id = m.pool "
        "JOIN profiles pr ON pr.person = m.person WHERE tp.name = $1 "
        "AND pr.job_function <> 'engineering'", "Backend engineers — 2027 pipeline") == 0


async def test_saved_segments_each_match_demo_people(seeded):
    from domain.segments import queries

    summary, _ = seeded
    rows = await fetch("SELECT s.name, s.definition, s.visibility, u.email FROM segments s "
                       "JOIN staff_users u ON u.id = s.owner ORDER BY s.name")
    assert len(rows) == summary.segments >= 4
    for row in rows:
        definition = json.loads(row["definition"])
        live = await queries.count(definition, now=NOW)
        assert 1 <= live < summary.people, row["name"]
        # Built during the seed: the list shows the same count before the worker runs.
        assert await queries.saved_count(definition, now=NOW) == live, row["name"]
        assert row["email"] == "recruiter@demo.local"


async def test_demo_marketing_templates_pass_the_form_validation(seeded):
    rows = await fetch("SELECT * FROM marketing_templates ORDER BY name")
    assert [row["name"] for row in rows] == ["Community newsletter", "Event invitation"]
    for row in rows:
        marketing.parse(dict(row))  # raises Invalid otherwise


@pytest.mark.parametrize("people", [1, 25])
async def test_a_tiny_demo_seeds_too(people):
    """`talentloop seed demo --people 25` used to fail in the jobs planner: a filled job
    with nobody old enough to have been hired."""
    async with fresh_database():
        summary = await seed_demo(clock=CLOCK, staff_password=PASSWORD, people=people)
        assert summary.people == people
        assert await fetchval("SELECT count(*) FROM requisitions") > 0
