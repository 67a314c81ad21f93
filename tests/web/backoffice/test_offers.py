"""Offers in the back office: a hiring manager reaches only their requisition's offer
routes (404 elsewhere, like a missing one), and the flow through the forms: write, edit,
submit, the author refused as approver, a colleague's approval, send and withdraw. Real
app and database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.db import fetch, fetchval
from tests.events_support import person, staff_browser
from tests.jobs_support import create_application, create_requisition

pytestmark = pytest.mark.usefixtures("clean_state")


def offer_form(**overrides) -> dict:
    today = datetime.now(UTC).date()
    return {"title": "Backend engineer", "salary": "85000", "salary_currency": "EUR",
            "salary_period": "year", "start_date": str(today + timedelta(days=40)),
            "expires_on": str(today + timedelta(days=10)), "letter": "Dear Ann, welcome.",
            **overrides}


async def staff_id(email: str) -> int:
    return int(await fetchval("SELECT id FROM staff_users WHERE email = $1", email))


async def offer_status() -> str:
    return await fetchval("SELECT status FROM offers")


async def test_a_hiring_manager_of_y_gets_404_on_xs_offer_routes(app):
    hm = await staff_browser(app, "hm-y@test.local", ["hiring_manager"])
    rita = await staff_browser(app, "rita@test.local", ["recruiter"])
    x = await create_requisition("x-role", title="X role")
    y = await create_requisition("y-role", title="Y role",
                                 members={await staff_id("hm-y@test.local"): "hiring_manager"})
    ax = await create_application(x["id"], await person("ann@example.com"), "Offer")
    ay = await create_application(y["id"], await person("bob@example.com", "Bob"), "Offer")
    for application in (ax, ay):
        await rita.get(f"/backoffice/applications/{application['id']}/offer")
        assert (await rita.submit(f"/backoffice/applications/{application['id']}/offer",
                                  offer_form())).status_code == 303
    offers = {row["application"]: row["id"] for row in await fetch(
        "SELECT id, application FROM offers")}
    own = await hm.get(f"/backoffice/applications/{ay['id']}/offer")
    assert own.status_code == 200 and "Backend engineer" in own.text
    assert (await hm.get(f"/backoffice/applications/{ax['id']}/offer")).status_code == 404
    assert (await hm.submit(f"/backoffice/applications/{ax['id']}/offer",
                            offer_form(title="Hijacked"))).status_code == 404
    for action in ("submit", "approve", "reject", "send", "withdraw"):
        response = await hm.submit(f"/backoffice/offers/{offers[ax['id']]}/{action}",
                                   {"note": "x"})
        assert response.status_code == 404, action
    assert (await hm.submit("/backoffice/offers/999999/submit", {})).status_code == 404
    assert await fetchval("SELECT count(*) FROM offers WHERE status = 'draft' "
                          "AND title = 'Backend engineer'") == 2
    # On their own requisition they may submit, but approving is for recruiters and admins.
    own_offer = offers[ay["id"]]
    assert (await hm.submit(f"/backoffice/offers/{own_offer}/submit", {})).status_code == 303
    page = await hm.get(f"/backoffice/applications/{ay['id']}/offer")
    assert "Waiting for approval" in page.text and "/approve" not in page.text
    assert (await hm.submit(f"/backoffice/offers/{own_offer}/approve", {})).status_code == 403


async def test_the_flow_through_the_forms(app):
    rita = await staff_browser(app, "rita@test.local", ["recruiter"])
    max_ = await staff_browser(app, "max@test.local", ["recruiter"])
    requisition = await create_requisition()
    application = await create_application(requisition["id"],
                                           await person("ann@example.com"), "Interview")
    base = f"/backoffice/applications/{application['id']}"
    detail = await rita.get(base)
    assert "Write an offer" in detail.text
    form_page = await rita.get(f"{base}/offer")
    assert "not at an offer stage" in form_page.text
    bad = await rita.submit(f"{base}/offer", offer_form(salary="lots"))
    assert bad.status_code == 422 and "whole number" in bad.text
    assert (await rita.submit(f"{base}/offer", offer_form())).status_code == 303
    offer_id = await fetchval("SELECT id FROM offers")
    assert (await rita.submit(f"/backoffice/offers/{offer_id}/send", {})).status_code == 409
    assert (await rita.submit(f"/backoffice/offers/{offer_id}/submit", {})).status_code == 303
    mine = await rita.get(f"{base}/offer")
    assert "someone other than you" in mine.text
    refused = await rita.submit(f"/backoffice/offers/{offer_id}/approve", {})
    assert refused.status_code == 422 and "someone else must approve" in refused.text
    await max_.get(f"{base}/offer")
    assert (await max_.submit(f"/backoffice/offers/{offer_id}/approve", {})).status_code \
        == 303
    assert await offer_status() == "approved"
    # Any edit after approval returns the offer to draft.
    await rita.get(f"{base}/offer")
    assert (await rita.submit(f"{base}/offer", offer_form(salary="90000"))).status_code \
        == 303
    assert await offer_status() == "draft"
    await rita.submit(f"/backoffice/offers/{offer_id}/submit", {})
    await max_.get(f"{base}/offer")
    no_note = await max_.submit(f"/backoffice/offers/{offer_id}/reject", {"note": ""})
    assert no_note.status_code == 422
    await max_.submit(f"/backoffice/offers/{offer_id}/approve", {})
    await rita.get(f"{base}/offer")
    assert (await rita.submit(f"/backoffice/offers/{offer_id}/send", {})).status_code == 303
    sent = await rita.get(f"{base}/offer?done=send")
    assert "Sent to the candidate." in sent.text and "Withdraw the offer" in sent.text
    assert (await rita.submit(f"{base}/offer", offer_form())).status_code == 409
    assert (await rita.submit(f"/backoffice/offers/{offer_id}/withdraw", {})).status_code \
        == 303
    assert await offer_status() == "withdrawn"
    assert (await rita.submit(f"/backoffice/offers/{offer_id}/frobnicate", {})).status_code \
        == 404
    templates = [row["template"] for row in await fetch(
        "SELECT template FROM outbound_emails ORDER BY id")]
    assert templates == ["offer_letter", "offer_withdrawn"]
    earlier = await rita.get(f"{base}/offer")
    assert "Earlier offers" in earlier.text and "Write an offer" in earlier.text
