"""A recruiter builds a nested segment in the builder, watches the live count change with
each condition, sees a refused condition pointed at, saves the segment and turns it into
a dynamic pool."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from domain.db import fetch, fetchval
from tests.e2e.test_accessibility import sign_in_staff
from tests.events_support import person

pytestmark = pytest.mark.e2e


async def _population() -> None:
    for n, (country, skills) in enumerate([("DE", ["python"]), ("DE", ["python", "react"]),
                                           ("DE", []), ("DE", ["react"]), ("FR", ["python"])]):
        pid = await person(f"seg{n}@example.com", f"Seg Person {n}")
        await fetch("INSERT INTO profiles (person, country, skills, updated_at) "
                    "VALUES ($1, $2, $3, now())", pid, country, skills)
        if n == 3:
            await fetch("INSERT INTO person_tags (person, tag, added_by, added_at) "
                        "VALUES ($1, 'VIP', 'test', now())", pid)


async def test_build_a_nested_segment_and_save_it_as_a_dynamic_pool(page, live_server,
                                                                     recruiter):
    await _population()
    await sign_in_staff(page, live_server.base_url, recruiter.email, recruiter.password)
    await page.goto(live_server.url("/backoffice/segments/new"))
    builder = page.locator("[data-segment-builder]")
    count = page.locator("[data-segment-count]")

    # Country is one of DE → 4 people.
    await builder.get_by_role("button", name="Add condition").first.click()
    first = builder.locator('[data-path="conditions[0]"]')
    await first.get_by_label("Field").select_option(label="Country")
    await first.get_by_label("Country (two-letter codes, comma-separated)").fill("DE")
    await expect(count).to_have_attribute("data-segment-count", "4")

    # … and (Python or tagged VIP) → 3.
    await builder.get_by_role("button", name="Add group").first.click()
    group = builder.locator('[data-path="conditions[1]"]')
    inner = group.locator('[data-path="conditions[1].conditions[0]"]')
    await inner.get_by_label("Skills (choose one or more)").select_option(["python"])
    await expect(count).to_have_attribute("data-segment-count", "2")
    await group.get_by_role("button", name="Add condition").click()
    second = group.locator('[data-path="conditions[1].conditions[1]"]')
    await second.get_by_label("Field").select_option(label="Tags")
    await second.get_by_label("Tags (comma-separated)").fill("vip")
    await expect(count).to_have_attribute("data-segment-count", "3")

    # A malformed value is refused and the condition is pointed at; fixing it recovers.
    await first.get_by_label("Country (two-letter codes, comma-separated)").fill("Germany")
    await expect(page.get_by_role("alert")).to_contain_text(
        "conditions[0]: 'Germany' is not a two-letter country code")
    await expect(first).to_have_attribute("aria-invalid", "true")
    await first.get_by_label("Country (two-letter codes, comma-separated)").fill("DE")
    await expect(count).to_have_attribute("data-segment-count", "3")
    await expect(first).not_to_have_attribute("aria-invalid", "true")

    await page.get_by_label("Name").fill("German Python folks and VIPs")
    await page.get_by_role("button", name="Save segment").click()
    await expect(page.get_by_text("Segment saved.")).to_be_visible()
    stored = await fetchval("SELECT definition FROM segments")
    assert '"match": "any"' in stored and '"vip"' in stored

    await page.get_by_role("button", name="Save as a dynamic pool").click()
    await expect(page.get_by_role("heading", name="3 people now")).to_be_visible()
    await expect(page.get_by_role("link", name="Seg Person 3")).to_be_visible()
    await expect(page.get_by_role("link", name="Seg Person 2")).to_have_count(0)
