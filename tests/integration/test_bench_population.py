"""The benchmark population (`talentloop seed bench`): deterministic for a seed, shaped as
promised, refused a second time, scored like refresh() would, and every canonical B4
segment answers what the pure evaluator says on it."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, datetime

import pytest

from bench.b4_segments import SEGMENTS
from domain.db import execute, fetch, fetchval
from domain.demo import bench_population
from domain.demo.bench_population import COUNTRIES, seed_population, skill_slugs
from domain.engagement import scoring
from domain.errors import Conflict
from domain.segments import queries
from domain.segments.compiler import load_catalog
from domain.segments.definition import parse
from tests.segments_support import load_people, matches

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
N = 2_000

_CHECKSUM = """
SELECT md5(string_agg(concat_ws('|', p.email, p.source, p.created_at, pr.skills::text,
                                 pr.job_function, pr.seniority, pr.country, pr.time_zone,
                                 pr.work_modes::text, es.score, es.band), ',' ORDER BY p.email))
FROM people p LEFT JOIN profiles pr ON pr.person = p.id
LEFT JOIN engagement_scores es ON es.person = p.id
"""


async def _fingerprint() -> tuple:
    counts = {table: await fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608
              for table in ("people", "profiles", "community_memberships", "consent_records",
                            "engagement_events", "applications", "stage_transitions")}
    events = await fetchval("SELECT md5(string_agg(concat_ws('|', p.email, e.type, "
                            "e.occurred_at), ',' ORDER BY p.email, e.occurred_at, e.type)) "
                            "FROM engagement_events e JOIN people p ON p.id = e.person")
    return counts, await fetchval(_CHECKSUM), events


async def _reset() -> None:
    from domain.bootstrap import ensure_reference_data
    from domain.piccolo_app import APP_CONFIG
    from domain.ports import SystemClock

    tables = ", ".join(table._meta.tablename for table in APP_CONFIG.table_classes)
    await execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    await ensure_reference_data(clock=SystemClock(), company_name="Acme")


async def test_the_same_seed_gives_the_same_population_and_another_seed_another():
    first = await seed_population(people=N, seed=3, now=NOW)
    before = await _fingerprint()
    await _reset()
    await seed_population(people=N, seed=3, now=NOW)
    again = await _fingerprint()
    await _reset()
    await seed_population(people=N, seed=4, now=NOW)
    other = await _fingerprint()

    assert before == again
    assert before[0]["people"] == first.rows["people"] == N
    assert other[1] != before[1] and other[2] != before[2]


async def test_the_population_has_the_promised_shape():
    population = await seed_population(people=N, seed=1, now=NOW)
    profiles = await fetch("SELECT skills, country, time_zone FROM profiles")
    sizes = [len(row["skills"]) for row in profiles]
    per_skill = Counter(slug for row in profiles for slug in row["skills"])
    events = await fetchval("SELECT count(*) FROM engagement_events")
    applicants = await fetchval("SELECT count(DISTINCT person) FROM applications")
    zones = {code: zone for code, _, zone in COUNTRIES}

    assert population.rows["people"] == N
    assert 0.9 * N <= len(profiles) <= N
    assert 7 <= statistics.mean(sizes) <= 9
    # Zipf: the most common skill is far more common than the median one.
    assert per_skill.most_common(1)[0][1] >= 20 * statistics.median(per_skill.values())
    assert set(per_skill) <= set(skill_slugs())
    assert set(per_skill) <= {r["slug"] for r in await fetch("SELECT slug FROM skills")}
    assert 9 <= events / N <= 11
    assert 0.035 <= applicants / N <= 0.065
    assert all(zones[row["country"]] == row["time_zone"] for row in profiles)
    assert len({row["country"] for row in profiles}) >= 25
    bands = Counter(r["band"] for r in await fetch("SELECT band FROM engagement_scores"))
    assert bands["hot"] > 0 and bands["warm"] > 0 and bands["cold"] > bands["hot"]
    # Each application's transitions start at 'applied' and end at its current stage.
    assert await fetchval(
        "SELECT count(*) FROM applications a WHERE a.stage <> (SELECT t.to_stage FROM "
        "stage_transitions t WHERE t.application = a.id ORDER BY t.at DESC, t.id DESC "
        "LIMIT 1)") == 0
    assert await fetchval("SELECT count(*) FROM stage_transitions WHERE kind = 'applied'") == \
        await fetchval("SELECT count(*) FROM applications")


async def test_a_second_population_is_refused_and_demo_people_are_left_alone():
    await execute("INSERT INTO people (email, full_name, source, created_at, updated_at) "
                  "VALUES ('someone@example.com', 'Demo', 'demo', $1, $1)", NOW)
    await seed_population(people=200, seed=1, now=NOW)

    with pytest.raises(Conflict, match="already loaded"):
        await seed_population(people=200, seed=2, now=NOW)

    assert await bench_population.loaded() == 200
    assert await fetchval("SELECT count(*) FROM people") == 201
    assert await fetchval("SELECT full_name FROM people WHERE email = "
                          "'someone@example.com'") == "Demo"


async def test_scoring_everyone_at_once_writes_what_refresh_writes():
    await seed_population(people=N, seed=1, now=NOW)
    at_once = await fetch("SELECT * FROM engagement_scores ORDER BY person")
    await execute("DELETE FROM engagement_scores")
    await scoring.refresh_all(now=NOW)
    batched = await fetch("SELECT * FROM engagement_scores ORDER BY person")

    assert len(at_once) == N
    assert at_once == batched


@pytest.mark.parametrize("name", sorted(SEGMENTS))
async def test_every_canonical_segment_matches_the_evaluator_on_the_population(name):
    await seed_population(people=N, seed=1, now=NOW)
    group = parse(SEGMENTS[name])
    catalog = await load_catalog(group)
    people = await load_people()
    expected = sorted((pid for pid, person in people.items()
                       if matches(group, person, catalog, NOW)), reverse=True)

    assert await queries.member_ids(SEGMENTS[name], now=NOW) == expected
    assert await queries.count(SEGMENTS[name], now=NOW) == len(expected)
    assert len(expected) > 0


async def test_the_schema_keeps_every_index_it_had():
    indexes = ("SELECT tablename, indexname, indexdef FROM pg_indexes "
               "WHERE schemaname = 'public' ORDER BY 1, 2")
    before = await fetch(indexes)

    population = await seed_population(people=300, seed=1, now=NOW)

    assert await fetch(indexes) == before
    # The tables were empty, so their secondary indexes were rebuilt after the load.
    assert "engagement_events_indexes" in population.seconds


async def test_the_schema_keeps_every_foreign_key_it_had():
    keys = ("SELECT conrelid::regclass::text AS tab, conname, pg_get_constraintdef(oid) AS d, "
            "convalidated FROM pg_constraint WHERE contype = 'f' ORDER BY 1, 2")
    before = await fetch(keys)

    population = await seed_population(people=300, seed=1, now=NOW)

    assert await fetch(keys) == before
    # Dropped before the load of an empty table and added back (validated) after it.
    assert "engagement_events_foreign_keys" in population.seconds


async def test_segment_triggers_are_back_on_and_saved_segments_get_rebuilt():
    triggers = ("SELECT tgrelid::regclass::text AS tab, tgname, tgenabled FROM pg_trigger "
                "WHERE NOT tgisinternal ORDER BY 1, 2")
    before = await fetch(triggers)
    assert before and {row["tgenabled"] for row in before} == {b"O"}  # "O": on
    await fetch("INSERT INTO segment_audiences (key, definition, time_relative, member_count, "
                "problem, created_at, built_at) VALUES ('k', '{}', false, 0, '', $1, $1)", NOW)

    await seed_population(people=300, seed=1, now=NOW)

    assert await fetch(triggers) == before  # enabled again after the load
    # No per-person notes from the load: every audience is rebuilt over everyone instead.
    assert await fetchval("SELECT count(*) FROM segment_dirty_people") == 0
    assert await fetchval("SELECT built_at FROM segment_audiences WHERE key = 'k'") is None
