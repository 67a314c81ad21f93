"""Segment pages: the live preview (count, first page, or the problem naming the
condition), saving with per-field errors and nothing half-saved, the JSON form, dynamic
pools made from a segment (evaluated live, snapshotted daily), and who may do it."""

from __future__ import annotations

import html
import json

import pytest

from domain.db import fetch, fetchval
from domain.pools import snapshots
from tests.events_support import person, staff_browser

pytestmark = pytest.mark.usefixtures("clean_state")

GERMANS = {"match": "all", "conditions": [{"field": "country", "op": "in", "value": ["DE"]}]}


async def _people() -> list[int]:
    ids = []
    for n, country in enumerate(("DE", "DE", "FR", "DE")):
        pid = await person(f"p{n}@example.com", f"Person {n}")
        await fetch("INSERT INTO profiles (person, country, updated_at) VALUES ($1, $2, now())",
                    pid, country)
        ids.append(pid)
    return ids


async def test_preview_counts_and_names_problems(app):
    recruiter = await staff_browser(app, "rita@corp.test", ["recruiter"])
    ids = await _people()
    page = await recruiter.submit("/backoffice/segments/preview",
                                  {"definition": json.dumps(GERMANS)})
    assert page.status_code == 200 and 'data-segment-count="3"' in page.text
    assert f"/backoffice/candidates/{ids[3]}" in page.text
    assert f"/backoffice/candidates/{ids[2]}" not in page.text
    nested = {"match": "all", "conditions": [GERMANS["conditions"][0], {"match": "any",
              "conditions": [{"field": "country", "op": "in", "value": ["Germany"]}]}]}
    bad = await recruiter.submit("/backoffice/segments/preview",
                                 {"definition": json.dumps(nested)})
    text = html.unescape(bad.text)
    assert "conditions[1].conditions[0]: 'Germany' is not a two-letter country code" in text
    assert 'data-problem-path="conditions[1].conditions[0]"' in text
    broken = await recruiter.submit("/backoffice/segments/preview", {"definition": "{oops"})
    assert "not valid JSON (line 1, column 2)" in broken.text


async def test_save_errors_then_save_then_dynamic_pool(app, clock):
    recruiter = await staff_browser(app, "rita@corp.test", ["recruiter"])
    await _people()
    bad = await recruiter.submit("/backoffice/segments", {
        "name": "", "visibility": "shared", "definition": json.dumps({"match": "all",
                                                                      "conditions": []})})
    assert bad.status_code == 422
    text = html.unescape(bad.text)
    assert "Give the segment a name" in text and "add at least one condition" in text
    assert await fetchval("SELECT count(*) FROM segments") == 0

    saved = await recruiter.submit("/backoffice/segments", {
        "name": "Germans", "description": "", "visibility": "shared",
        "definition": json.dumps(GERMANS)})
    assert saved.status_code == 303
    segment_id = int(saved.headers["location"].split("/")[-1].split("?")[0])
    stored = await fetchval("SELECT definition FROM segments WHERE id = $1", segment_id)
    assert json.loads(stored) == GERMANS
    page = await recruiter.get(f"/backoffice/segments/{segment_id}")
    assert page.status_code == 200 and 'data-segment-count="3"' in page.text

    made = await recruiter.submit(f"/backoffice/segments/{segment_id}/pool", {})
    assert made.status_code == 303
    pool_id = int(made.headers["location"].split("/")[-1].split("?")[0])
    pool = await recruiter.get(f"/backoffice/pools/{pool_id}")
    assert "3 people now" in pool.text
    # Live: a fourth German appears without anyone touching the pool.
    late = await person("late@example.com", "Late Comer")
    await fetch("INSERT INTO profiles (person, country, updated_at) VALUES ($1, 'DE', now())",
                late)
    assert "4 people now" in (await recruiter.get(f"/backoffice/pools/{pool_id}")).text
    again = await recruiter.submit(f"/backoffice/segments/{segment_id}/pool", {})
    assert again.status_code == 422 and "exists already" in html.unescape(again.text)
    # Nobody can be hand-added to a dynamic pool.
    refused = await recruiter.submit(f"/backoffice/pools/{pool_id}/people",
                                     {"emails": "p0@example.com"})
    assert refused.status_code in (400, 409, 422)
    assert await fetchval("SELECT count(*) FROM pool_members") == 0
    # The nightly snapshot records today's size, twice → one row.
    for _ in range(2):
        await snapshots.take(now=clock.now())
    rows = await fetch("SELECT members FROM pool_snapshots WHERE pool = $1", pool_id)
    assert [r["members"] for r in rows] == [4]


async def test_private_segments_and_roles(app):
    marketing = await staff_browser(app, "mia@corp.test", ["marketing"])
    saved = await marketing.submit("/backoffice/segments", {
        "name": "Mine", "visibility": "private", "definition": json.dumps(GERMANS)})
    segment_id = int(saved.headers["location"].split("/")[-1].split("?")[0])
    recruiter = await staff_browser(app, "rita@corp.test", ["recruiter"])
    assert (await recruiter.get(f"/backoffice/segments/{segment_id}")).status_code == 404
    assert (await recruiter.submit(f"/backoffice/segments/{segment_id}/delete",
                                   {})).status_code == 404
    taken = await recruiter.submit("/backoffice/segments", {
        "name": "Mine", "visibility": "shared", "definition": json.dumps(GERMANS)})
    assert taken.status_code == 422 and "Another segment has this name" in taken.text
    manager = await staff_browser(app, "hana@corp.test", ["hiring_manager"])
    assert (await manager.get("/backoffice/segments")).status_code == 403
    assert (await manager.submit("/backoffice/segments/preview",
                                 {"definition": json.dumps(GERMANS)})).status_code == 403
    deleted = await marketing.submit(f"/backoffice/segments/{segment_id}/delete", {})
    assert deleted.status_code == 303
    assert await fetchval("SELECT count(*) FROM segments") == 0
