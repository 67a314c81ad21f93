"""Rescheduling from the back office by offering the candidate new times: the form's
errors, then the interview back to proposed with only the new times. Real app and DB."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.accounts import service as accounts
from domain.db import fetch, fetchval
from domain.interviews import rules
from domain.interviews import service as interviews
from tests.events_support import person
from tests.jobs_support import create_application, create_requisition

pytestmark = pytest.mark.usefixtures("clean_state")


async def test_offering_new_times_from_the_reschedule_form(app, signed_in, clock):
    app.state.clock = clock
    staff_id = await fetchval("SELECT id FROM staff_users WHERE email = 'recruiter@test.local'")
    staff = await accounts.get_active(staff_id)
    requisition = await create_requisition()
    application = await create_application(requisition["id"],
                                           await person("ann@example.com"), "Interview")
    draft = rules.InterviewDraft(
        title="Technical interview", panelists=[staff_id], duration_minutes=60,
        time_zone="UTC", location="Room 4", join_url="",
        starts_at=datetime(2026, 11, 10, 10, tzinfo=UTC), slots=[])
    interview_id = await interviews.schedule(application["id"], draft, by=staff, clock=clock,
                                             queue=None)
    url = f"/backoffice/interviews/{interview_id}/reschedule"
    page = await signed_in.get(url)
    assert page.status_code == 200 and "New times for the candidate" in page.text
    bad = await signed_in.submit(url, [("time_zone", "Europe/Paris"), ("mode", "slots"),
                                       ("slots", "2026-11-12T10:00")])
    assert bad.status_code == 422 and "Offer 2 to 10 different times." in bad.text
    ok = await signed_in.submit(url, [("time_zone", "Europe/Paris"), ("mode", "slots"),
                                      ("slots", "2026-11-12T10:00"),
                                      ("slots", "2026-11-13T15:00")])
    assert ok.status_code == 303
    row = (await fetch("SELECT status, starts_at, time_zone, sequence FROM interviews"))[0]
    assert dict(row) == {"status": "proposed", "starts_at": None,
                         "time_zone": "Europe/Paris", "sequence": 1}
    assert [r["starts_at"] for r in await fetch(
        "SELECT starts_at FROM interview_slots ORDER BY starts_at")] == [
        datetime(2026, 11, 12, 9, tzinfo=UTC), datetime(2026, 11, 13, 14, tzinfo=UTC)]
