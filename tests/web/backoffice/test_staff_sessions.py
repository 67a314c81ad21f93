"""Staff sessions (QUALITY.md S4): "Your sessions", signing out one or all the others, and
the old cookie refused after sign-out, idle timeout + 1 s and absolute timeout + 1 s."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import httpx
import pytest

from backoffice.auth import ABSOLUTE_LIFETIME_SECONDS
from domain.accounts import service as accounts
from domain.db import fetch
from domain.ports import SystemClock
from tests.fixtures import Browser, FrozenClock

pytestmark = pytest.mark.usefixtures("clean_state")
EMAIL, PASSWORD = "rec@test.local", "a-long-test-password"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1")
SESSIONS = "/backoffice/account/sessions"
KEYS = "talentloop:sessions:staff:*"
HANDLES = re.compile(r'action="/backoffice/account/sessions/([0-9a-f]{24})/end"')


@pytest.fixture
async def account():
    return await accounts.create_user(email=EMAIL, full_name="Riley Recruiter",
                                      roles=["recruiter"], password=PASSWORD,
                                      clock=SystemClock())


@pytest.fixture
async def browsers(app, account):
    opened: list[Browser] = []

    async def open_one(ip: str = "203.0.113.20", agent: str = FIREFOX) -> Browser:
        transport = httpx.ASGITransport(app=app, client=(ip, 5000))
        browser = Browser(httpx.AsyncClient(transport=transport, base_url="http://testserver",
                                            headers={"user-agent": agent}))
        opened.append(browser)
        await browser.get("/backoffice/login")
        response = await browser.submit("/backoffice/login",
                                        {"email": EMAIL, "password": PASSWORD})
        assert response.status_code == 303, response.text
        return browser

    yield open_one
    for browser in opened:
        await browser.client.aclose()


def cookie(browser: Browser) -> str:
    return browser.client.cookies["tl_staff"]


def signed_out(response: httpx.Response) -> bool:
    return response.status_code == 303 and \
        response.headers["location"].startswith("/backoffice/login")


async def test_your_sessions_lists_each_live_session_and_marks_this_one(browsers):
    laptop = await browsers("203.0.113.20", FIREFOX)
    phone = await browsers("198.51.100.4", SAFARI)
    page = await laptop.get(SESSIONS)
    assert page.status_code == 200
    assert "Firefox on Linux" in page.text and "Safari on iPhone" in page.text
    assert "203.0.113.20" in page.text and "198.51.100.4" in page.text
    assert page.text.count("(this session)") == 1
    assert page.text.index("Firefox on Linux") < page.text.index("(this session)") \
        < page.text.index("Safari on iPhone")
    # The ids are credentials: the page names sessions by a hash of theirs.
    assert cookie(laptop) not in page.text and cookie(phone) not in page.text
    assert 'href="/backoffice/account/sessions"' in page.text  # in the account menu


async def test_signing_out_one_session_ends_it_on_its_next_request(app, browsers):
    laptop, phone = await browsers(), await browsers("198.51.100.4", SAFARI)
    _this, handle = HANDLES.findall((await laptop.get(SESSIONS)).text)  # this one first
    response = await laptop.submit(f"{SESSIONS}/{handle}/end", {})
    assert response.headers["location"] == f"{SESSIONS}?notice=ended"
    first = await phone.get("/backoffice/candidates")
    assert signed_out(first) and first.headers["location"].endswith("&ended=1")
    assert (await laptop.get("/backoffice/candidates")).status_code == 200
    page = await laptop.get(SESSIONS)
    assert "Safari on iPhone" not in page.text
    [entry] = await fetch("SELECT actor, ip, detail FROM audit_entries "
                          "WHERE action = 'staff.sessions_ended'")
    assert entry["actor"] == EMAIL and entry["ip"] == "203.0.113.20"


async def test_signing_out_all_others_keeps_this_one(browsers):
    laptop = await browsers()
    others = [await browsers("198.51.100.4", SAFARI), await browsers("198.51.100.5")]
    await laptop.get(SESSIONS)
    response = await laptop.submit(f"{SESSIONS}/end-others", {})
    assert response.headers["location"] == f"{SESSIONS}?notice=others"
    for other in others:
        assert signed_out(await other.get("/backoffice/candidates"))
    page = await laptop.get(SESSIONS)
    assert page.text.count("(this session)") == 1 and "Safari" not in page.text


async def test_signing_out_this_session_from_the_list(browsers):
    laptop = await browsers()
    [handle] = HANDLES.findall((await laptop.get(SESSIONS)).text)
    response = await laptop.submit(f"{SESSIONS}/{handle}/end", {})
    assert response.headers["location"] == "/backoffice/login"
    assert signed_out(await laptop.get("/backoffice/candidates"))


async def test_the_old_cookie_is_refused_after_sign_out(app, browsers):
    browser = await browsers()
    old = cookie(browser)
    await browser.get("/backoffice/candidates")
    assert (await browser.submit("/backoffice/logout", {})).status_code == 303
    assert await app.state.redis.keys(KEYS) == []
    replay = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                               base_url="http://testserver", cookies={"tl_staff": old})
    assert signed_out(await replay.get("/backoffice/candidates"))
    await replay.aclose()


async def test_sign_in_issues_a_new_session_id(app, browsers):
    browser = await browsers()
    before = cookie(browser)
    await browser.get("/backoffice/login?next=/backoffice/candidates")
    await browser.client.post("/backoffice/logout")  # no token: refused, cookie kept
    again = await browser.submit("/backoffice/login", {"email": EMAIL, "password": PASSWORD})
    assert again.status_code == 303
    assert cookie(browser) != before
    assert [key.decode() for key in await app.state.redis.keys(KEYS)] == \
        [f"talentloop:sessions:staff:{cookie(browser)}"]
    replay = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                               base_url="http://testserver", cookies={"tl_staff": before})
    assert signed_out(await replay.get("/backoffice/candidates"))  # the old id is worthless
    await replay.aclose()
    assert (await browser.get("/backoffice/candidates")).status_code == 200


async def test_the_idle_timeout_is_thirty_minutes_from_the_last_request(app, browsers):
    """The session record's TTL is the idle timeout: each request renews it. Redis keeps
    its own time, so "1799 s idle" is a record with one second left."""
    assert app.state.settings.session_idle_minutes == 30
    browser = await browsers()
    key = f"talentloop:sessions:staff:{cookie(browser)}"
    assert 1790 <= await app.state.redis.ttl(key) <= 1800
    await app.state.redis.pexpire(key, 1000)  # idle for 29 min 59 s
    assert (await browser.get("/backoffice/candidates")).status_code == 200
    assert 1790 <= await app.state.redis.ttl(key) <= 1800
    await app.state.redis.pexpire(key, 1000)
    await asyncio.sleep(1.1)  # idle for 30 min + 0.1 s
    assert signed_out(await browser.get("/backoffice/candidates"))


async def test_the_absolute_timeout_is_twelve_hours_after_sign_in(app, browsers):
    clock = FrozenClock(SystemClock().now())
    app.state.session_clock = clock
    browser = await browsers()
    clock.advance(seconds=ABSOLUTE_LIFETIME_SECONDS - 1)
    assert (await browser.get("/backoffice/candidates")).status_code == 200
    clock.advance(seconds=2)  # 12 h + 1 s, however busy the session was
    response = await browser.get("/backoffice/candidates")
    assert signed_out(response) and response.headers["location"].endswith("&ended=1")
    assert await app.state.redis.keys(KEYS) == []


async def test_a_business_clock_days_ahead_does_not_sign_anyone_out(app, browsers):
    browser = await browsers()
    app.state.clock = FrozenClock(SystemClock().now() + timedelta(days=11))
    assert (await browser.get("/backoffice/candidates")).status_code == 200
