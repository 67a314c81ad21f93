"""The availability page from the signed link: the form in the candidate's profile zone,
per-field errors (nothing saved), windows stored in UTC, and explanatory pages for
forged, expired, answered and withdrawn requests (never a 500). Real app and database."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from domain.db import fetch, fetchval
from domain.interviews import availability, links
from domain.tokens import signer
from tests.events_support import person
from tests.jobs_support import create_application, create_requisition, stages

pytestmark = pytest.mark.usefixtures("clean_state")


@pytest.fixture
async def asked(app, clock) -> tuple[int, str]:
    app.state.clock = clock  # 2026-11-02 09:00 UTC
    requisition = await create_requisition()
    person_id = await person("ann@example.com")
    await fetch("INSERT INTO profiles (person, time_zone, updated_at) "
                "VALUES ($1, 'Asia/Tokyo', now())", person_id)
    application = await create_application(requisition["id"], person_id, "Interview")
    stage_id = (await stages(requisition["id"]))["Interview"]
    (request_id,) = await availability.request_many([application["id"]], stage_id=stage_id,
                                                    by="rec@corp.test", now=clock.now())
    return request_id, f"/interviews/availability/{links.availability_token(request_id)}"


async def test_the_form_defaults_to_the_profile_zone(browser, asked):
    _, url = asked
    page = await browser.get(url)
    assert page.status_code == 200
    assert re.search(r'value="Asia/Tokyo"\s+selected', page.text)
    assert "When can you interview?" in page.text and 'id="f-date-10"' in page.text


async def test_errors_are_shown_per_field_and_nothing_is_saved(browser, asked):
    request_id, url = asked
    await browser.get(url)
    response = await browser.submit(url, {
        "time_zone": "Europe/Paris",
        "date-1": "2026-11-05", "from-1": "12:00", "to-1": "11:00",   # end before start
        "date-2": "2026-11-01", "from-2": "09:00", "to-2": "10:00",   # in the past
        "date-3": "2027-01-20", "from-3": "09:00", "to-3": "10:00",   # past 30 days
        "date-4": "2026-11-06", "from-4": "9h", "to-4": "",           # bad and missing
    })
    assert response.status_code == 422
    text = response.text
    assert "There is a problem" in text
    for anchor in ("#f-to-1", "#f-date-2", "#f-date-3", "#f-from-4", "#f-to-4"):
        assert f'href="{anchor}"' in text, anchor
    assert "The end must be after the start." in text
    assert "Choose a time in the future." in text
    assert "within the next 30 days" in text
    assert 'aria-invalid="true"' in text and 'value="2026-11-05"' in text
    empty = await browser.submit(url, {"time_zone": "Nowhere/City"})
    assert empty.status_code == 422
    assert "Add at least one time window" in empty.text
    assert "Choose a time zone from the list." in empty.text
    too_many = {"time_zone": "UTC"} | {
        f"{name}-{n}": value for n in range(1, 12)
        for name, value in (("date", f"2026-11-{n + 4:02d}"), ("from", "09:00"),
                            ("to", "10:00"))}
    response = await browser.submit(url, too_many)
    assert response.status_code == 422 and "at most 10 time windows" in response.text
    assert await fetchval("SELECT status FROM availability_requests WHERE id = $1",
                          request_id) == "requested"


async def test_windows_are_stored_in_utc_and_the_page_then_thanks(browser, asked):
    request_id, url = asked
    await browser.get(url)
    response = await browser.submit(url, {
        "time_zone": "Asia/Tokyo", "note": "After 9 please",
        "date-1": "2026-11-04", "from-1": "09:00", "to-1": "11:30",
        "date-2": "", "from-2": "", "to-2": ""})
    assert response.status_code == 303
    row = (await fetch("SELECT * FROM availability_requests WHERE id = $1", request_id))[0]
    assert row["status"] == "submitted" and row["time_zone"] == "Asia/Tokyo"
    assert '"starts_at": "2026-11-04T00:00:00+00:00"' in str(row["windows"])
    assert '"ends_at": "2026-11-04T02:30:00+00:00"' in str(row["windows"])
    thanks = await browser.get(url)
    assert thanks.status_code == 200 and "we have your availability" in thanks.text
    assert "Wed 4 Nov 2026, 09:00 to 11:30 (Asia/Tokyo)" in thanks.text
    again = await browser.submit(url, {"time_zone": "UTC", "date-1": "2026-11-05",
                                       "from-1": "09:00", "to-1": "10:00"})
    assert again.status_code == 409 and "already sent your availability" in again.text


async def test_forged_expired_and_withdrawn_links_are_explained(browser, asked,
                                                                monkeypatch):
    request_id, url = asked
    await browser.get(url)
    forged = await browser.get(url[:-4] + "AAAA")
    assert forged.status_code == 400 and "This link is not valid" in forged.text
    assert (await browser.submit(url[:-4] + "AAAA", {"time_zone": "UTC"})).status_code == 400
    other_purpose = f"/interviews/availability/{links.scheduling_token(request_id)}"
    assert (await browser.get(other_purpose)).status_code == 400
    missing = f"/interviews/availability/{links.availability_token(987654)}"
    assert (await browser.get(missing)).status_code == 400
    await availability.cancel(request_id, by="rec@corp.test",
                              now=datetime(2026, 11, 2, 10, tzinfo=UTC))
    withdrawn = await browser.get(url)
    assert withdrawn.status_code == 200 and "no longer need your availability" in withdrawn.text
    assert "Send my availability" not in withdrawn.text
    monkeypatch.setitem(signer.MAX_AGE, signer.Purpose.INTERVIEW_AVAILABILITY,
                        timedelta(seconds=-1))
    expired = await browser.get(url)
    assert expired.status_code == 410 and "has expired" in expired.text
