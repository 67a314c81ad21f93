"""Saved segments and dynamic pools read their maintained membership once the worker has
built it: the list shows member counts, the pages say how current they are, and a change
to someone shows up after the next refresh without rebuilding."""

from __future__ import annotations

import json

import pytest

from domain.db import fetch, fetchval
from domain.segments import membership
from tests.events_support import person, staff_browser

pytestmark = pytest.mark.usefixtures("clean_state")

GERMANS = {"match": "all", "conditions": [{"field": "country", "op": "in", "value": ["DE"]}]}


async def _germans_and_french() -> list[int]:
    ids = []
    for n, country in enumerate(("DE", "DE", "FR")):
        pid = await person(f"p{n}@example.com", f"Person {n}")
        await fetch("INSERT INTO profiles (person, country, updated_at) VALUES ($1, $2, now())",
                    pid, country)
        ids.append(pid)
    return ids


async def test_counts_come_from_the_maintained_membership(app, clock):
    recruiter = await staff_browser(app, "rita@corp.test", ["recruiter"])
    ids = await _germans_and_french()
    saved = await recruiter.submit("/backoffice/segments", {
        "name": "Germany", "description": "", "visibility": "shared",
        "definition": json.dumps(GERMANS)})
    assert saved.status_code in (200, 303)
    segment_id = await fetchval("SELECT id FROM segments WHERE name = 'Germany'")
    listing = await recruiter.get("/backoffice/segments")
    assert "counting…" in listing.text  # registered, not built yet
    page = await recruiter.get(f"/backoffice/segments/{segment_id}")
    assert 'data-segment-count="2"' in page.text and "kept up to date" not in page.text

    await membership.tick(now=clock.now())
    listing = await recruiter.get("/backoffice/segments")
    assert "counting…" not in listing.text
    page = await recruiter.get(f"/backoffice/segments/{segment_id}")
    assert 'data-segment-count="2"' in page.text and "kept up to date" in page.text

    await fetch("UPDATE profiles SET country = 'DE' WHERE person = $1", ids[2])
    await membership.tick(now=clock.now())
    page = await recruiter.get(f"/backoffice/segments/{segment_id}")
    assert 'data-segment-count="3"' in page.text
    assert f"/backoffice/candidates/{ids[2]}" in page.text


async def test_a_dynamic_pool_pages_through_its_membership(app, clock):
    recruiter = await staff_browser(app, "rita@corp.test", ["recruiter"])
    for n in range(55):
        pid = await person(f"de{n}@example.com", f"German {n}")
        await fetch("INSERT INTO profiles (person, country, updated_at) VALUES ($1, 'DE', now())",
                    pid)
    await recruiter.submit("/backoffice/segments", {
        "name": "Germany", "description": "", "visibility": "shared",
        "definition": json.dumps(GERMANS)})
    segment_id = await fetchval("SELECT id FROM segments WHERE name = 'Germany'")
    await recruiter.submit(f"/backoffice/segments/{segment_id}/pool", {})
    pool_id = await fetchval("SELECT id FROM talent_pools WHERE kind = 'dynamic'")
    await membership.tick(now=clock.now())
    first = await recruiter.get(f"/backoffice/pools/{pool_id}")
    assert "55 people now" in first.text and "kept up to date" in first.text
    newest = await fetchval("SELECT max(id) FROM people")
    assert f"/backoffice/candidates/{newest}" in first.text
    cursor = await fetchval("SELECT id FROM people ORDER BY id DESC OFFSET 49 LIMIT 1")
    second = await recruiter.get(f"/backoffice/pools/{pool_id}?after={cursor}")
    oldest = await fetchval("SELECT min(id) FROM people")
    assert f"/backoffice/candidates/{oldest}" in second.text
    assert f"/backoffice/candidates/{newest}" not in second.text
