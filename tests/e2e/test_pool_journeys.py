"""Pool journeys in the browser: a recruiter reviews three people in the rapid queue with
the keyboard (advance, skip, a note saved with Enter), and bulk-tags exactly the three
people they ticked among twenty."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from domain.db import fetch
from domain.pools import service as pools
from domain.ports import SystemClock
from tests.e2e.test_accessibility import sign_in_staff
from tests.events_support import person

pytestmark = pytest.mark.e2e


async def _pool_of(recruiter, n: int, name: str) -> tuple[int, list[int]]:
    owner = (await fetch("SELECT id FROM staff_users WHERE email = $1",
                         recruiter.email))[0]["id"]
    now = SystemClock().now()
    pool = await pools.create({"name": name, "description": "", "visibility": "shared",
                               "stages": ["lead", "contacted", "engaged"]},
                              owner_id=owner, by=recruiter.email, now=now)
    people = []
    for i in range(n):
        people.append(await person(f"{name.lower()}{i}@example.com", f"{name} Person {i:02d}"))
        # One at a time so "oldest first" is the order they were created in.
        await pools.add_people(pool, [people[-1]], source="manual", by=recruiter.email,
                               at=SystemClock().now())
    return pool, people


async def test_review_three_people_with_the_keyboard(page, live_server, recruiter):
    pool, people = await _pool_of(recruiter, 3, "Queue")
    await sign_in_staff(page, live_server.base_url, recruiter.email, recruiter.password)
    await page.goto(live_server.url(f"/backoffice/pools/{pool}/review"))
    progress = page.locator("#review-progress")
    heading = page.locator("#person-name")

    await expect(heading).to_have_text("Queue Person 00")
    await expect(progress).to_contain_text("1 of 3 at Lead")
    await page.keyboard.press("a")  # advance to Contacted
    await expect(heading).to_have_text("Queue Person 01")
    await expect(progress).to_contain_text("2 of 3 at Lead")

    # Typing in a field does not trigger shortcuts: "s" and "a" are just letters here.
    await page.keyboard.press("n")
    note = page.get_by_label("Note (n)")
    await expect(note).to_be_focused()
    await note.press_sequentially("sa: strong systems background")
    await expect(heading).to_have_text("Queue Person 01")
    await note.press("Enter")  # save and next
    await expect(heading).to_have_text("Queue Person 02")
    await expect(progress).to_contain_text("3 of 3 at Lead")

    await page.keyboard.press("s")  # skip
    await expect(page.get_by_role("heading", name="End of the queue")).to_be_visible()

    rows = {r["person"]: r for r in await fetch(
        "SELECT person, stage, note FROM pool_members WHERE pool = $1", pool)}
    assert rows[people[0]]["stage"] == "contacted"
    assert (rows[people[1]]["stage"], rows[people[1]]["note"]) == \
        ("lead", "sa: strong systems background")
    assert (rows[people[2]]["stage"], rows[people[2]]["note"]) == ("lead", "")


async def test_bulk_tag_exactly_the_ticked_people(page, live_server, recruiter):
    pool, people = await _pool_of(recruiter, 20, "Bulk")
    chosen = [people[2], people[9], people[15]]
    await sign_in_staff(page, live_server.base_url, recruiter.email, recruiter.password)
    await page.goto(live_server.url(f"/backoffice/pools/{pool}"))
    for person_id in chosen:
        await page.locator(f"#pick-{person_id}").check()
    await page.get_by_role("button", name="Act on the ticked people…").click()
    await expect(page.locator("#bulk-who")).to_have_attribute("data-bulk-count", "3")
    await page.get_by_label("What to do").select_option("tag")
    await page.get_by_label("Tags (for “Tag them”)").fill("Shortlist Q4")
    await page.get_by_role("button", name="Confirm").click()
    await expect(page.locator("#bulk-progress")).to_have_attribute("data-bulk-status", "done")
    await expect(page.locator("#bulk-progress")).to_contain_text("3 people processed")

    tagged = {r["person"] for r in await fetch(
        "SELECT person FROM person_tags WHERE tag = 'Shortlist Q4'")}
    assert tagged == set(chosen)
