"""The skills taxonomy on PostgreSQL: merging rewrites exactly the references (profiles,
requisitions, pools), mapping unmatched text moves it for everyone who wrote it, the
seed file never undoes an admin's change, and the cached index follows every change."""

from __future__ import annotations

import json

import pytest

from domain.db import fetch, fetchval, transaction
from domain.errors import Invalid
from domain.profiles import service as profiles
from domain.profiles.service import ProfileUpdate
from domain.skills import normalise, queries, service
from domain.skills.rules import SkillDraft
from tests.events_support import person
from tests.jobs_support import create_requisition


async def skill_id(slug: str) -> int:
    return await fetchval("SELECT id FROM skills WHERE slug = $1", slug)


async def profile(email: str, skills: tuple[str, ...], unmatched: tuple[str, ...] = (),
                  clock=None) -> int:
    person_id = await person(email)
    await profiles.update_profile(person_id, ProfileUpdate(
        full_name="Ann Smith", skills=skills, unmatched_skills=unmatched), clock=clock)
    return person_id


async def skills_of(person_id: int) -> tuple[list[str], list[str]]:
    rows = await fetch("SELECT skills, unmatched_skills FROM profiles WHERE person = $1",
                       person_id)
    return list(rows[0]["skills"]), list(rows[0]["unmatched_skills"])


async def pool(name: str, skills: list[str]) -> int:
    return await fetchval(
        "INSERT INTO talent_pools (name, skills, created_at, updated_at) "
        "VALUES ($1, $2, now(), now()) RETURNING id", name, skills)


async def test_merge_rewrites_exactly_the_references_and_the_preview_counted_them(clock):
    only_a = await profile("a@example.com", ("python", "keras", "sql"), clock=clock)
    both = await profile("b@example.com", ("keras", "sql", "deep-learning"), clock=clock)
    neither = await profile("c@example.com", ("python",), clock=clock)
    req_required = await create_requisition("ml-1", skills=("keras", "python"))
    req_both = await create_requisition("ml-2", skills=("deep-learning",))
    await fetch("UPDATE requisitions SET nice_skills = ARRAY['keras'] WHERE id = $1",
                req_both["id"])
    pool_a = await pool("Keras people", ["keras", "deep-learning"])
    pool_other = await pool("SQL people", ["sql"])

    preview = (await queries.skill(await skill_id("keras")))["usage"]
    assert preview == {"profiles.skills": 2, "requisitions.required_skills": 1,
                       "requisitions.nice_skills": 1, "talent_pools.skills": 1}
    counts = await service.merge(await skill_id("keras"), await skill_id("deep-learning"),
                                 by="admin@test.local", clock=clock)
    assert {k: v for k, v in counts.items() if k != "skills.parent"} == preview

    assert await skills_of(only_a) == (["python", "deep-learning", "sql"], [])
    assert await skills_of(both) == (["deep-learning", "sql"], [])  # deduplicated
    assert await skills_of(neither) == (["python"], [])
    reqs = {r["id"]: (list(r["required_skills"]), list(r["nice_skills"])) for r in await fetch(
        "SELECT id, required_skills, nice_skills FROM requisitions")}
    assert reqs[req_required["id"]] == (["deep-learning", "python"], [])
    assert reqs[req_both["id"]] == (["deep-learning"], [])  # not nice-to-have as well
    pools = {r["id"]: list(r["skills"]) for r in await fetch("SELECT id, skills FROM talent_pools")}
    assert pools == {pool_a: ["deep-learning"], pool_other: ["sql"]}

    assert await fetchval("SELECT count(*) FROM skills WHERE slug = 'keras'") == 0
    synonyms = await fetchval("SELECT synonyms FROM skills WHERE slug = 'deep-learning'")
    assert "Keras" in synonyms
    entry = await fetch("SELECT detail FROM audit_entries WHERE action = 'skills.merged'")
    assert json.loads(entry[0]["detail"])["counts"]["profiles.skills"] == 2
    # The merged spelling now means the target, and the seed file does not bring it back.
    assert await normalise.normalise(["keras"]) == (["deep-learning"], [])
    await profiles.ensure_skills()
    assert await fetchval("SELECT count(*) FROM skills WHERE slug = 'keras'") == 0


async def test_merge_moves_children_and_refuses_itself(clock):
    ml, data_science = await skill_id("machine-learning"), await skill_id("data-science")
    children = await fetchval("SELECT count(*) FROM skills WHERE parent = $1", ml)
    counts = await service.merge(ml, data_science, by="admin@test.local", clock=clock)
    assert counts["skills.parent"] == children > 0
    parent = await fetchval("SELECT p.slug FROM skills c JOIN skills p ON p.id = c.parent "
                            "WHERE c.slug = 'pytorch'")
    assert parent == "data-science"
    # data-science sat under nothing; machine-learning sat under data-science: no loop.
    assert await fetchval("SELECT parent FROM skills WHERE id = $1", data_science) is None
    with pytest.raises(Invalid):
        await service.merge(data_science, data_science, by="admin@test.local", clock=clock)


async def test_edits_refuse_cycles_and_clashes_and_survive_the_seed(clock):
    ml = await skill_id("machine-learning")
    with pytest.raises(Invalid) as cycle:
        await service.update(ml, SkillDraft("Machine learning", "data", "pytorch", ()),
                             by="admin@test.local", clock=clock)
    assert set(cycle.value.errors) == {"parent"}
    with pytest.raises(Invalid) as clash:
        await service.update(ml, SkillDraft("Statistics", "data", "", ("k8s",)),
                             by="admin@test.local", clock=clock)
    assert set(clash.value.errors) == {"name", "synonyms"}
    await service.update(ml, SkillDraft("Machine learning (ML)", "data", "", ("ML", "AI/ML")),
                         by="admin@test.local", clock=clock)
    await profiles.ensure_skills()  # the file seeds; it never renames or re-parents
    rows = await fetch("SELECT name, parent, synonyms FROM skills WHERE id = $1", ml)
    assert rows == [{"name": "Machine learning (ML)", "parent": None,
                     "synonyms": ["ML", "AI/ML"]}]
    assert await normalise.normalise(["ai/ml"]) == (["machine-learning"], [])


async def test_mapping_unmatched_text_moves_it_for_everyone_who_wrote_it(clock):
    ann = await profile("ann@example.com", ("python",), ("Pager wrangling", "Chess"), clock)
    bob = await profile("bob@example.com", ("devops",), ("pager WRANGLING",), clock)
    cy = await profile("cy@example.com", ("go",), ("Chess",), clock)
    listed = await queries.unmatched()
    assert [(e["key"], e["people"]) for e in listed] == [("chess", 2), ("pager wrangling", 2)]

    moved = await service.map_unmatched("Pager wrangling", "site-reliability-engineering",
                                        by="admin@test.local", clock=clock)
    assert moved == 2
    assert await skills_of(ann) == (["python", "site-reliability-engineering"], ["Chess"])
    assert await skills_of(bob) == (["devops", "site-reliability-engineering"], [])
    assert await skills_of(cy) == (["go"], ["Chess"])
    assert await normalise.normalise(["pager-wrangling"]) == (
        ["site-reliability-engineering"], [])

    with pytest.raises(Invalid):  # "golang" already means Go
        await service.map_unmatched("golang", "python", by="admin@test.local", clock=clock)

    skill, moved = await service.add_unmatched(
        "Chess", SkillDraft("Chess", "operations", "", ()), by="admin@test.local", clock=clock)
    assert moved == 2 and skill["slug"] == "chess"
    assert await skills_of(cy) == (["go", "chess"], [])
    assert await queries.unmatched() == []


async def test_adding_a_skill_is_matched_at_once_and_duplicates_are_refused(clock):
    assert await normalise.normalise(["Vector DB"]) == ([], ["Vector DB"])
    await service.add(SkillDraft("Vector databases", "data", "data-engineering", ("vector db",)),
                      by="admin@test.local", clock=clock)
    assert await normalise.normalise(["vector-DB", "Vector databse"]) == (
        ["vector-databases"], [])
    with pytest.raises(Invalid) as twice:
        await service.add(SkillDraft("Vector Databases", "data", "", ()),
                          by="admin@test.local", clock=clock)
    assert set(twice.value.errors) == {"name"}
    with pytest.raises(Invalid) as bad_parent:
        await service.add(SkillDraft("Graph databases", "data", "no-such-skill", ()),
                          by="admin@test.local", clock=clock)
    assert set(bad_parent.value.errors) == {"parent"}
    assert await fetchval("SELECT count(*) FROM skills WHERE slug = 'graph-databases'") == 0


async def test_merge_uses_the_gin_index_on_profile_skills():
    async with transaction():  # tiny tables: ask what the planner could use
        await fetch("SET LOCAL enable_seqscan = off")
        plan = await fetch("EXPLAIN SELECT count(*) FROM profiles "
                           "WHERE skills @> ARRAY['x'::varchar]")
    assert "profiles_skills_gin_idx" in " ".join(r["QUERY PLAN"] for r in plan)
