"""The rapid review queue: one member at a time, oldest first at a stage, progress, each
decision a form POST that redirects to the next person; notes and tags saved and audited;
reject needs a reason; the end of the queue says so; who may use it."""

from __future__ import annotations

import html

import pytest

from domain.db import fetch
from tests.events_support import person, staff_browser

pytestmark = pytest.mark.usefixtures("clean_state")


async def _pool(browser, people: int = 3, **extra) -> tuple[int, list[int]]:
    response = await browser.submit("/backoffice/pools", {
        "name": extra.pop("name", "Backend"), "description": "", "stages": "", **extra,
        "visibility": extra.get("visibility", "shared")})
    pool = int(response.headers["location"].split("/")[-1].split("?")[0])
    ids = []
    for i in range(people):
        ids.append(await person(f"r{i}@example.com", f"Reviewee {i}"))
        await browser.submit(f"/backoffice/pools/{pool}/people", {"emails": f"r{i}@example.com"})
    return pool, ids


def _hidden(page: str, name: str) -> str:
    marker = f'name="{name}" value="'
    start = page.index(marker) + len(marker)
    return html.unescape(page[start:page.index('"', start)])


async def _decide(browser, pool: int, page: str, person_id: int, **fields):
    data = {key: _hidden(page, key) for key in ("stage", "after", "cursor", "n")}
    return await browser.submit(f"/backoffice/pools/{pool}/review/{person_id}",
                                {"note": "", "tags": "", **data, **fields})


async def test_review_three_people(app):
    rita = await staff_browser(app, "rita@corp.test", ["recruiter"])
    pool, people = await _pool(rita)
    first = await rita.get(f"/backoffice/pools/{pool}/review")
    assert first.status_code == 200
    text = html.unescape(first.text)
    assert "Reviewee 0" in text and "1</strong> of 3 at Lead" in text
    assert "/static/js/pool-review.js" in text and 'data-shortcut="a"' in text
    advanced = await _decide(rita, pool, first.text, people[0], action="advance",
                             note="Strong Go", tags="golang, remote")
    assert advanced.status_code == 303
    second = await rita.get(advanced.headers["location"])
    assert "Reviewee 1" in second.text and "2</strong> of 3" in second.text
    assert "Moved to the next stage." in second.text
    no_reason = await _decide(rita, pool, second.text, people[1], action="reject")
    assert no_reason.status_code == 422 and "Write the reason" in no_reason.text
    skipped = await _decide(rita, pool, second.text, people[1], action="skip")
    third = await rita.get(skipped.headers["location"])
    assert "Reviewee 2" in third.text and "3</strong> of 3" in third.text
    rejected = await _decide(rita, pool, third.text, people[2], action="reject",
                             note="Not looking")
    end = await rita.get(rejected.headers["location"])
    assert "End of the queue" in end.text and "you reviewed 3" in end.text

    rows = {r["person"]: r for r in await fetch("SELECT person, stage, note FROM pool_members")}
    assert (rows[people[0]]["stage"], rows[people[0]]["note"]) == ("contacted", "Strong Go")
    assert rows[people[1]]["stage"] == "lead" and people[2] not in rows
    tags = {r["tag"] for r in await fetch("SELECT tag FROM person_tags WHERE person = $1",
                                          people[0])}
    assert tags == {"golang", "remote"}
    audit = {r["action"]: r["detail"] for r in await fetch(
        "SELECT action, detail FROM audit_entries WHERE action LIKE 'pool.%' "
        "OR action = 'person.tagged'")}
    assert {"pool.note_saved", "pool.stage_changed", "pool.person_rejected",
            "person.tagged"} <= set(audit)
    assert "Not looking" in str(audit["pool.person_rejected"])


async def test_review_access(app):
    mia = await staff_browser(app, "mia@corp.test", ["marketing"])
    private, people = await _pool(mia, 1, name="Mine", visibility="private")
    assert (await mia.get(f"/backoffice/pools/{private}/review")).status_code == 200
    rita = await staff_browser(app, "rita@corp.test", ["recruiter"])
    assert (await rita.get(f"/backoffice/pools/{private}/review")).status_code == 404
    assert (await rita.submit(f"/backoffice/pools/{private}/review/{people[0]}",
                              {"action": "advance"})).status_code == 404
    hana = await staff_browser(app, "hana@corp.test", ["hiring_manager"])
    assert (await hana.get(f"/backoffice/pools/{private}/review")).status_code == 403
