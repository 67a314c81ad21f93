"""Segments against the real database: every condition type, nested groups, the pure
evaluator agreeing with the SQL for random definitions (hypothesis), hostile values, and
index use for the canonical segments (EXPLAIN)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.db import fetch
from domain.errors import Invalid
from domain.segments import queries
from domain.segments.compiler import (
    BASE_FROM,
    BASE_WHERE,
    compile_segment,
    load_catalog,
)
from domain.segments.definition import FIELDS, STAGE_KINDS, parse
from tests.jobs_support import create_requisition
from tests.segments_support import (
    COMMUNITIES,
    COUNTRIES,
    EVENTS,
    FUNCTIONS,
    MODES,
    NOW,
    SENIORITIES,
    SKILLS,
    SOURCES,
    TAGS,
    ZONES,
    build_population,
    load_people,
    matches,
)

pytestmark = pytest.mark.usefixtures("clean_state")


@pytest.fixture
async def world():
    await create_requisition("backend", title="Backend")
    await create_requisition("frontend", title="Frontend", skills=("react",))
    refs = await build_population()
    return refs


async def sql_ids(definition: dict) -> set[int]:
    where, args = await queries.compiled_sql(definition, now=NOW)
    rows = await fetch(f"SELECT p.id {BASE_FROM} WHERE {where}", *args)
    return {row["id"] for row in rows}


async def oracle_ids(definition: dict) -> set[int]:
    group = parse(definition)
    catalog = await load_catalog(group)
    people = await load_people()
    return {pid for pid, person in people.items() if matches(group, person, catalog, NOW)}


def one(field: str, op: str, value=None, **extra) -> dict:
    condition = {"field": field, "op": op, **extra}
    if value is not None:
        condition["value"] = value
    return {"match": "all", "conditions": [condition]}


def examples(refs: dict) -> list[dict]:
    """At least one definition per field and operator."""
    values = {
        "skills": ["machine-learning", "react"], "job_function": ["engineering", "data"],
        "seniority": ["senior"], "country": ["DE", "US"], "time_zone": ["Europe/Berlin"],
        "work_mode": ["remote"], "community": ["engineering"], "consent": "community_emails",
        "engagement_score": {"min": 25, "max": 80}, "engagement_band": ["hot", "cold"],
        "last_engaged": 90, "event": {"events": ["meetup-a"], "within_days": None},
        "content_viewed": 60, "application": refs["requisitions"][:1],
        "furthest_stage": "interview", "rejection_reason": refs["reasons"][:2],
        "source": ["import"], "tag": ["relocating", "VIP"], "created": "2025-06-01",
        "pool": [refs["pool"]],
    }
    out = []
    for field, ops in FIELDS.items():
        for op, (kind, _) in ops.items():
            value = None if kind == "none" else values[field]
            if field == "created" and op == "within_days":
                value = 365
            out.append(one(field, op, value))
    out.append(one("engagement_score", "between", {"min": 0, "max": 30}))
    out.append(one("skills", "all", ["machine-learning"], children=False))
    out.append(one("event", "attended", {"events": [], "within_days": 30}))
    return out


async def test_every_field_and_operator_agrees_with_the_evaluator(world):
    seen_nonempty = 0
    for definition in examples(world):
        expected = await oracle_ids(definition)
        assert await sql_ids(definition) == expected, json.dumps(definition)
        assert await queries.count(definition, now=NOW) == len(expected)
        seen_nonempty += bool(expected)
    # The population is varied enough that most conditions select someone.
    assert seen_nonempty >= len(examples(world)) * 0.8


async def test_child_skills_count_unless_switched_off(world):
    parents = {row["slug"]: row["parent"] for row in await fetch(
        "SELECT s.slug, p.slug AS parent FROM skills s LEFT JOIN skills p ON p.id = s.parent "
        "WHERE s.slug = 'pytorch'")}
    assert parents == {"pytorch": "machine-learning"}
    with_children = await sql_ids(one("skills", "any", ["machine-learning"]))
    without = await sql_ids(one("skills", "any", ["machine-learning"], children=False))
    pytorch_only = await sql_ids(one("skills", "any", ["pytorch"]))
    assert without < with_children and pytorch_only - without <= with_children


async def test_nested_groups(world):
    definition = {"match": "all", "conditions": [
        {"field": "skills", "op": "any", "value": ["python", "react"]},
        {"match": "any", "conditions": [
            {"field": "country", "op": "in", "value": ["DE"]},
            {"match": "all", "conditions": [
                {"field": "engagement_band", "op": "in", "value": ["hot"]},
                {"field": "tag", "op": "none", "value": ["vip"]}]}]}]}
    expected = await oracle_ids(definition)
    assert expected and await sql_ids(definition) == expected
    preview = await queries.preview(definition, now=NOW)
    assert preview.count == len(expected)
    assert [row["id"] for row in preview.rows] == sorted(expected, reverse=True)[:50]


async def test_pages_by_keyset(world):
    definition = one("source", "in", list(SOURCES))
    everyone, after = [], None
    while True:
        rows, after = await queries.page(definition, now=NOW, after=after, limit=7)
        everyone += [row["id"] for row in rows]
        if after is None:
            break
    assert everyone == sorted(everyone, reverse=True)
    assert len(everyone) == len(set(everyone)) == await queries.count(definition, now=NOW)


async def test_unknown_references_name_the_condition(world):
    bad = {"match": "all", "conditions": [
        {"field": "country", "op": "in", "value": ["DE"]},
        {"match": "any", "conditions": [
            {"field": "community", "op": "member_of", "value": ["no-such-community"]}]}]}
    with pytest.raises(Invalid) as error:
        await queries.count(bad, now=NOW)
    assert str(error.value) == "conditions[1].conditions[0]: no community 'no-such-community'."
    with pytest.raises(Invalid, match=r"conditions\[0\]: no skill 'cobol-9000'"):
        await queries.count(one("skills", "any", ["cobol-9000"]), now=NOW)
    with pytest.raises(Invalid, match="no event 'nope'"):
        await queries.count(one("event", "registered", {"events": ["nope"]}), now=NOW)


HOSTILE = ["'; DROP TABLE people; --", "\\", "%", "_", "' OR '1'='1", "\x00x", "ü" * 120,
           "$1", "::text", "); SELECT pg_sleep(10); --"]


@pytest.mark.parametrize("value", HOSTILE)
async def test_hostile_text_is_a_value_never_sql(world, value):
    for field in ("source", "tag"):
        try:
            definition = one(field, "in" if field == "source" else "any", [value])
            parse(definition)
        except Invalid:
            continue  # refused by validation: fine, and says why
        assert await sql_ids(definition) == await oracle_ids(definition)
    assert await fetch("SELECT count(*) AS n FROM people")  # the table is still there


def _condition_strategy(refs: dict):
    choices = {
        "skills": st.lists(st.sampled_from(SKILLS), min_size=1, max_size=3),
        "job_function": st.lists(st.sampled_from(FUNCTIONS), min_size=1, max_size=2),
        "seniority": st.lists(st.sampled_from(SENIORITIES), min_size=1, max_size=2),
        "country": st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=2),
        "time_zone": st.lists(st.sampled_from(ZONES), min_size=1, max_size=2),
        "work_mode": st.lists(st.sampled_from(MODES), min_size=1, max_size=2),
        "community": st.lists(st.sampled_from(COMMUNITIES), min_size=1, max_size=2),
        "consent": st.sampled_from(["community_emails", "event_emails"]),
        "engagement_score": st.tuples(st.integers(0, 100), st.integers(0, 100)).map(
            lambda t: {"min": min(t), "max": max(t)}),
        "engagement_band": st.lists(st.sampled_from(["cold", "warm", "hot"]), min_size=1,
                                    max_size=2),
        "last_engaged": st.integers(1, 500),
        "event": st.fixed_dictionaries({
            "events": st.lists(st.sampled_from(EVENTS), max_size=2),
            "within_days": st.one_of(st.none(), st.integers(1, 400))}),
        "content_viewed": st.integers(1, 300),
        "application": st.lists(st.sampled_from(refs["requisitions"]), min_size=1, max_size=2),
        "furthest_stage": st.sampled_from(STAGE_KINDS),
        "rejection_reason": st.lists(st.sampled_from(refs["reasons"]), min_size=1, max_size=2),
        "source": st.lists(st.sampled_from(SOURCES), min_size=1, max_size=2),
        "tag": st.lists(st.sampled_from([t.upper() for t in TAGS] + list(TAGS)), min_size=1,
                        max_size=2),
        "created": st.sampled_from(["2025-01-01", "2026-06-30"]),
        "pool": st.just([refs["pool"]]),
    }

    @st.composite
    def condition(draw):
        field = draw(st.sampled_from(sorted(FIELDS)))
        op = draw(st.sampled_from(sorted(FIELDS[field])))
        kind = FIELDS[field][op][0]
        out = {"field": field, "op": op}
        if kind == "days" and field == "created":
            out["value"] = draw(st.integers(1, 900))
        elif kind != "none":
            out["value"] = draw(choices[field])
        if field == "skills" and draw(st.booleans()):
            out["children"] = False
        return out

    return condition()


def _definition_strategy(refs: dict):
    """Nested up to the allowed depth: top group → group → group of conditions."""
    leaf = _condition_strategy(refs)

    def group(inner):
        return st.fixed_dictionaries({"match": st.sampled_from(["all", "any"]),
                                      "conditions": st.lists(inner, min_size=1, max_size=3)})

    level3 = group(leaf)
    level2 = group(st.one_of(leaf, level3))
    return group(st.one_of(leaf, leaf, level2))


async def test_random_definitions_agree_with_the_evaluator(world):
    """Hypothesis over nested definitions of every condition type: the SQL and the pure
    evaluator select exactly the same people."""
    people = await load_people()
    strategy = _definition_strategy(world)
    drawn: list[dict] = []

    @settings(max_examples=120, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(definition):
        drawn.append(definition)

    collect()
    for definition in drawn:
        group = parse(definition)
        catalog = await load_catalog(group)
        expected = {pid for pid, p in people.items() if matches(group, p, catalog, NOW)}
        compiled = compile_segment(group, catalog, now=NOW)
        rows = await fetch(f"SELECT p.id {BASE_FROM} WHERE {BASE_WHERE} AND "
                           f"{compiled.where}", *compiled.args)
        assert {row["id"] for row in rows} == expected, json.dumps(definition)


CANONICAL = {
    "ml-engineers-in-germany": ({"match": "all", "conditions": [
        {"field": "skills", "op": "all", "value": ["machine-learning", "python"]},
        {"field": "country", "op": "in", "value": ["DE"]}]}, ("profiles_skills_gin_idx",)),
    "senior-data-people": ({"match": "all", "conditions": [
        {"field": "job_function", "op": "in", "value": ["data"]},
        {"field": "seniority", "op": "in", "value": ["principal"]}]},
        ("profiles_function_seniority_idx",)),
    "hot-and-recent": ({"match": "all", "conditions": [
        {"field": "engagement_score", "op": "between", "value": {"min": 90, "max": 100}},
        {"field": "last_engaged", "op": "within_days", "value": 3}]},
        ("engagement_scores_score", "engagement_scores_last_engaged_at")),
}

# 20,000 people: rare skills, functions and high scores, so the selective canonical
# segments are worth an index (at a few dozen rows a sequential scan is rightly cheaper).
_SCALE_SQL = [
    "INSERT INTO people (email, full_name, source, created_at, updated_at) "
    "SELECT 'bulk' || g || '@example.com', 'Bulk ' || g, 'import', $1, $1 "
    "FROM generate_series(1, 20000) g",
    "INSERT INTO profiles (person, skills, job_function, seniority, country, updated_at) "
    "SELECT id, CASE WHEN id % 300 = 0 THEN ARRAY['python', 'machine-learning'] "
    "                WHEN id % 3 = 0 THEN ARRAY['python'] ELSE ARRAY['react'] END::varchar[], "
    "CASE WHEN id % 200 = 0 THEN 'data' ELSE 'engineering' END, "
    "CASE WHEN id % 150 = 0 THEN 'principal' ELSE 'mid' END, "
    "CASE WHEN id % 4 = 0 THEN 'DE' ELSE 'US' END, $1 FROM people "
    "WHERE email LIKE 'bulk%'",
    "INSERT INTO engagement_scores (person, score, band, last_engaged_at, computed_at) "
    "SELECT id, (id % 100)::smallint, 'warm', $1::timestamptz - (id % 365) * interval '1 day', $1 "
    "FROM people WHERE email LIKE 'bulk%'",
]


@pytest.mark.parametrize("name", sorted(CANONICAL))
async def test_canonical_segments_use_their_indexes(name):
    """EXPLAIN of the compiled count: the plan reaches the rows through the indexes the
    design names, chosen by the planner on its own at 20,000 people."""
    for statement in _SCALE_SQL:
        await fetch(statement, NOW)
    await fetch("ANALYZE people")
    await fetch("ANALYZE profiles")
    await fetch("ANALYZE engagement_scores")
    definition, indexes = CANONICAL[name]
    where, args = await queries.compiled_sql(definition, now=NOW)
    plan = await fetch(f"EXPLAIN (FORMAT JSON) SELECT count(*) {BASE_FROM} "
                       f"WHERE {where}", *args)
    text = json.dumps(plan[0])
    assert all(index in text for index in indexes), (name, text[:3000])
    assert await queries.count(definition, now=NOW) > 0
