"""Talent pool pages: create with per-field errors, add by email (all-or-nothing with the
unknown addresses named), move exactly the ticked people, remove, and who may do it."""

from __future__ import annotations

import html

import pytest

from domain.db import fetch, fetchval
from tests.events_support import person, staff_browser

pytestmark = pytest.mark.usefixtures("clean_state")


async def _pool(browser, name: str = "Backend folks", **extra) -> int:
    response = await browser.submit("/backoffice/pools", {"name": name, "description": "",
                                                          "visibility": "shared",
                                                          "stages": "", **extra})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].split("/")[-1].split("?")[0])


async def test_create_add_move_remove(app):
    recruiter = await staff_browser(app, "rita@corp.test", ["recruiter"])
    bad = await recruiter.submit("/backoffice/pools", {"name": "", "visibility": "world",
                                                       "stages": ""})
    assert bad.status_code == 422
    assert "Give the pool a name" in bad.text and "Choose who can see the pool" in bad.text
    assert await fetchval("SELECT count(*) FROM talent_pools") == 0

    pool = await _pool(recruiter)
    people = [await person(f"p{i}@example.com", f"Person {i}") for i in range(5)]
    typo = await recruiter.submit(f"/backoffice/pools/{pool}/people",
                                  {"emails": "p0@example.com, nobody@example.com\np1@example.com"})
    assert typo.status_code == 422
    assert "Not in the CRM: nobody@example.com" in html.unescape(typo.text)
    assert await fetchval("SELECT count(*) FROM pool_members") == 0

    added = await recruiter.submit(f"/backoffice/pools/{pool}/people", {
        "emails": "\n".join(f"P{i}@Example.com" for i in range(5))})
    assert added.status_code == 200 and "Added 5 people." in added.text
    again = await recruiter.submit(f"/backoffice/pools/{pool}/people",
                                   {"emails": "p0@example.com"})
    assert "Added 0 people. 1 already in the pool." in again.text

    moved = await recruiter.submit(f"/backoffice/pools/{pool}/stage", [
        ("stage", "contacted"), ("person", str(people[1])), ("person", str(people[3]))])
    assert "Moved 2 to Contacted." in moved.text
    contacted = {r["person"] for r in await fetch(
        "SELECT person FROM pool_members WHERE stage = 'contacted'")}
    assert contacted == {people[1], people[3]}
    nothing = await recruiter.submit(f"/backoffice/pools/{pool}/stage", {"stage": "ready"})
    assert nothing.status_code == 422 and "Tick the people to move first." in nothing.text

    page = await recruiter.get(f"/backoffice/pools/{pool}?stage=contacted")
    assert "Person 1" in page.text and "Person 3" in page.text and "Person 0" not in page.text
    removed = await recruiter.submit(f"/backoffice/pools/{pool}/people/{people[1]}/remove", {})
    assert removed.status_code == 303
    assert await fetchval("SELECT count(*) FROM pool_members") == 4
    actions = {r["action"] for r in await fetch("SELECT action FROM audit_entries")}
    assert {"pool.created", "pool.people_added", "pool.stage_changed",
            "pool.person_removed"} <= actions


async def test_marketing_may_use_pools_hiring_managers_may_not(app):
    marketing = await staff_browser(app, "mia@corp.test", ["marketing"])
    pool = await _pool(marketing, "Newsletter VIPs", visibility="private")
    assert (await marketing.get(f"/backoffice/pools/{pool}")).status_code == 200
    recruiter = await staff_browser(app, "rita@corp.test", ["recruiter"])
    assert (await recruiter.get(f"/backoffice/pools/{pool}")).status_code == 404
    someone = await person("p@example.com", "P")
    assert (await recruiter.submit(f"/backoffice/pools/{pool}/people",
                                   {"emails": "p@example.com"})).status_code == 404
    assert (await recruiter.submit(f"/backoffice/pools/{pool}/people/{someone}/remove",
                                   {})).status_code == 404
    manager = await staff_browser(app, "hana@corp.test", ["hiring_manager"])
    assert (await manager.get("/backoffice/pools")).status_code == 403
    assert (await manager.submit("/backoffice/pools", {"name": "x"})).status_code == 403
