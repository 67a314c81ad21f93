"""Passwordless sign-in by magic link, sessions and sign-out."""

import asyncio
import re

import httpx

from domain.db import fetch
from tests.fixtures import Browser, sign_in_candidate

LINK = re.compile(r"http://testserver(/account/magic/[A-Za-z0-9_.\-]+)")


async def request_link(browser: Browser, email: str) -> httpx.Response:
    await browser.get("/account/sign-in")
    return await browser.submit("/account/sign-in", {"email": email})


async def link_from_sink(mail, worker_burst, to: str) -> str:
    await worker_burst()
    messages = mail.find(to=to, subject_contains="sign-in link")
    assert messages, "no sign-in email"
    return LINK.search(messages[0].text_body).group(1)


async def known_person(email="ann@example.com") -> int:
    rows = await fetch(
        "INSERT INTO people (email, full_name, source, created_at, updated_at) "
        "VALUES ($1, 'Ann Smith', 'test', now(), now()) RETURNING id", email)
    return rows[0]["id"]


async def test_magic_link_journey(browser, mail, worker_burst):
    person_id = await known_person()
    response = await request_link(browser, "Ann@Example.com")
    assert response.status_code == 303
    check = await browser.get(response.headers["location"])
    assert "ann@example.com" in check.text
    path = await link_from_sink(mail, worker_burst, "ann@example.com")

    landing = await browser.get(path)
    assert landing.status_code == 200 and "Sign me in" in landing.text
    assert (await fetch("SELECT count(*) AS n FROM candidate_logins"))[0]["n"] == 0, \
        "a GET (mail scanner) must not sign anyone in"
    signed_in = await browser.submit(path, {"next": "/account"})
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/account"
    home = await browser.get("/account")
    assert home.status_code == 200 and "ann@example.com" in home.text
    logins = await fetch("SELECT person FROM candidate_logins")
    assert logins[0]["person"] == person_id


async def test_known_and_unknown_addresses_get_identical_responses(browser, mail, worker_burst):
    await known_person()
    known = await request_link(browser, "ann@example.com")
    unknown = await request_link(browser, "nobody@example.com")
    assert known.status_code == unknown.status_code == 303
    assert known.headers["location"] == unknown.headers["location"]
    await worker_burst()
    assert mail.find(to="ann@example.com", subject_contains="sign-in link")
    note = mail.find(to="nobody@example.com")
    assert note and "no account" in note[0].text_body
    assert (await fetch("SELECT count(*) AS n FROM people"))[0]["n"] == 1


async def test_invalid_address_re_renders_with_an_error(browser):
    response = await request_link(browser, "not-an-email")
    assert response.status_code == 422
    assert "valid email" in response.text and 'aria-invalid="true"' in response.text


async def test_link_is_single_use_even_under_concurrency(app, mail, worker_burst):
    await known_person()
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        first = Browser(client)
        await request_link(first, "ann@example.com")
    path = await link_from_sink(mail, worker_burst, "ann@example.com")

    # Twenty browsers open the link page first (each gets its form and CSRF token while
    # the link is still unused), then all press the button at once. Opening the page
    # after someone redeemed shows no form, which is not the race under test.
    clients = [httpx.AsyncClient(transport=transport, base_url="http://testserver")
               for _ in range(20)]
    try:
        browsers = [Browser(c) for c in clients]
        for browser in browsers:
            assert (await browser.get(path)).status_code == 200
        responses = await asyncio.gather(*[b.submit(path, {}) for b in browsers])
    finally:
        for c in clients:
            await c.aclose()
    statuses = [response.status_code for response in responses]
    assert statuses.count(303) == 1
    assert set(statuses) - {303} == {409}


async def test_expired_link_at_ten_minutes_one_second(browser, mail, worker_burst):
    await known_person()
    await request_link(browser, "ann@example.com")
    path = await link_from_sink(mail, worker_burst, "ann@example.com")
    await fetch("UPDATE issued_tokens SET expires_at = now() - interval '1 second'")
    assert (await browser.get(path)).status_code == 410
    response = await browser.submit(path, {})
    assert response.status_code == 410 and "expired" in response.text
    assert (await browser.get("/account")).status_code == 303


async def test_forged_and_cross_purpose_tokens_are_rejected(browser, community, mail,
                                                            worker_burst):
    from tests.web.portal.test_communities import confirmation_path, join

    await join(browser)
    confirm_path = await confirmation_path(mail, worker_burst)
    cross = "/account/magic/" + confirm_path.rsplit("/", 1)[1]
    assert (await browser.get(cross)).status_code == 400
    await browser.get("/account/sign-in")
    assert (await browser.submit(cross, {})).status_code == 400
    assert (await browser.submit("/account/magic/forged.token.value", {})).status_code == 400


async def test_session_is_rotated_and_sign_out_everywhere_ends_other_sessions(app, candidate):
    transport = httpx.ASGITransport(app=app, client=("203.0.113.8", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        other_device = Browser(client)
        client.cookies.set("tl_portal", "planted", domain="testserver.local")
        await sign_in_candidate(other_device, "cand@example.com")
        assert client.cookies.get("tl_portal") != "planted"
        assert (await other_device.get("/account")).status_code == 200
        await candidate.get("/account")
        await candidate.submit("/account/sign-out-everywhere", {})
        assert (await other_device.get("/account")).status_code == 303
    assert (await candidate.get("/account")).status_code == 303


async def test_sign_out_ends_this_session(candidate):
    page = await candidate.get("/account")
    assert page.status_code == 200
    await candidate.submit("/account/sign-out", {})
    assert (await candidate.get("/account")).status_code == 303


async def test_account_pages_send_anonymous_visitors_to_sign_in(browser):
    response = await browser.get("/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/account/sign-in?next=/account"


async def test_per_address_limit_sends_no_more_but_answers_the_same(app, browser, mail,
                                                                    worker_burst, clock):
    await known_person()
    app.state.clock = clock  # a new minute per request, so the dedupe key never merges them
    for attempt in range(7):
        clock.advance(minutes=2)
        response = await request_link(browser, "ann@example.com")
        assert response.status_code == 303, attempt
        assert response.headers["location"] == "/account/sign-in/check-email"
    await worker_burst()
    assert len(mail.find(to="ann@example.com")) == 5


async def test_next_cannot_leave_the_portal(browser):
    page = await browser.get("/account/sign-in?next=https://evil.example/")
    assert 'value="/account"' in page.text
    page = await browser.get("/account/sign-in?next=//evil.example")
    assert 'value="/account"' in page.text
