"""Campaign and sequence-step reports against the real database: every figure on a
hand-built campaign (states, bounces, flagged opens, skipped reasons), the downstream
funnel inside and outside the 30-day window, drill-down pages that list each person once,
the CSV, the link report, the sequence report, and a 10⁵-recipient campaign read in well
under a second without scanning the event tables."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from domain.campaigns import reports
from domain.db import execute, fetch, fetchval
from domain.errors import Invalid, NotFound
from domain.sequences import reports as sequence_reports
from tests.jobs_support import create_requisition

pytestmark = pytest.mark.usefixtures("clean_state")
SENT = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


async def make_campaign(name: str = "November news") -> int:
    return int(await fetchval(
        "INSERT INTO campaigns (name, purpose, state, created_at, updated_at) "
        "VALUES ($1, 'community_emails', 'finished', now(), now()) RETURNING id", name))


async def make_people(count: int, prefix: str = "p") -> list[int]:
    rows = await fetch(
        "INSERT INTO people (email, full_name, source, created_at, updated_at) "
        "SELECT $2 || g || '@example.com', 'Person ' || g, 'test', now(), now() "
        "FROM generate_series(1, $1) g RETURNING id", count, prefix)
    return sorted(row["id"] for row in rows)


async def send(person: int, *, campaign: int | None = None, enrollment: int | None = None,
               step_key: str = "", state: str = "sent", **columns) -> int:
    values = {"campaign": campaign, "enrollment": enrollment, "step_key": step_key,
              "person": person, "state": state, "created_at": SENT,
              "sent_at": SENT if state == "sent" else None, **columns}
    names = ", ".join(values)
    marks = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    return int(await fetchval(
        f"INSERT INTO marketing_sends ({names}) VALUES ({marks}) RETURNING id",  # noqa: S608
        *values.values()))


async def event(person: int, kind: str, at: datetime) -> None:
    await fetch("INSERT INTO engagement_events (person, type, occurred_at, source, payload) "
                "VALUES ($1, $2, $3, 'test', '{}')", person, kind, at)


async def track(send_id: int, flag: str, hit: str) -> None:
    await fetch("INSERT INTO tracking_events (send, kind, flag, occurred_at, hit_id) "
                "VALUES ($1, 'open', $2, $3, $4)", send_id, flag, SENT, hit)


@pytest.fixture
async def campaign() -> dict:
    """Twelve recipients, one of each outcome (see the comments), and a second campaign
    whose sends must never leak into the first one's figures."""
    cid = await make_campaign()
    other = await make_campaign("Other")
    p = await make_people(12)
    later = SENT + timedelta(hours=2)
    sends = {
        "plain": await send(p[0], campaign=cid),
        "human_open": await send(p[1], campaign=cid, opened_at=later, opens=2),
        "proxy_open": await send(p[2], campaign=cid, opened_at=later, opens=1),
        "clicked": await send(p[3], campaign=cid, opened_at=later, clicked_at=later,
                              clicks=3),
        "replied": await send(p[4], campaign=cid, replied_at=later),
        "unsubscribed": await send(p[5], campaign=cid, unsubscribed_at=later),
        "hard": await send(p[6], campaign=cid, bounced_at=later, bounce_kind="hard"),
        "soft": await send(p[7], campaign=cid, bounced_at=later, bounce_kind="soft"),
        "no_consent": await send(p[8], campaign=cid, state="skipped", reason="no_consent"),
        "capped": await send(p[9], campaign=cid, state="skipped", reason="frequency_cap"),
        "failed": await send(p[10], campaign=cid, state="failed", error="550"),
        "in_doubt": await send(p[11], campaign=cid, state="in_doubt"),
    }
    await send(p[0], campaign=other, opened_at=later, clicked_at=later)
    await track(sends["human_open"], "", "h1")
    await track(sends["human_open"], "proxy", "h2")
    await track(sends["proxy_open"], "proxy", "h3")
    return {"id": cid, "other": other, "people": p, "sends": sends}


async def test_every_figure_counts_its_own_sends(campaign):
    result = await reports.summary(reports.Scope(campaign=campaign["id"]))
    figures = result["figures"]
    assert figures == figures | {
        "recipients": 12, "sent": 8, "delivered": 6, "opened": 3, "opened_flagged": 1,
        "clicked": 1, "replied": 1, "unsubscribed": 1, "bounced": 2, "bounced_hard": 1,
        "bounced_soft": 1, "skipped": 2, "failed": 1, "in_doubt": 1, "pending": 0}
    assert result["rates"]["opened"] == pytest.approx(3 / 6)
    assert result["rates"]["clicked"] == pytest.approx(1 / 6)
    assert result["skipped"] == [{"reason": "frequency_cap", "count": 1},
                                 {"reason": "no_consent", "count": 1}]


async def test_funnel_counts_what_recipients_did_within_thirty_days(campaign):
    p = campaign["people"]
    await event(p[0], "event_registered", SENT + timedelta(days=3))
    await event(p[1], "event_registered", SENT - timedelta(days=1))  # before: not ours
    await event(p[2], "event_registered", SENT + timedelta(days=31))  # after the window
    await event(p[3], "application_submitted", SENT + timedelta(days=5))
    await event(p[3], "interview_scheduled", SENT + timedelta(days=9))
    await event(p[3], "application_hired", SENT + timedelta(days=29))
    await event(p[8], "event_registered", SENT + timedelta(days=1))  # skipped: never sent
    requisition = await create_requisition("backend", title="Backend")
    stage = await fetchval("SELECT id FROM requisition_stages WHERE requisition = $1 "
                           "ORDER BY position LIMIT 1", requisition["id"])
    await fetch(
        "INSERT INTO applications (requisition, person, stage, status, applied_at, "
        "stage_entered_at, last_action_at, decided_at, answers) VALUES "
        "($1, $2, $3, 'hired', $4, $4, $4, $5, '{}')",
        requisition["id"], p[4], stage, SENT + timedelta(days=2), SENT + timedelta(days=20))
    scope = reports.Scope(campaign=campaign["id"])
    figures = (await reports.summary(scope))["figures"]
    assert [figures[name] for name in reports.FUNNEL] == [1, 2, 1, 2]
    for name, expected in (("registered", {p[0]}), ("applied", {p[3], p[4]}),
                           ("interviewed", {p[3]}), ("hired", {p[3], p[4]})):
        rows, _ = await reports.people(scope, name)
        assert {row["person"] for row in rows} == expected, name


async def test_drill_down_pages_list_everyone_once(campaign):
    scope = reports.Scope(campaign=campaign["id"])
    seen, after, pages = [], 0, 0
    while after is not None:
        rows, after = await reports.people(scope, "recipients", after=after, limit=5)
        seen += [row["person"] for row in rows]
        pages += 1
    assert seen == campaign["people"] and pages == 3
    rows, _ = await reports.people(scope, "opened_flagged")
    assert [row["person"] for row in rows] == [campaign["people"][2]]
    rows, _ = await reports.people(scope, "skipped", reason="no_consent")
    assert [row["person"] for row in rows] == [campaign["people"][8]]
    with pytest.raises(Invalid):
        await reports.people(scope, "drop table")


async def test_csv_lists_the_people_with_formula_cells_neutralised(campaign):
    await fetch("UPDATE people SET full_name = '=HYPERLINK(1)' WHERE id = $1",
                campaign["people"][3])
    lines = [line async for line in reports.people_csv(
        reports.Scope(campaign=campaign["id"]), "clicked")]
    assert lines[0].startswith("person_id,name,email")
    assert len(lines) == 2 and "'=HYPERLINK(1)" in lines[1]


async def test_link_report_sums_revisions_of_this_campaign_only(campaign):
    cid = campaign["id"]
    await fetch(
        "INSERT INTO tracked_links (content_key, url, position, clicks, unique_clicks) VALUES "
        "($1, 'https://acme.example/jobs', 0, 5, 3), ($2, 'https://acme.example/jobs', 0, 2, 2), "
        "($2, 'https://acme.example/meetup', 1, 1, 1), ($3, 'https://evil.example', 0, 9, 9)",
        f"campaign:{cid}:1", f"campaign:{cid}:2", f"campaign:{cid}1:1")
    links = await reports.links(reports.Scope(campaign=cid))
    assert links == [{"url": "https://acme.example/jobs", "clicks": 7, "unique_clicks": 5},
                     {"url": "https://acme.example/meetup", "clicks": 1, "unique_clicks": 1}]


async def make_sequence() -> dict:
    sid = await fetchval(
        "INSERT INTO sequences (name, purpose, state, live_version, created_at, updated_at) "
        "VALUES ('Welcome', 'community_emails', 'live', 2, now(), now()) RETURNING id")
    steps_v1 = [{"key": "old", "type": "email", "subject": "Old hello"}]
    steps_v2 = [{"key": "hello", "type": "email", "subject": "Hello"},
                {"key": "wait", "type": "wait", "days": 3},
                {"key": "check", "type": "condition", "when": "opened"},
                {"key": "call", "type": "task"}]
    for version, steps in ((1, steps_v1), (2, steps_v2)):
        await fetch("INSERT INTO sequence_versions (sequence, version, steps, entry_rules, "
                    "exit_rules, created_at) VALUES ($1, $2, $3, '[]', '[]', now())",
                    sid, version, json.dumps(steps))
    return {"id": sid}


async def enrol(sequence_id: int, person: int, step: str, state: str = "active") -> int:
    return int(await fetchval(
        "INSERT INTO sequence_enrollments (sequence, version, person, state, step_key, "
        "entered_at, updated_at) VALUES ($1, 2, $2, $3, $4, now(), now()) RETURNING id",
        sequence_id, person, state, step))


async def ran(enrollment: int, step: str, outcome: str) -> None:
    await fetch("INSERT INTO sequence_step_runs (enrollment, step_key, outcome, ran_at) "
                "VALUES ($1, $2, $3, now())", enrollment, step, outcome)


async def test_sequence_report_per_step():
    seq = await make_sequence()
    other = await fetchval(
        "INSERT INTO sequences (name, purpose, state, created_at, updated_at) "
        "VALUES ('Other', 'community_emails', 'live', now(), now()) RETURNING id")
    p = await make_people(4)
    first = await enrol(seq["id"], p[0], "wait")
    second = await enrol(seq["id"], p[1], "call", state="completed")
    for enrollment in (first, second):
        await ran(enrollment, "hello", "sent")
    await ran(second, "wait", "waited")
    await ran(second, "check", "branch: no")
    await send(p[0], enrollment=first, step_key="hello", opened_at=SENT)
    await send(p[1], enrollment=second, step_key="hello", bounced_at=SENT, bounce_kind="hard")
    stranger = await fetchval(
        "INSERT INTO sequence_enrollments (sequence, version, person, state, step_key, "
        "entered_at, updated_at) VALUES ($1, 1, $2, 'active', 'hello', now(), now()) "
        "RETURNING id", other, p[2])
    await send(p[2], enrollment=stranger, step_key="hello", opened_at=SENT)

    result = await sequence_reports.report(seq["id"])
    assert [s["key"] for s in result["steps"]] == ["hello", "wait", "check", "call", "old"]
    assert result["enrolments"] == {"active": 1, "completed": 1}
    hello, wait, check, call, old = result["steps"]
    assert hello["ran"] == 2 and hello["sends"]["figures"]["sent"] == 2
    assert hello["sends"]["figures"]["delivered"] == 1
    assert hello["sends"]["figures"]["opened"] == 1
    assert wait["sends"] is None and wait["waiting"] == {"active": 1}
    assert check["runs"] == [{"outcome": "branch: no", "count": 1}]
    assert call["waiting"] == {"completed": 1} and old["live"] is False
    scope = reports.Scope(sequence=seq["id"], step_key="hello")
    rows, _ = await reports.people(scope, "recipients")
    assert [row["person"] for row in rows] == [p[0], p[1]]
    await send(p[0], enrollment=first, step_key="later")
    every_step = reports.Scope(sequence=seq["id"])
    assert (await reports.summary(every_step))["figures"]["recipients"] == 3
    assert (await sequence_reports.step(seq["id"], "check"))["kind"] == "condition"
    with pytest.raises(NotFound):
        await sequence_reports.step(seq["id"], "nope")
    with pytest.raises(NotFound):
        await sequence_reports.report(987654)


async def test_a_hundred_thousand_recipients_report_fast_and_by_index():
    cid = await make_campaign("Big")
    await fetch(
        "INSERT INTO people (email, full_name, source, created_at, updated_at) "
        "SELECT 'big' || g || '@example.com', 'Big ' || g, 'test', now(), now() "
        "FROM generate_series(1, 100000) g")
    await fetch(
        "INSERT INTO marketing_sends (campaign, person, state, created_at, sent_at, opened_at, "
        "clicked_at, bounced_at, bounce_kind) SELECT $1, id, 'sent', $2::timestamptz, $2, "
        "CASE WHEN id % 3 = 0 THEN $2 END, CASE WHEN id % 10 = 0 THEN $2 END, "
        "CASE WHEN id % 50 = 0 THEN $2 END, CASE WHEN id % 50 = 0 THEN 'hard' ELSE '' END "
        "FROM people", cid, SENT)
    await fetch(
        "INSERT INTO engagement_events (person, type, occurred_at, source, payload) "
        "SELECT id, CASE WHEN id % 2 = 0 THEN 'page_visit' ELSE 'event_registered' END, "
        "$1, 'test', '{}' FROM people WHERE id % 7 = 0", SENT + timedelta(days=2))
    requisition = await create_requisition("backend", title="Backend")
    await fetch(
        "INSERT INTO applications (requisition, person, stage, status, applied_at, "
        "stage_entered_at, last_action_at, answers) SELECT $1, id, (SELECT id FROM "
        "requisition_stages WHERE requisition = $1 ORDER BY position LIMIT 1), 'active', "
        "$2, $2, $2, '{}' FROM people WHERE id % 20 = 0", requisition["id"],
        SENT + timedelta(days=40))
    for table in ("marketing_sends", "engagement_events", "people", "applications"):
        await execute(f"ANALYZE {table}")
    scope = reports.Scope(campaign=cid)
    # Speed is judged by the plans (indexes, no scans of the big tables), not by a timer.
    result = await reports.summary(scope)
    assert result["figures"]["recipients"] == 100_000
    assert result["figures"]["bounced_hard"] == 2000
    assert result["figures"]["registered"] == sum(
        1 for i in range(1, 100_001) if i % 7 == 0 and i % 2 == 1)
    sql, args = reports.funnel_sql(scope)
    plan = "\n".join(row["QUERY PLAN"] for row in await fetch(f"EXPLAIN {sql}", *args))
    assert "Seq Scan on engagement_events" not in plan, plan
    assert "Seq Scan on applications" not in plan, plan
    rows, after_id = await reports.people(scope, "clicked", limit=50)
    assert len(rows) == 50 and after_id is not None
    # Drilling into the funnel is set-based too: a rare step (nobody hired) is as quick.
    for name, expected in (("registered", 50), ("hired", 0)):
        rows, _ = await reports.people(scope, name, limit=50)
        assert len(rows) == expected


async def test_demo_seed_has_a_reportable_campaign_and_a_live_sequence():
    from domain.demo.service import seed_demo
    from tests.campaign_support import assert_consent_invariant
    from tests.fixtures import FrozenClock

    clock = FrozenClock(datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    await seed_demo(clock=clock, people=600, staff_password="demo-password-123")
    await assert_consent_invariant()
    campaigns = {row["name"]: row for row in await fetch(
        "SELECT id, name, state, send_at, approved_by FROM campaigns")}
    assert campaigns["Winter meetup invitation"]["state"] == "submitted"
    assert campaigns["Winter meetup invitation"]["send_at"] > clock.now()
    finished = campaigns["October community newsletter"]
    scope = reports.Scope(campaign=finished["id"])
    figures = (await reports.summary(scope))["figures"]
    assert 100 <= figures["recipients"] <= 300, figures
    for name in ("opened", "opened_flagged", "clicked", "replied", "bounced_hard",
                 "bounced_soft", "skipped"):
        assert figures[name] > 0, (name, figures)
    assert figures["opened"] > figures["clicked"] > figures["replied"]
    links = await reports.links(scope)
    assert len(links) == 3 and sum(link["clicks"] for link in links) > 0
    assert all(link["unique_clicks"] <= link["clicks"] for link in links)
    withdrawn = await fetchval(
        "SELECT count(*) FROM marketing_sends s WHERE s.unsubscribed_at IS NOT NULL AND "
        "EXISTS (SELECT 1 FROM consent_records r WHERE r.person = s.person "
        "AND r.action = 'withdrawn' AND r.occurred_at = s.unsubscribed_at)")
    assert withdrawn == figures["unsubscribed"]

    sequence_id = await fetchval("SELECT id FROM sequences WHERE name = 'Welcome series'")
    result = await sequence_reports.report(sequence_id)
    assert result["sequence"]["state"] == "live"
    assert set(result["enrolments"]) == {"active", "paused", "completed"}
    steps = {step["key"]: step for step in result["steps"]}
    assert steps["opened"]["waiting"]["active"] > 0
    assert steps["followup"]["ran"] > 0 and steps["call"]["ran"] > 0
    assert steps["welcome"]["sends"]["figures"]["sent"] == sum(result["enrolments"].values())
    assert await fetchval("SELECT count(*) FROM recruiter_tasks") == steps["call"]["ran"]
    assert await fetchval("SELECT min(due_at) FROM sequence_enrollments "
                          "WHERE state = 'active'") > clock.now()
