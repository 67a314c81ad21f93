"""Asking a candidate for their availability from the back office, and the scheduling
page showing their windows in the scheduler's zone. Real app and database."""

from __future__ import annotations

import pytest

from domain.db import fetchval
from domain.interviews import availability
from domain.interviews import availability_rules as rules
from tests.events_support import person
from tests.jobs_support import create_application, create_requisition

pytestmark = pytest.mark.usefixtures("clean_state")


async def test_ask_then_see_the_answer_in_my_zone(app, signed_in, clock):
    app.state.clock = clock
    requisition = await create_requisition()
    application = await create_application(requisition["id"],
                                           await person("ann@example.com", "Ann Smith"),
                                           "Interview")
    base = f"/backoffice/applications/{application['id']}"
    page = await signed_in.get(base)
    assert page.status_code == 200 and "Ask for availability" in page.text
    response = await signed_in.submit(f"{base}/availability-requests", {})
    assert response.status_code == 303
    assert response.headers["location"] == f"{base}/interviews/new#availability"
    again = await signed_in.submit(f"{base}/availability-requests", {})  # a second tab
    assert again.status_code == 303
    assert await fetchval("SELECT count(*) FROM availability_requests") == 1
    assert await fetchval("SELECT requested_by FROM availability_requests") \
        == "recruiter@test.local"
    waiting = await signed_in.get(f"{base}/interviews/new")
    assert "waiting for the candidate" in waiting.text
    assert "Ask the candidate for their availability" not in waiting.text

    request_id = await fetchval("SELECT id FROM availability_requests")
    answer, errors = rules.parse_availability(
        {"time_zone": "America/New_York", "note": "Not Fridays",
         "date-1": "2026-11-05", "from-1": "09:00", "to-1": "12:00"}, now=clock.now())
    assert answer is not None, errors
    await availability.submit(request_id, answer, clock=clock, queue=None)
    utc = await signed_in.get(f"{base}/interviews/new")
    assert "Thu 5 Nov 2026, 14:00 to 17:00" in utc.text and "Not Fridays" in utc.text
    paris = await signed_in.get(f"{base}/interviews/new?show_zone=Europe/Paris")
    assert "Thu 5 Nov 2026, 15:00 to 18:00" in paris.text
    assert "shown in Europe/Paris" in paris.text
    bogus = await signed_in.get(f"{base}/interviews/new?show_zone=Mars/Base")
    assert bogus.status_code == 200 and "shown in UTC" in bogus.text
