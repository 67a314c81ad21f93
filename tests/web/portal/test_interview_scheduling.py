"""Candidate self-scheduling on the portal: a forged or expired link gets an explanatory
page (400/410, never a 500), picking a slot books it, a taken slot or a cancelled
interview says so clearly. Real app and database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.accounts import service as accounts
from domain.db import fetch, fetchval
from domain.interviews import links, rules
from domain.interviews import service as interviews
from domain.ports import SystemClock
from domain.tokens import signer
from tests.events_support import person
from tests.jobs_support import create_application, create_requisition

pytestmark = pytest.mark.usefixtures("clean_state")

START = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


async def proposed() -> tuple[int, list[int], object]:
    clock = SystemClock()
    staff = await accounts.create_user(email="rec@corp.test", full_name="Rita",
                                       roles=["recruiter"], password="a-long-test-password",
                                       clock=clock)
    requisition = await create_requisition()
    application = await create_application(requisition["id"],
                                           await person("ann@example.com"), "Interview")
    draft = rules.InterviewDraft(
        title="Technical interview", panelists=[staff.id], duration_minutes=60,
        time_zone="Europe/Paris", location="Room 4", join_url="", starts_at=None,
        slots=[START, START + timedelta(days=1)])
    interview_id = await interviews.schedule(application["id"], draft, by=staff, clock=clock,
                                             queue=None)
    slots = [row["id"] for row in await fetch(
        "SELECT id FROM interview_slots WHERE interview = $1 ORDER BY starts_at",
        interview_id)]
    return interview_id, slots, staff


async def test_forged_and_expired_links_get_an_explanation(browser, monkeypatch):
    interview_id, _, _ = await proposed()
    token = links.scheduling_token(interview_id)
    await browser.get(f"/interviews/{token}")  # a CSRF token, as from the real page
    forged = await browser.get(f"/interviews/{token[:-4]}AAAA")
    assert forged.status_code == 400 and "This link is not valid" in forged.text
    assert (await browser.submit(f"/interviews/{token[:-4]}AAAA",
                                 {"slot": "1"})).status_code == 400
    monkeypatch.setitem(signer.MAX_AGE, signer.Purpose.INTERVIEW_SCHEDULING,
                        timedelta(seconds=-1))
    expired = await browser.get(f"/interviews/{token}")
    assert expired.status_code == 410 and "has expired" in expired.text
    assert await fetchval("SELECT status FROM interviews") == "proposed"


async def test_picking_a_slot_books_it(browser):
    interview_id, slots, _ = await proposed()
    url = f"/interviews/{links.scheduling_token(interview_id)}"
    page = await browser.get(url)
    assert page.status_code == 200
    assert "10 Mar 2027 10:00" in page.text and "11 Mar 2027 10:00" in page.text
    response = await browser.submit(url, {"slot": str(slots[1])})
    assert response.status_code == 303
    row = (await fetch("SELECT status, starts_at FROM interviews"))[0]
    assert row["status"] == "scheduled" and row["starts_at"] == START + timedelta(days=1)
    booked = await browser.get(url)
    assert "booked for 11 Mar 2027 10:00" in booked.text
    assert await fetchval("SELECT count(*) FROM outbound_emails "
                          "WHERE template = 'interview_invitation'") == 2


async def test_a_taken_slot_or_a_cancelled_interview_is_explained(browser):
    interview_id, slots, staff = await proposed()
    url = f"/interviews/{links.scheduling_token(interview_id)}"
    await browser.get(url)
    assert (await browser.submit(url, {"slot": str(slots[0])})).status_code == 303
    late = await browser.submit(url, {"slot": str(slots[1])})
    assert late.status_code == 409
    assert "no longer open" in late.text and "booked for 10 Mar 2027 10:00" in late.text
    assert (await browser.submit(url, {"slot": "999999"})).status_code == 409
    await interviews.cancel(interview_id, by=staff, clock=SystemClock(), queue=None)
    gone = await browser.get(url)
    assert gone.status_code == 200 and "no longer taking place" in gone.text
    assert await fetchval("SELECT starts_at FROM interviews") == START
