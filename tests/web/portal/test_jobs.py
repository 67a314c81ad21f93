"""The public job board and job pages, through HTTP like a browser."""

import json
import re
from datetime import UTC, datetime, timedelta

from domain.db import execute, fetch
from tests.jobs_support import create_requisition

LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


async def _set(slug: str, **values) -> None:
    for column, value in values.items():
        await execute(f"UPDATE requisitions SET {column} = $2 WHERE slug = $1", slug, value)  # noqa: S608


async def test_board_lists_open_jobs_newest_first_and_hides_others(browser):
    await create_requisition("older", title="Older role")
    await create_requisition("newer", title="Newer role")
    await _set("older", opened_at=datetime.now(UTC) - timedelta(days=3))
    await create_requisition("draft-one", title="Secret draft", status="draft")
    await create_requisition("closed-one", title="Closed role", status="closed")
    response = await browser.get("/jobs")
    assert response.status_code == 200
    text = response.text
    assert text.index("Newer role") < text.index("Older role")
    assert "Secret draft" not in text and "Closed role" not in text


async def test_board_search_and_filters(browser):
    await create_requisition("backend", title="Backend engineer", team="Platform")
    await create_requisition("designer", title="Product designer", team="Design")
    await _set("designer", remote_policy="remote", employment_type="contract",
               locations=["Lisbon"], description="Figma and 100% pixels")

    async def titles(query: str) -> set[str]:
        page = (await browser.get(f"/jobs?{query}")).text
        return {t for t in ("Backend engineer", "Product designer") if t in page}

    assert await titles("q=backend") == {"Backend engineer"}
    assert await titles("q=FIGMA") == {"Product designer"}
    assert await titles("q=100%25") == {"Product designer"}
    assert await titles("q=%25") == {"Product designer"}  # a literal %, not a wildcard
    assert await titles("team=Design") == {"Product designer"}
    assert await titles("location=Berlin") == {"Backend engineer"}
    assert await titles("remote=remote") == {"Product designer"}
    assert await titles("type=full_time") == {"Backend engineer"}
    assert await titles("type=bogus") == {"Backend engineer", "Product designer"}


async def test_board_pages_by_keyset(browser):
    base = datetime.now(UTC)
    for number in range(23):
        slug = f"role-{number:02d}"
        await create_requisition(slug, title=f"Role {number:02d}")
        await _set(slug, opened_at=base - timedelta(hours=number))
    first = await browser.get("/jobs")
    assert "Role 00" in first.text and "Role 19" in first.text and "Role 20" not in first.text
    after = re.search(r'href="/jobs\?([^"]+)">More jobs', first.text).group(1)
    second = await browser.get("/jobs?" + after.replace("&amp;", "&"))
    assert "Role 20" in second.text and "Role 22" in second.text
    assert "Role 19" not in second.text and "More jobs" not in second.text


async def test_job_page_has_job_posting_json_ld(browser):
    await create_requisition("backend")
    await _set("backend", salary_min=70000, salary_max=90000, salary_currency="EUR",
               description="We **build** things.")
    response = await browser.get("/jobs/backend")
    assert response.status_code == 200
    assert "<strong>build</strong>" in response.text
    assert "EUR 70,000 to 90,000 a year" in response.text
    data = json.loads(LD.search(response.text).group(1))
    assert data["@type"] == "JobPosting" and data["title"] == "Backend engineer"
    assert data["employmentType"] == "FULL_TIME" and data["directApply"] is True
    assert data["hiringOrganization"]["@type"] == "Organization"
    assert data["datePosted"] == datetime.now(UTC).date().isoformat()
    assert data["jobLocation"][0]["address"]["addressLocality"] == "Berlin"
    assert data["baseSalary"]["currency"] == "EUR"
    assert data["baseSalary"]["value"] == {"@type": "QuantitativeValue", "minValue": 70000,
                                           "maxValue": 90000, "unitText": "YEAR"}
    assert "jobLocationType" not in data


async def test_remote_job_is_telecommute_without_salary(browser):
    await create_requisition("remote-role")
    await _set("remote-role", remote_policy="remote", employment_type="contract")
    data = json.loads(LD.search((await browser.get("/jobs/remote-role")).text).group(1))
    assert data["jobLocationType"] == "TELECOMMUTE"
    assert data["employmentType"] == "CONTRACTOR"
    assert "baseSalary" not in data and "jobLocation" not in data


async def test_draft_is_not_found_and_closed_is_gone(browser):
    await create_requisition("draft-one", status="draft")
    await create_requisition("closed-one", status="closed")
    await create_requisition("paused", status="on_hold")
    assert (await browser.get("/jobs/draft-one")).status_code == 404
    assert (await browser.get("/jobs/draft-one/apply")).status_code == 404
    gone = await browser.get("/jobs/closed-one")
    assert gone.status_code == 410
    assert "no longer accepting applications" in gone.text
    assert (await browser.get("/jobs/closed-one/apply")).status_code == 410
    paused = await browser.get("/jobs/paused")
    assert paused.status_code == 404 and "not accepting applications at the moment" in paused.text


async def test_first_touch_utm_is_recorded_on_the_application_and_new_person(browser):
    from tests.web.portal.test_apply import guest_apply

    await create_requisition("backend")
    await browser.get("/jobs?utm_source=linkedin&utm_medium=social&utm_campaign=spring")
    await browser.get("/jobs/backend?utm_source=twitter&ref=FRIEND1")  # not the first touch
    response = await guest_apply(browser, "backend", "new@example.com")
    assert response.status_code == 303, response.text
    rows = await fetch("SELECT a.source, a.utm_source, a.utm_medium, a.utm_campaign, "
                       "a.referral_code, p.source AS person_source FROM applications a "
                       "JOIN people p ON p.id = a.person")
    assert rows == [{"source": "linkedin", "utm_source": "linkedin", "utm_medium": "social",
                     "utm_campaign": "spring", "referral_code": "",
                     "person_source": "linkedin"}]


async def test_referral_does_not_change_a_known_persons_source(browser):
    from domain.people import service as people
    from tests.web.portal.test_apply import guest_apply

    await people.find_or_create(email="known@example.com", full_name="Kim Known",
                                source="event", now=datetime.now(UTC))
    await create_requisition("backend")
    await browser.get("/jobs/backend?ref=FRIEND1")
    await guest_apply(browser, "backend", "known@example.com")
    rows = await fetch("SELECT a.source, a.referral_code, p.source AS person_source "
                       "FROM applications a JOIN people p ON p.id = a.person")
    assert rows == [{"source": "referral", "referral_code": "FRIEND1",
                     "person_source": "event"}]
