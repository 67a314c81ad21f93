"""RFC 8058 one-click unsubscribe through HTTP (QUALITY.md P5, P7)."""

import time

import httpx
import pytest

from domain.consent import service as consent
from domain.db import execute, fetch
from domain.people import service as people
from domain.preferences import emails as links


@pytest.fixture
async def member(clock, community):
    """A confirmed member of Engineering; returns their unsubscribe path."""
    ann = (await people.find_or_create(email="ann@example.com", full_name="Ann Smith",
                                       source="test", now=clock.now()))["id"]
    await execute("INSERT INTO community_memberships (person, community, status, requested_at) "
                  "VALUES ($1, $2, 'confirmed', $3)", ann, community["id"], clock.now())
    await consent.record(person_id=ann, purpose="community_emails", scope="engineering",
                         text_id=(await fetch("SELECT id FROM consent_texts"))[0]["id"],
                         action="given", method="double_opt_in", at=clock.now())
    return links.unsubscribe_url(ann, "community_emails", "engineering").removeprefix(
        "http://testserver")


@pytest.fixture
async def provider(app):
    """A mail provider's client: no cookies, no CSRF token, never follows redirects."""
    transport = httpx.ASGITransport(app=app, client=("198.51.100.20", 443))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def withdrawals():
    rows = await fetch("SELECT method, occurred_at FROM consent_records "
                       "WHERE action = 'withdrawn'")
    return rows


async def test_cookie_less_urlencoded_post_unsubscribes_with_200(provider, member):
    response = await provider.post(member, content=b"List-Unsubscribe=One-Click",
                                   headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200, response.text
    assert "You're unsubscribed" in response.text
    assert "set-cookie" not in response.headers or "tl_portal" not in response.headers[
        "set-cookie"]
    assert [row["method"] for row in await withdrawals()] == ["one_click_unsubscribe"]
    status = await fetch("SELECT status FROM community_memberships")
    assert status[0]["status"] == "left"


async def test_multipart_post_unsubscribes_too(provider, member):
    response = await provider.post(member, files={"List-Unsubscribe": (None, "One-Click")})
    assert response.status_code == 200
    assert len(await withdrawals()) == 1


async def test_one_click_is_idempotent(provider, member):
    for _ in range(3):
        response = await provider.post(member, data={"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
    assert len(await withdrawals()) == 1
    events = await fetch("SELECT type FROM engagement_events WHERE type = 'unsubscribed'")
    assert len(events) == 1


async def test_a_get_unsubscribes_nobody_and_its_button_does(browser, member):
    page = await browser.get(member)
    assert page.status_code == 200
    assert "Unsubscribe from Engineering?" in page.text
    assert f'action="{member}/confirm"' in page.text
    assert "csrf" in page.headers.get("set-cookie", ""), "the form needs its CSRF cookie"
    assert await withdrawals() == []
    response = await browser.submit(f"{member}/confirm", {})
    assert response.status_code == 303 and response.headers["location"] == member
    assert len(await withdrawals()) == 1
    after = await browser.get(member)
    assert "You're unsubscribed" in after.text and "/preferences/" in after.text


async def test_the_confirmation_button_is_csrf_protected(browser, member):
    await browser.get(member)
    response = await browser.submit(f"{member}/confirm", {}, csrf=False)
    assert response.status_code == 403
    assert await withdrawals() == []


async def test_forged_tokens_get_400_and_change_nothing(provider, browser, member, clock):
    forged = member[:-2] + ("xx" if not member.endswith("xx") else "yy")
    assert (await provider.post(forged, data={"List-Unsubscribe": "One-Click"})).status_code \
        == 400
    assert (await browser.get(forged)).status_code == 400
    wrong_purpose = links.preferences_url(1).removeprefix("http://testserver/preferences/")
    assert (await provider.post(f"/u/{wrong_purpose}")).status_code == 400
    assert await withdrawals() == []


@pytest.mark.parametrize("days", [31, 365])
async def test_links_keep_working_for_a_year(app, provider, member, clock, monkeypatch, days):
    # itsdangerous stamps and checks with the real time; the database with the app clock.
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + days * 86400)
    clock.advance(days=days)
    app.state.clock = clock
    response = await provider.post(member, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert [row["occurred_at"] for row in await withdrawals()] == [clock.now()]


async def test_links_older_than_400_days_are_refused(provider, member, monkeypatch):
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 401 * 86400)
    response = await provider.post(member, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 410
    assert await withdrawals() == []
