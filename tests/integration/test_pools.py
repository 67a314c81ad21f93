"""Talent pools against the real database: silver medalists land in their function's pool
(created once, skills accumulating), adding is idempotent and skips merged records,
stage moves touch exactly the chosen people, the member list pages by keyset, private
pools stay private, and tags are case-insensitive."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.accounts import service as accounts
from domain.db import fetch, fetchval
from domain.errors import Invalid, NotFound
from domain.people import tags
from domain.pipeline import silver
from domain.pools import queries, rules, service
from tests.events_support import person
from tests.jobs_support import create_requisition
from tests.silver_support import applicant

pytestmark = pytest.mark.usefixtures("clean_state")


async def _staff(clock, email: str = "rec@corp.test") -> int:
    user = await accounts.create_user(email=email, full_name="Rita Recruiter",
                                      roles=["recruiter"], password="a-long-test-password",
                                      clock=clock)
    return user.id


async def _reason() -> int:
    return int(await fetchval("SELECT id FROM rejection_reasons WHERE by = 'company' "
                              "AND is_active ORDER BY id LIMIT 1"))


async def test_a_silver_medalist_joins_the_pool_of_the_function_created_once(clock):
    author = await _staff(clock)
    backend = await create_requisition()
    data = await create_requisition("data-engineer", title="Data engineer",
                                    skills=("python", "spark"))
    ann = await applicant(backend["id"], "ann@example.com", "Ann Smith",
                          stage="Final interview", ratings=[4, 4], author=author)
    bob = await applicant(data["id"], "bob@example.com", "Bob Jones", stage="Offer",
                          ratings=[3, 4], author=author)
    for application in (ann, bob):
        await silver.reject_one(application, await _reason(), ticked=[application],
                                by="rec@corp.test", clock=clock)
    [pool] = await fetch("SELECT id, name, skills, auto_key, kind, visibility "
                         "FROM talent_pools")
    assert pool["name"] == "Silver medalists — Engineering"
    assert (pool["auto_key"], pool["kind"], pool["visibility"]) == \
        ("silver:engineering", "static", "shared")
    assert sorted(pool["skills"]) == ["postgresql", "python", "spark"]
    members = await fetch("SELECT person, stage, source FROM pool_members ORDER BY id")
    assert [(m["stage"], m["source"]) for m in members] == [
        ("interested", f"silver_medalist:application:{ann}"),
        ("interested", f"silver_medalist:application:{bob}")]
    assert await fetchval("SELECT count(*) FROM engagement_events WHERE type = 'pool_added'") == 2
    detail = await fetchval("SELECT detail->>'pool_id' FROM audit_entries "
                            "WHERE action = 'application.silver_medalist' LIMIT 1")
    assert int(detail) == pool["id"]


async def test_unticked_silver_medalist_is_not_pooled(clock):
    author = await _staff(clock)
    backend = await create_requisition()
    ann = await applicant(backend["id"], "ann@example.com", "Ann Smith",
                          stage="Final interview", ratings=[4, 4], author=author)
    await silver.reject_one(ann, await _reason(), ticked=[], by="rec@corp.test", clock=clock)
    assert await fetchval("SELECT count(*) FROM pool_members") == 0


async def test_adding_is_idempotent_keeps_stages_and_skips_merged_records(clock):
    owner = await _staff(clock)
    pool = await service.create(rules.parse_pool({"name": "Designers"}), owner_id=owner,
                                by="rec@corp.test", now=clock.now())
    a, b, c = [await person(f"{n}@example.com", n) for n in ("a", "b", "c")]
    await fetch("UPDATE people SET merged_into = $1 WHERE id = $2", a, c)
    assert await service.add_people(pool, [a, b, c], source="manual", by="x",
                                    at=clock.now()) == 2
    assert await service.set_stage(pool, [b], "ready", by="x", at=clock.now()) == 1
    assert await service.add_people(pool, [a, b], source="manual", by="x",
                                    at=clock.now()) == 0
    stages = {r["person"]: r["stage"] for r in await fetch(
        "SELECT person, stage FROM pool_members WHERE pool = $1", pool)}
    assert stages == {a: "lead", b: "ready"}
    with pytest.raises(Invalid):
        await service.set_stage(pool, [a], "no-such-stage", by="x", at=clock.now())


async def test_stage_moves_touch_exactly_the_selection(clock):
    owner = await _staff(clock)
    pool = await service.create(rules.parse_pool({"name": "Sales"}), owner_id=owner,
                                by="x", now=clock.now())
    people = [await person(f"p{i}@example.com", f"P {i}") for i in range(50)]
    await service.add_people(pool, people, source="bulk", by="x", at=clock.now())
    chosen = [people[3], people[17], people[42]]
    assert await service.set_stage(pool, chosen, "contacted", by="x", at=clock.now()) == 3
    moved = {r["person"] for r in await fetch(
        "SELECT person FROM pool_members WHERE pool = $1 AND stage = 'contacted'", pool)}
    assert moved == set(chosen)
    counts = {s: n for s, _, n in (await queries.pool(pool, owner))["stage_counts"]}
    assert counts["lead"] == 47 and counts["contacted"] == 3


async def test_members_page_by_keyset_without_gaps_or_repeats(clock):
    owner = await _staff(clock)
    pool = await service.create(rules.parse_pool({"name": "Data"}), owner_id=owner,
                                by="x", now=clock.now())
    people = [await person(f"k{i}@example.com", f"K {i}") for i in range(7)]
    for index, person_id in enumerate(people):  # same timestamp for some: id breaks ties
        await service.add_people(pool, [person_id], source="manual", by="x",
                                 at=clock.now() + timedelta(minutes=index // 2))
    seen, cursor = [], None
    while True:
        page = await queries.members(pool, cursor=cursor, limit=3)
        seen += [row["person"] for row in page.rows]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(people) and len(seen) == len(set(seen))
    with pytest.raises(Invalid):
        await queries.members(pool, cursor="not-a-cursor")


async def test_a_private_pool_is_visible_to_its_owner_only(clock):
    owner = await _staff(clock)
    other = await _staff(clock, "other@corp.test")
    private = await service.create(rules.parse_pool({"name": "Mine", "visibility": "private"}),
                                   owner_id=owner, by="x", now=clock.now())
    assert (await queries.pool(private, owner))["name"] == "Mine"
    with pytest.raises(NotFound):
        await queries.pool(private, other)
    assert [p["name"] for p in await queries.visible_pools(other)] == []
    with pytest.raises(Invalid) as taken:
        await service.create(rules.parse_pool({"name": "Mine"}), owner_id=other, by="y",
                             now=clock.now())
    assert "name" in taken.value.errors


def test_pool_form_rules():
    with pytest.raises(Invalid) as bad:
        rules.parse_pool({"name": " ", "visibility": "everyone", "stages": ",".join(
            f"s{i}" for i in range(20))})
    assert set(bad.value.errors) == {"name", "visibility", "stages"}
    values = rules.parse_pool({"name": "  Backend   folks ", "stages": "New, Called back,new"})
    assert values["name"] == "Backend folks"
    assert values["stages"] == ["new", "called_back"]
    assert rules.parse_pool({"name": "x"})["stages"] == ["lead", "contacted", "engaged",
                                                         "interested", "ready"]


async def test_tags_are_case_insensitive_and_keep_the_first_spelling(clock):
    a, b = await person("a@example.com", "A"), await person("b@example.com", "B")
    assert await tags.add_tags([a], ["Python Meetup"], by="x", at=clock.now()) == 1
    assert await tags.add_tags([a, b], ["python meetup", "Relocating"],
                               by="x", at=clock.now()) == 3
    assert await tags.tags_of(b) == ["Python Meetup", "Relocating"]
    assert await tags.tags_of(a) == ["Python Meetup", "Relocating"]
    assert await tags.remove_tag(a, "PYTHON MEETUP")
    assert await tags.tags_of(a) == ["Relocating"]
    assert tags.parse_tags(" a ,  b  c,A ") == ["a", "b c"]
    with pytest.raises(Invalid):
        tags.parse_tags(" , ")
