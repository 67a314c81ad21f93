"""The candidate's answer on the portal: forged and expired links get an explanatory page
(400/410, never a 500), an answer after the deadline shows the expired page, a second
answer the "already answered" page, and accepting through the emailed link hires. Real
app, database, worker and mail sink."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from domain.accounts import service as accounts
from domain.db import fetch, fetchval
from domain.offers import links, rules
from domain.offers import service as offers
from domain.ports import SystemClock
from domain.tokens import signer
from tests.events_support import person
from tests.jobs_support import create_application, create_requisition

pytestmark = pytest.mark.usefixtures("clean_state")


async def sent(queue=None) -> dict:
    clock = SystemClock()  # the app's clock: deadlines are relative to today
    today = datetime.now(UTC).date()
    author, approver = [
        await accounts.create_user(email=email, full_name="Rita", roles=["recruiter"],
                                   password="a-long-test-password", clock=clock)
        for email in ("rita@corp.test", "max@corp.test")]
    requisition = await create_requisition()
    application = await create_application(requisition["id"],
                                           await person("ann@example.com"), "Offer")
    draft = rules.OfferDraft(title="Backend engineer", salary=85000, salary_currency="EUR",
                             salary_period="year", start_date=today + timedelta(days=40),
                             expires_on=today + timedelta(days=10),
                             letter="Dear Ann,\n<b>welcome</b> to the team.")
    offer_id = await offers.create(application["id"], draft, by=author, clock=clock)
    await offers.submit(offer_id, by=author, clock=clock)
    await offers.approve(offer_id, by=approver, clock=clock)
    await offers.send(offer_id, by=author, clock=clock, queue=queue)
    return {"offer": offer_id, "application": application["id"],
            "requisition": requisition["id"]}


async def test_forged_and_expired_links_get_an_explanation(browser, monkeypatch):
    world = await sent()
    token = links.response_token(world["offer"])
    await browser.get(f"/offers/{token}")  # a CSRF token, as from the real page
    forged = await browser.get(f"/offers/{token[:-4]}AAAA")
    assert forged.status_code == 400 and "This link is not valid" in forged.text
    assert (await browser.submit(f"/offers/{token[:-4]}AAAA",
                                 {"answer": "accept"})).status_code == 400
    monkeypatch.setitem(signer.MAX_AGE, signer.Purpose.OFFER_RESPONSE,
                        timedelta(seconds=-1))
    expired = await browser.get(f"/offers/{token}")
    assert expired.status_code == 410 and "has expired" in expired.text
    assert (await browser.submit(f"/offers/{token}", {"answer": "accept"})).status_code \
        == 410
    assert await fetchval("SELECT status FROM offers") == "sent"


async def test_after_the_deadline_the_offer_is_expired_and_takes_no_answer(browser):
    world = await sent()
    url = f"/offers/{links.response_token(world['offer'])}"
    await browser.get(url)  # opened before the deadline, answered after it
    await fetch("UPDATE offers SET expires_on = current_date - 1")
    page = await browser.get(url)
    assert page.status_code == 200 and "This offer expired" in page.text
    assert 'value="accept"' not in page.text
    answer = await browser.submit(url, {"answer": "accept"})
    assert answer.status_code == 410 and "This offer expired" in answer.text
    assert await fetchval("SELECT status FROM offers") == "expired"
    assert await fetchval("SELECT status FROM applications") == "active"


async def test_a_second_answer_changes_nothing(browser):
    world = await sent()
    url = f"/offers/{links.response_token(world['offer'])}"
    await browser.get(url)
    declined = await browser.submit(url, {"answer": "decline", "reason": "Counter-offer"})
    assert declined.status_code == 303
    again = await browser.submit(url, {"answer": "accept"})
    assert again.status_code == 409 and "You already answered" in again.text
    assert await fetchval("SELECT status FROM offers") == "declined"
    assert await fetchval("SELECT status FROM applications") == "active"
    assert "You declined this offer" in (await browser.get(url)).text


async def test_an_unknown_answer_is_asked_again(browser):
    world = await sent()
    url = f"/offers/{links.response_token(world['offer'])}"
    await browser.get(url)
    assert (await browser.submit(url, {"answer": "maybe"})).status_code == 422
    assert await fetchval("SELECT status FROM offers") == "sent"


async def test_accepting_through_the_emailed_link_hires(browser, queue, mail, worker_burst):
    world = await sent(queue)
    await worker_burst()
    (letter,) = mail.find(to="ann@example.com", subject_contains="Your offer")
    assert "85,000 EUR per year" in letter.text_body
    url = re.search(r"https?://\S+(/offers/\S+)", letter.text_body).group(1)
    page = await browser.get(url)
    assert page.status_code == 200
    # The letter is plain text: markup typed into it is shown, not rendered.
    assert "&lt;b&gt;welcome&lt;/b&gt;" in page.text
    accepted = await browser.submit(url, {"answer": "accept"})
    assert accepted.status_code == 303
    assert "You accepted this offer" in (await browser.get(url)).text
    assert await fetchval("SELECT status FROM applications WHERE id = $1",
                          world["application"]) == "hired"
    row = (await fetch("SELECT filled, status FROM requisitions WHERE id = $1",
                       world["requisition"]))[0]
    assert (row["filled"], row["status"]) == (1, "closed")
