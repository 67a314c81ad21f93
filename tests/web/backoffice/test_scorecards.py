"""Scorecards and interviews in the back office: the hiding rule (B cannot see A's
submitted scorecard before submitting theirs, then can, with the averages), a hiring
manager fills theirs on their requisition and gets 404 on another's, and scheduling an
interview through the form. Real app and database."""

from __future__ import annotations

import pytest

from domain.db import fetch, fetchval
from tests.events_support import person, staff_browser
from tests.jobs_support import create_application, create_requisition

pytestmark = pytest.mark.usefixtures("clean_state")

A_NOTE = "Zq-A-private-note-4411"


async def staff_id(email: str) -> int:
    return int(await fetchval("SELECT id FROM staff_users WHERE email = $1", email))


async def world(app) -> dict:
    a = await staff_browser(app, "a@test.local", ["recruiter"])
    b = await staff_browser(app, "b@test.local", ["recruiter"])
    hm_x = await staff_browser(app, "hmx@test.local", ["hiring_manager"])
    hm_y = await staff_browser(app, "hmy@test.local", ["hiring_manager"])
    x = await create_requisition("x-role", title="X role",
                                 members={await staff_id("hmx@test.local"): "hiring_manager"})
    y = await create_requisition("y-role", title="Y role",
                                 members={await staff_id("hmy@test.local"): "hiring_manager"})
    await fetch("UPDATE requisition_stages SET scorecard_attributes = "
                "ARRAY['Python', 'Communication'] WHERE name = 'Interview'")
    ax = await create_application(x["id"], await person("ann@example.com"), "Interview")
    return {"a": a, "b": b, "hm_x": hm_x, "hm_y": hm_y, "x": x, "y": y, "ax": ax}


def card(action: str = "submit", python: str = "4", note: str = A_NOTE) -> dict:
    return {"action": action, "rating-0": python, "note-0": note, "rating-1": "3",
            "recommendation": "strong_yes", "notes": "Overall notes"}


async def submit(browser, application_id: int, form: dict):
    url = f"/backoffice/applications/{application_id}/scorecard"
    await browser.get(url)
    return await browser.submit(url, form)


async def test_colleagues_scorecards_stay_hidden_until_you_submit_yours(app):
    w = await world(app)
    url = f"/backoffice/applications/{w['ax']['id']}"
    assert (await submit(w["a"], w["ax"]["id"], card())).status_code == 303
    for page_url in (url, f"{url}/scorecard"):
        page = await w["b"].get(page_url)
        assert page.status_code == 200
        assert A_NOTE not in page.text and "Strong yes" not in page.text.split("<form")[0]
        assert "1 colleague has submitted a scorecard" in page.text
    # A draft is not enough to see the others.
    assert (await submit(w["b"], w["ax"]["id"],
                         card("save", python="2", note="B draft"))).status_code == 303
    assert A_NOTE not in (await w["b"].get(f"{url}/scorecard")).text
    assert (await submit(w["b"], w["ax"]["id"],
                         card(python="2", note="B final"))).status_code == 303
    for page_url in (url, f"{url}/scorecard"):
        page = (await w["b"].get(page_url)).text
        assert A_NOTE in page and "B final" in page
        assert "3.00" in page  # Python: (4 + 2) / 2
    # Submitted is final.
    again = await submit(w["b"], w["ax"]["id"], card())
    assert again.status_code == 409


async def test_a_submission_needs_every_rating(app):
    w = await world(app)
    response = await submit(w["a"], w["ax"]["id"], {"action": "submit", "rating-0": "4"})
    assert response.status_code == 422
    assert "Rate Communication before submitting." in response.text
    assert await fetchval("SELECT count(*) FROM scorecards") == 0


async def test_hiring_managers_fill_theirs_on_their_requisition_and_404_elsewhere(app):
    w = await world(app)
    assert (await submit(w["hm_x"], w["ax"]["id"], card())).status_code == 303
    assert await fetchval("SELECT status FROM scorecards WHERE author = $1",
                          await staff_id("hmx@test.local")) == "submitted"
    base = f"/backoffice/applications/{w['ax']['id']}"
    await w["hm_y"].get("/backoffice/")
    for url in (f"{base}/scorecard", f"{base}/interviews/new"):
        assert (await w["hm_y"].get(url)).status_code == 404, url
    for url, form in ((f"{base}/scorecard", card()),
                      (f"{base}/interviews", {"title": "x", "mode": "fixed"})):
        assert (await w["hm_y"].submit(url, form)).status_code == 404, url
    assert await fetchval("SELECT count(*) FROM scorecards WHERE author = $1",
                          await staff_id("hmy@test.local")) == 0


async def test_scheduling_rescheduling_and_cancelling_through_the_forms(app):
    w = await world(app)
    base = f"/backoffice/applications/{w['ax']['id']}"
    assert (await w["a"].get(f"{base}/interviews/new")).status_code == 200
    bad = await w["a"].submit(f"{base}/interviews", {
        "title": "Tech", "panelists": "a@test.local", "duration_minutes": "60",
        "time_zone": "Europe/Paris", "location": "", "join_url": "", "mode": "slots",
        "slots": "2027-01-10T10:00"})
    assert bad.status_code == 422 and "Offer 2 to 10 different times." in bad.text
    form = [("title", "Tech"), ("panelists", "a@test.local"), ("panelists", "hmx@test.local"),
            ("duration_minutes", "60"), ("time_zone", "Europe/Paris"),
            ("location", "Room 4"), ("join_url", ""), ("mode", "fixed"),
            ("starts_at", "2027-01-10T10:00")]
    assert (await w["a"].submit(f"{base}/interviews", form)).status_code == 303
    interview = (await fetch("SELECT * FROM interviews"))[0]
    assert interview["status"] == "scheduled" and interview["starts_at"].hour == 9  # UTC
    assert await fetchval("SELECT count(*) FROM interview_panelists") == 2
    page = (await w["hm_x"].get(base)).text
    assert "Tech" in page and "10 Jan 2027 10:00" in page
    url = f"/backoffice/interviews/{interview['id']}/reschedule"
    assert (await w["hm_y"].get(url)).status_code == 404
    await w["a"].get(url)
    assert (await w["a"].submit(url, {"time_zone": "Europe/Paris",
                                      "starts_at": "2027-01-11T10:00"})).status_code == 303
    assert await fetchval("SELECT sequence FROM interviews") == 1
    await w["a"].get(base)
    cancel = f"/backoffice/interviews/{interview['id']}/cancel"
    assert (await w["a"].submit(cancel, {})).status_code == 303
    assert await fetchval("SELECT status FROM interviews") == "cancelled"
    assert (await w["a"].submit(cancel, {})).status_code == 409
