"""Bulk action pages: from the pool page's ticked rows to a confirmation with the count,
then the action's page; "all N" from a pool, a segment and a dynamic pool; per-field
errors; the export download for its creator or an admin only; who may do any of it."""

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


async def _filled_pool(browser, n: int = 6) -> tuple[int, list[int]]:
    pool = await _pool(browser)
    people = [await person(f"p{i}@example.com", f"Person {i}") for i in range(n)]
    await browser.submit(f"/backoffice/pools/{pool}/people",
                         {"emails": "\n".join(f"p{i}@example.com" for i in range(n))})
    return pool, people


async def test_tag_the_ticked_people_from_the_pool_page(app):
    rita = await staff_browser(app, "rita@corp.test", ["recruiter"])
    pool, people = await _filled_pool(rita)
    detail = await rita.get(f"/backoffice/pools/{pool}")
    assert 'formaction="/backoffice/bulk/confirm"' in detail.text
    assert "Act on all 6 in this pool" in html.unescape(detail.text)
    ticked = [("pool", str(pool)), ("in_stage", ""), ("scope", "selection"),
              ("person", str(people[1])), ("person", str(people[4]))]
    confirm = await rita.submit("/backoffice/bulk/confirm", ticked)
    assert confirm.status_code == 200
    assert 'data-bulk-count="2"' in confirm.text and "Exactly the people you ticked" in \
        confirm.text
    missing = await rita.submit("/backoffice/bulk/confirm",
                                [*ticked, ("confirmed", "yes"), ("kind", "tag")])
    assert missing.status_code == 422 and "Type a tag" in html.unescape(missing.text)
    done = await rita.submit("/backoffice/bulk/confirm",
                             [*ticked, ("confirmed", "yes"), ("kind", "tag"),
                              ("tags", "Shortlist")])
    assert done.status_code == 303
    page = await rita.get(done.headers["location"])
    assert page.status_code == 200 and "Done." in page.text and 'data-bulk-status="done"' \
        in page.text
    tagged = {r["person"] for r in await fetch("SELECT person FROM person_tags")}
    assert tagged == {people[1], people[4]}
    nothing = await rita.submit("/backoffice/bulk/confirm",
                                [("pool", str(pool)), ("scope", "selection")])
    assert nothing.status_code == 303 and nothing.headers["location"].endswith("notice=tick")


async def test_everyone_at_a_stage_and_moving_them(app):
    rita = await staff_browser(app, "rita@corp.test", ["recruiter"])
    pool, people = await _filled_pool(rita)
    await rita.submit(f"/backoffice/pools/{pool}/stage", [
        ("stage", "contacted"), ("person", str(people[0])), ("person", str(people[2]))])
    confirm = await rita.get(f"/backoffice/bulk/new?pool={pool}&in_stage=contacted")
    assert confirm.status_code == 200 and 'data-bulk-count="2"' in confirm.text
    assert "Counted just now" in confirm.text
    moved = await rita.submit("/backoffice/bulk/confirm", {
        "pool": str(pool), "in_stage": "contacted", "scope": "all", "confirmed": "yes",
        "kind": "set_pool_stage", "to_stage": "ready"})
    assert moved.status_code == 303
    ready = {r["person"] for r in await fetch(
        "SELECT person FROM pool_members WHERE stage = 'ready'")}
    assert ready == {people[0], people[2]}


async def test_all_matching_a_segment_and_a_dynamic_pool(app):
    rita = await staff_browser(app, "rita@corp.test", ["recruiter"])
    for i in range(3):
        await fetch("INSERT INTO people (email, full_name, source, created_at, updated_at) "
                    "VALUES ($1, 'Portal person', 'portal', now(), now())", f"s{i}@example.com")
    await person("other@example.com")
    saved = await rita.submit("/backoffice/segments", {
        "name": "From the portal", "description": "", "visibility": "shared",
        "definition": '{"match": "all", "conditions": [{"field": "source", "op": "in", '
                      '"value": ["portal"]}]}'})
    segment = int(saved.headers["location"].split("/")[-1].split("?")[0])
    builder = await rita.get(f"/backoffice/segments/{segment}")
    assert f"/backoffice/bulk/new?segment={segment}" in builder.text
    assert 'form="preview-pick"' in builder.text
    confirm = await rita.get(f"/backoffice/bulk/new?segment={segment}")
    assert 'data-bulk-count="3"' in confirm.text and "From the portal" in confirm.text
    assert "set_pool_stage" not in confirm.text
    exported = await rita.submit("/backoffice/bulk/confirm", {
        "segment": str(segment), "scope": "all", "confirmed": "yes", "kind": "export_csv"})
    bulk_page = await rita.get(exported.headers["location"])
    assert "Download the CSV" in bulk_page.text
    download = await rita.get(exported.headers["location"] + "/download")
    assert download.status_code == 200 and download.text.count("\n") == 4
    assert download.headers["content-disposition"].startswith("attachment")
    bulk_id = exported.headers["location"].split("/")[-1]
    mia = await staff_browser(app, "mia@corp.test", ["marketing"])
    assert (await mia.get(f"/backoffice/bulk/{bulk_id}")).status_code == 404
    assert (await mia.get(f"/backoffice/bulk/{bulk_id}/download")).status_code == 403
    boss = await staff_browser(app, "boss@corp.test", ["admin"])
    assert (await boss.get(f"/backoffice/bulk/{bulk_id}/download")).status_code == 200

    made = await rita.submit(f"/backoffice/segments/{segment}/pool", {})
    dynamic = int(made.headers["location"].split("/")[-1].split("?")[0])
    dynamic_page = await rita.get(f"/backoffice/pools/{dynamic}")
    assert f"/backoffice/bulk/new?pool={dynamic}" in dynamic_page.text
    tagged = await rita.submit("/backoffice/bulk/confirm", {
        "pool": str(dynamic), "scope": "all", "confirmed": "yes", "kind": "tag",
        "tags": "portal"})
    assert tagged.status_code == 303
    assert await fetchval("SELECT count(*) FROM person_tags") == 3


async def test_who_may_act_in_bulk(app):
    mia = await staff_browser(app, "mia@corp.test", ["marketing"])
    private = await _pool(mia, "Mine", visibility="private")
    rita = await staff_browser(app, "rita@corp.test", ["recruiter"])
    assert (await rita.get(f"/backoffice/bulk/new?pool={private}")).status_code == 404
    assert (await rita.submit("/backoffice/bulk/confirm", {
        "pool": str(private), "scope": "all"})).status_code == 404
    assert (await rita.get("/backoffice/bulk/new")).status_code == 404
    hana = await staff_browser(app, "hana@corp.test", ["hiring_manager"])
    assert (await hana.get(f"/backoffice/bulk/new?pool={private}")).status_code == 403
    assert (await hana.submit("/backoffice/bulk/confirm", {"scope": "all"})).status_code \
        == 403


async def test_a_large_action_shows_its_progress_polled_by_htmx(app, monkeypatch):
    from domain.bulk import rules

    monkeypatch.setattr(rules, "INLINE_LIMIT", 2)
    rita = await staff_browser(app, "rita@corp.test", ["recruiter"])
    pool, _ = await _filled_pool(rita, 3)
    confirm = await rita.get(f"/backoffice/bulk/new?pool={pool}")
    assert "runs in the background" in confirm.text
    started = await rita.submit("/backoffice/bulk/confirm", {
        "pool": str(pool), "scope": "all", "confirmed": "yes", "kind": "tag",
        "tags": "later"})
    page = await rita.get(started.headers["location"])
    assert "<progress" in page.text and 'hx-trigger="every 2s"' in page.text
    fragment = await rita.get(started.headers["location"], headers={"hx-request": "true"})
    assert fragment.text.lstrip().startswith('<div id="bulk-progress"')
    assert 'data-bulk-status="queued"' in fragment.text
    assert await fetchval("SELECT count(*) FROM outbox_messages "
                          "WHERE task = 'run_bulk_action'") == 1


async def test_ticked_rows_of_the_segment_preview(app):
    rita = await staff_browser(app, "rita@corp.test", ["recruiter"])
    people = [await person(f"t{i}@example.com", f"T {i}") for i in range(4)]
    await rita.get("/backoffice/segments/new")
    preview = await rita.submit("/backoffice/segments/preview", {
        "definition": '{"match": "all", "conditions": [{"field": "source", "op": "in", '
                      '"value": ["test"]}]}'})
    assert 'form="preview-pick"' in preview.text and "_csrf_token" in preview.text
    confirm = await rita.submit("/backoffice/bulk/confirm", [
        ("scope", "selection"), ("person", str(people[0])), ("person", str(people[3]))])
    assert confirm.status_code == 200 and 'data-bulk-count="2"' in confirm.text
    assert "set_pool_stage" not in confirm.text
