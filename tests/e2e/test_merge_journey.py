"""A recruiter finds two records of one person in the duplicates review, reads what the
merge will do, merges them (the second record's tag and history now show on the first),
then undoes it: both records stand apart again, each with its own rows."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from domain.db import fetch, fetchval
from tests.e2e.test_accessibility import sign_in_staff
from tests.events_support import person

pytestmark = pytest.mark.e2e


async def test_merge_a_duplicate_and_undo_it(page, live_server, recruiter):
    kept = await person("grace@example.com", "Grace Hopper")
    other = await person("g.hopper@navy.example", "Grace M. Hopper")
    await fetch("UPDATE people SET phone = '+442071838750', created_at = created_at - "
                "interval '1 day' WHERE id = $1", kept)
    await fetch("UPDATE people SET phone = '+442071838750' WHERE id = $1", other)
    await fetch("INSERT INTO person_tags (person, tag, added_by, added_at) "
                "VALUES ($1, 'COBOL', 'test', now())", other)
    await fetch("INSERT INTO duplicate_hints (person, other, reason, status, found_at) "
                "VALUES ($1, $2, 'phone', 'open', now())", other, kept)

    await sign_in_staff(page, live_server.base_url, recruiter.email, recruiter.password)
    await page.get_by_role("link", name="Possible duplicates").click()
    row = page.get_by_role("row").filter(has_text="g.hopper@navy.example")
    await expect(row).to_contain_text("phone")
    await row.get_by_role("link", name="Review merge").click()
    await expect(page.get_by_role("heading", name="Merge two records")).to_be_visible()
    await expect(page.get_by_role("heading", name="What moves to the kept record")) \
        .to_be_visible()
    await page.get_by_role("button", name="Merge these records").click()

    await expect(page.get_by_role("heading", name="Grace Hopper", exact=True)).to_be_visible()
    await expect(page.get_by_role("list", name="Tags")).to_contain_text("COBOL")
    assert await fetchval("SELECT merged_into FROM people WHERE id = $1", other) == kept
    assert await fetchval("SELECT person FROM person_tags WHERE tag = 'COBOL'") == kept

    await page.get_by_role("button", name="Undo this merge").click()
    await expect(page.get_by_role("list", name="Tags")).to_have_count(0)
    assert await fetchval("SELECT merged_into FROM people WHERE id = $1", other) is None
    assert await fetchval("SELECT person FROM person_tags WHERE tag = 'COBOL'") == other
    await page.goto(live_server.url(f"/backoffice/candidates/{other}"))
    await expect(page.get_by_text("This record was merged into")).to_have_count(0)
    await expect(page.get_by_role("list", name="Tags")).to_contain_text("COBOL")
