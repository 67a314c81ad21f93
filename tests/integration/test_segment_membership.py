"""Maintained membership of saved segments (domain.segments.membership): built over
everyone, then kept equal to live evaluation by the dirty-people triggers on every table a
condition reads — for every field and operator, after changes on every one of those tables,
without rebuilding."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import timedelta

import pytest

from domain.db import fetch, fetchval
from domain.segments import membership, queries
from domain.segments.compiler import BASE_FROM
from tests.jobs_support import create_requisition
from tests.segments_support import NOW, _person, build_population

pytestmark = pytest.mark.usefixtures("clean_state")


@pytest.fixture
async def world():
    await create_requisition("backend", title="Backend")
    await create_requisition("frontend", title="Frontend", skills=("react",))
    return await build_population()


def definitions(refs: dict) -> list[dict]:
    from tests.integration.test_segments import examples

    nested = {"match": "all", "conditions": [
        {"field": "skills", "op": "any", "value": ["python", "react"]},
        {"match": "any", "conditions": [
            {"field": "country", "op": "in", "value": ["DE"]},
            {"field": "engagement_band", "op": "in", "value": ["hot"]}]}]}
    return [*examples(refs), nested]


async def live_ids(definition: dict, now=NOW) -> set[int]:
    where, args = await queries.compiled_sql(definition, now=now)
    return {row["id"] for row in await fetch(f"SELECT p.id {BASE_FROM} WHERE {where}", *args)}


async def stored(definition: dict) -> tuple[set[int], int]:
    audience = await membership.audience_of(definition)
    assert audience is not None and audience.ready, json.dumps(definition)
    rows = await fetch("SELECT person FROM segment_audience_members WHERE audience = $1",
                       audience.id)
    return {row["person"] for row in rows}, audience.member_count


async def assert_all_agree(defs: list[dict], now=NOW) -> None:
    for definition in defs:
        members, count = await stored(definition)
        expected = await live_ids(definition, now)
        assert members == expected, json.dumps(definition)
        assert count == len(expected), json.dumps(definition)


async def register(defs: list[dict]) -> None:
    """Save each as a segment (audiences exist for saved definitions only)."""
    from domain.segments import service

    taken = await fetchval("SELECT count(*) FROM segments")
    for n, definition in enumerate(defs, start=taken):
        await service.save(None, name=f"Segment {n}", description="", visibility="shared",
                           definition=definition, owner_id=None, by="t@test.local", now=NOW)


async def test_built_membership_equals_live_evaluation_for_every_field(world):
    defs = definitions(world)
    await register(defs)
    result = await membership.tick(now=NOW)
    assert result["built"] == len({membership.key_of(d) for d in defs})
    await assert_all_agree(defs)
    assert sum([len(await live_ids(d)) > 0 for d in defs]) >= len(defs) * 0.8


async def _change_everything(refs: dict) -> None:
    """Touch every table a condition reads, the way the product's writes do."""
    ids = [row["id"] for row in await fetch("SELECT id FROM people ORDER BY id")]
    rng = random.Random(11)
    some = rng.sample(ids, 24)
    a, b, c, d, e, f = (some[i * 4:(i + 1) * 4] for i in range(6))
    await fetch("UPDATE profiles SET skills = '{react,python}', country = 'DE', "
                "job_function = 'data', seniority = 'senior', work_modes = '{remote}', "
                "time_zone = 'Europe/Berlin' WHERE person = ANY($1)", a)
    await fetch("INSERT INTO profiles (person, skills, job_function, seniority, country, "
                "time_zone, work_modes, updated_at) SELECT id, '{machine-learning}', "
                "'engineering', 'lead', 'US', '', '{}', $2 FROM people WHERE id = ANY($1) "
                "ON CONFLICT (person) DO UPDATE SET skills = excluded.skills", b, NOW)
    await fetch("DELETE FROM person_tags WHERE person = ANY($1)", a + c)
    await fetch("INSERT INTO person_tags (person, tag, added_by, added_at) "
                "SELECT unnest($1::int[]), 'VIP', 'test', $2", b, NOW)
    await fetch("UPDATE community_memberships SET status = 'left' WHERE person = ANY($1)", c)
    await fetch("INSERT INTO community_memberships (person, community, status, interests, "
                "requested_at) SELECT unnest($1::int[]), $2, 'confirmed', '{}', $3 "
                "ON CONFLICT DO NOTHING", d, refs["communities"]["engineering"], NOW)
    for person in c + d:
        await fetch("INSERT INTO consent_records (person, purpose, scope, action, method, "
                    "occurred_at, ip, user_agent) VALUES ($1, 'community_emails', '', $2, "
                    "'test', $3, '', '')", person, rng.choice(("given", "withdrawn")), NOW)
    await fetch("INSERT INTO engagement_scores (person, score, band, last_engaged_at, "
                "computed_at) SELECT unnest($1::int[]), 92, 'hot', $2, $2 "
                "ON CONFLICT (person) DO UPDATE SET score = 92, band = 'hot', "
                "last_engaged_at = excluded.last_engaged_at", e, NOW - timedelta(days=1))
    await fetch("INSERT INTO engagement_events (person, type, occurred_at, source, payload) "
                "SELECT unnest($1::int[]), 'content_viewed', $2, 'blog', '{}'", f, NOW)
    await fetch("UPDATE event_registrations SET status = 'no_show' WHERE person = ANY($1)", e)
    await fetch("INSERT INTO event_registrations (event, person, status, position, answers, "
                "source, created_at, updated_at) SELECT $2, unnest($1::int[]), 'attended', 0, "
                "'{}', '', $3, $3 ON CONFLICT DO NOTHING", f, refs["events"]["meetup-a"], NOW)
    applications = await fetch("SELECT id, requisition FROM applications ORDER BY id LIMIT 6")
    for row in applications[:3]:
        offer = await fetchval("SELECT id FROM requisition_stages WHERE requisition = $1 "
                               "AND kind = 'offer'", row["requisition"])
        await fetch("INSERT INTO stage_transitions (application, from_stage, to_stage, kind, "
                    "by, at, reason) VALUES ($1, NULL, $2, 'moved', 'test', $3, '')",
                    row["id"], offer, NOW)
    await fetch("UPDATE applications SET status = 'rejected', rejection_reason = $2, "
                "silver_medalist = true WHERE id = ANY($1)",
                [row["id"] for row in applications[3:]], refs["reasons"][0])
    await fetch("DELETE FROM pool_members WHERE person = ANY($1)", a + b)
    await fetch("INSERT INTO pool_members (pool, person, stage, source, added_at, "
                "stage_changed_at) SELECT $2, unnest($1::int[]), 'lead', 'manual', $3, $3 "
                "ON CONFLICT DO NOTHING", c, refs["pool"], NOW)
    await fetch("UPDATE people SET source = 'referral' WHERE id = ANY($1)", d)
    await fetch("UPDATE people SET merged_into = $2 WHERE id = $1", f[0], f[1])
    await fetch("UPDATE people SET email = 'erased-' || id || '@invalid' WHERE id = $1", f[2])
    await _person(random.Random(5), 900, refs["communities"], refs["events"],
                  refs["requisitions"], refs["reasons"], refs["pool"])


async def test_changes_on_every_source_table_are_applied_without_a_rebuild(world):
    defs = definitions(world)
    await register(defs)
    await membership.tick(now=NOW)
    before = {r["id"]: r["built_at"] for r in await fetch(
        "SELECT id, built_at FROM segment_audiences")}
    await _change_everything(world)
    assert await fetchval("SELECT count(*) FROM segment_dirty_people") > 0
    result = await membership.tick(now=NOW)
    assert result["built"] == 0 and result["changes"] > 0
    assert await fetchval("SELECT count(*) FROM segment_dirty_people") == 0
    after = {r["id"]: r["built_at"] for r in await fetch(
        "SELECT id, built_at FROM segment_audiences")}
    assert after == before  # brought up to date incrementally, not rebuilt
    await assert_all_agree(defs)


async def test_clock_dependent_segments_are_rebuilt_hourly(world):
    recent = {"match": "all", "conditions": [
        {"field": "last_engaged", "op": "within_days", "value": 30}]}
    steady = {"match": "all", "conditions": [
        {"field": "country", "op": "in", "value": ["DE"]}]}
    await register([recent, steady])
    await membership.tick(now=NOW)
    assert (await membership.audience_of(recent)).member_count > 0
    result = await membership.tick(now=NOW + timedelta(minutes=61))
    assert result["built"] == 1  # the clock-dependent one; the other waits for the day
    later = NOW + timedelta(days=40)  # everyone's last engagement is now over 30 days old
    result = await membership.tick(now=later)
    assert result["built"] == 2
    await assert_all_agree([recent, steady], now=later)
    assert (await membership.audience_of(recent)).member_count == 0


async def test_two_refreshers_never_run_at_once(world):
    defs = definitions(world)[:6]
    await register(defs)
    results = await asyncio.gather(*(membership.tick(now=NOW) for _ in range(3)))
    assert sorted(r["skipped"] for r in results)[:1] == [0]
    assert sum(r.get("built", 0) for r in results) == len(
        {membership.key_of(d) for d in defs})
    await assert_all_agree(defs)


async def test_saved_segments_and_dynamic_pools_get_audiences_and_lose_them(world):
    from domain.segments import service

    definition = {"match": "all", "conditions": [
        {"field": "skills", "op": "any", "value": ["react"]}]}
    segment_id = await service.save(None, name="React", description="", visibility="shared",
                                    definition=definition, owner_id=None, by="t@test.local",
                                    now=NOW)
    audience = await membership.audience_of(definition)
    assert audience is not None and not audience.ready  # registered; the worker builds it
    preview = await queries.saved(definition, now=NOW)
    assert preview.as_of is None and preview.count == len(await live_ids(definition))
    await membership.tick(now=NOW)
    preview = await queries.saved(definition, now=NOW)
    assert preview.as_of == NOW and preview.count == len(await live_ids(definition))
    assert [r["id"] for r in preview.rows] == sorted(await live_ids(definition),
                                                     reverse=True)[:50]
    await service.delete(segment_id, by="t@test.local", now=NOW)
    await membership.tick(now=NOW)
    assert await membership.audience_of(definition) is None


async def test_a_saved_segment_whose_community_was_deleted_reports_it(world):
    from domain.errors import Invalid

    definition = {"match": "all", "conditions": [
        {"field": "community", "op": "member_of", "value": ["design"]}]}
    await register([definition])
    await membership.tick(now=NOW)
    audience = await membership.audience_of(definition)
    await fetch("DELETE FROM community_memberships WHERE community = $1",
                world["communities"]["design"])
    await fetch("DELETE FROM talent_communities WHERE slug = 'design'")
    await membership.build(audience.id, now=NOW)  # a rebuild before the next sync
    assert "design" in (await membership.audience_of(definition)).problem
    result = await membership.tick(now=NOW + timedelta(days=2))
    assert result["skipped"] == 0  # the round went on
    assert "design" in (await membership.audience_of(definition)).problem
    with pytest.raises(Invalid, match="design"):
        await queries.saved(definition, now=NOW)  # the segment page shows the problem


async def test_a_live_count_over_its_budget_becomes_the_planners_estimate(world):
    from domain.segments.queries import _count_within

    slow = ("p.id > 0 AND pg_sleep(0.01) IS NOT NULL", ())  # 10 ms per person: ~0.6 s
    count, exact = await _count_within(slow, 50)
    assert not exact and count > 0  # the planner's row estimate, returned in time
    count, exact = await _count_within(("p.id > 0", ()), 5000)
    assert exact and count == await fetchval("SELECT count(*) FROM people")
    preview = await queries.preview({"match": "all", "conditions": [
        {"field": "country", "op": "in", "value": ["DE"]}]}, now=NOW)
    assert preview.exact  # a small population counts well within the budget


async def test_a_rescore_marks_only_people_whose_score_changed(world):
    from domain.engagement import scoring

    await scoring.refresh_all(now=NOW)
    await fetch("TRUNCATE segment_dirty_people")
    await scoring.refresh_all(now=NOW)  # same moment: every row rewritten, none changed
    assert await fetchval("SELECT count(*) FROM segment_dirty_people") == 0
    person = await fetchval("SELECT min(id) FROM people")
    await fetch("INSERT INTO engagement_events (person, type, occurred_at, source, payload) "
                "VALUES ($1, 'event_attended', $2, 'test', '{}')", person, NOW)
    await fetch("TRUNCATE segment_dirty_people")
    await scoring.refresh_all(now=NOW)
    assert {r["person"] for r in await fetch("SELECT person FROM segment_dirty_people")} == {
        person}
