"""The optional event-news box on event registration: separate from registering,
double opt-in for guests, immediate for signed-in candidates, stale links do nothing."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from domain.consent import service as consent
from domain.consent.rules import EVENT_EMAILS
from domain.db import fetch
from domain.ports import SystemClock
from tests.events_support import create_event

pytestmark = pytest.mark.usefixtures("clean_state")
SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
NEWS_LINK = re.compile(r"http://testserver(/events/news/[A-Za-z0-9._\-]+)")


async def _register(browser, *, news: bool, email: str = "ann@example.com", text_id=None):
    page = await browser.get("/events/meetup")
    shown_id = text_id or re.search(r'name="consent_text_id" value="(\d+)"', page.text).group(1)
    form = {"full_name": "Ann Smith", "email": email, "consent_text_id": str(shown_id)}
    if news:
        form["event_news"] = "yes"
    return await browser.submit("/events/meetup/register", form)


async def _ledger(email: str) -> list[tuple[str, str]]:
    rows = await fetch("SELECT c.action, c.method FROM consent_records c JOIN people p "
                       "ON p.id = c.person WHERE p.email = $1 AND c.purpose = $2 "
                       "ORDER BY c.id", email, EVENT_EMAILS)
    return [(row["action"], row["method"]) for row in rows]


async def test_registering_without_the_box_gives_no_consent(browser, mail, worker_burst):
    await create_event(starts_at=SOON)
    assert (await _register(browser, news=False)).status_code == 303
    assert await _ledger("ann@example.com") == []
    await worker_burst()
    (message,) = mail.find(to="ann@example.com", subject_contains="registered")
    assert "/events/news/" not in message.text_body


async def test_a_guest_confirms_event_news_through_the_emailed_link(browser, mail,
                                                                   worker_burst):
    await create_event(starts_at=SOON)
    assert (await _register(browser, news=True)).status_code == 303
    assert await _ledger("ann@example.com") == [("requested", "web_form")]
    await worker_burst()
    (message,) = mail.find(to="ann@example.com", subject_contains="registered")
    link = NEWS_LINK.search(message.text_body).group(1)
    assert link in message.html_body
    shown = await browser.get(link)
    assert shown.status_code == 200 and "Email me about future events?" in shown.text
    assert await _ledger("ann@example.com") == [("requested", "web_form")]  # GET changes nothing
    confirmed = await browser.submit(link, {})
    assert confirmed.status_code == 200 and "You'll hear about our events" in confirmed.text
    assert await _ledger("ann@example.com") == [("requested", "web_form"),
                                                ("given", "double_opt_in")]
    person = (await fetch("SELECT id FROM people WHERE email = 'ann@example.com'"))[0]["id"]
    assert await consent.can_email(person, EVENT_EMAILS, "all", at=datetime.now(UTC))
    again = await browser.submit(link, {})
    assert "You already get event news" in again.text
    assert len(await _ledger("ann@example.com")) == 2


async def test_a_link_does_not_bring_back_consent_withdrawn_since(browser, mail,
                                                                 worker_burst):
    await create_event(starts_at=SOON)
    await _register(browser, news=True)
    await worker_burst()
    (message,) = mail.find(to="ann@example.com", subject_contains="registered")
    link = NEWS_LINK.search(message.text_body).group(1)
    person = (await fetch("SELECT id FROM people WHERE email = 'ann@example.com'"))[0]["id"]
    await consent.withdraw(person_id=person, purpose=EVENT_EMAILS, scope="all",
                           method="portal_signed_in", now=SystemClock().now())
    await browser.get(link)
    response = await browser.submit(link, {})
    assert "Nothing to confirm" in response.text
    assert (await _ledger("ann@example.com"))[-1][0] == "withdrawn"


async def test_forged_links_get_an_explanatory_page(browser):
    response = await browser.get("/events/news/not-a-real-token")
    assert response.status_code == 400 and "doesn't work" in response.text


async def test_changed_wording_asks_again_and_registers_nobody(browser):
    await create_event(starts_at=SOON)
    response = await _register(browser, news=True, text_id=999999)
    assert response.status_code == 422 and "Our wording has changed" in response.text
    assert await fetch("SELECT id FROM event_registrations") == []


async def test_a_signed_in_candidate_gives_consent_at_once(candidate):
    await create_event(starts_at=SOON)
    page = await candidate.get("/events/meetup")
    text_id = re.search(r'name="consent_text_id" value="(\d+)"', page.text).group(1)
    response = await candidate.submit("/events/meetup/register",
                                      {"event_news": "yes", "consent_text_id": text_id})
    assert response.status_code == 303
    assert await _ledger("cand@example.com") == [("given", "portal_signed_in")]
    registered = await fetch("SELECT status FROM event_registrations")
    assert [row["status"] for row in registered] == ["registered"]
