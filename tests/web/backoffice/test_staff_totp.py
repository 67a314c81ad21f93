"""TOTP second factor for local staff sign-in: enrolment, the code step after the password,
wrong and replayed codes, turning it off, and roles that require it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pyotp
import pytest

from backoffice.controllers import auth as auth_controller
from domain.accounts import totp
from domain.db import fetch
from tests.fixtures import Browser, FrozenClock

EMAIL, PASSWORD = "recruiter@test.local", "a-long-test-password"
SECURITY = "/backoffice/account/security"
SECRET = re.compile(r'<code class="totp-secret">([A-Z2-7]+)</code>')


@pytest.fixture
def frozen(app) -> FrozenClock:
    clock = FrozenClock(datetime.now(UTC).replace(microsecond=0))
    app.state.clock = clock
    return clock


def code_at(secret: str, clock: FrozenClock, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock.now().timestamp() + 30 * steps)


async def enrol(browser: Browser, clock: FrozenClock) -> str:
    page = await browser.get(SECURITY)
    assert page.status_code == 200
    secret = SECRET.search(page.text).group(1)
    response = await browser.submit(f"{SECURITY}/totp/enrol", {"code": code_at(secret, clock)})
    assert response.status_code == 303 and response.headers["location"].endswith("enabled")
    return secret


async def password_step(browser: Browser, next_path: str = "/backoffice/candidates"):
    await browser.get("/backoffice/login")
    return await browser.submit("/backoffice/login", {"email": EMAIL, "password": PASSWORD,
                                                      "next": next_path})


async def sign_out(browser: Browser) -> None:
    await browser.get("/backoffice/account/sessions")
    assert (await browser.submit("/backoffice/logout", {})).status_code == 303


async def is_signed_in(browser: Browser) -> bool:
    return (await browser.get("/backoffice/account/sessions")).status_code == 200


async def submit_code(browser: Browser, code: str):
    await browser.get("/backoffice/login/code")
    return await browser.submit("/backoffice/login/code", {"code": code})


async def test_enrolment_shows_a_qr_code_and_needs_a_valid_code(signed_in, frozen):
    page = await signed_in.get(SECURITY)
    assert "<svg" in page.text and "otpauth://totp/" in page.text
    secret = SECRET.search(page.text).group(1)
    assert SECRET.search((await signed_in.get(SECURITY)).text).group(1) == secret, \
        "a reload shows the same secret until it is confirmed"
    wrong = await signed_in.submit(f"{SECURITY}/totp/enrol", {"code": "000000"})
    assert wrong.status_code == 422 and "not right" in wrong.text
    ok = await signed_in.submit(f"{SECURITY}/totp/enrol", {"code": code_at(secret, frozen)})
    assert ok.status_code == 303
    [row] = await fetch("SELECT totp_secret, totp_enabled_at FROM staff_users")
    assert row["totp_enabled_at"] is not None
    assert secret not in row["totp_secret"], "stored encrypted, never in plaintext"
    assert totp.decrypt(row["totp_secret"]) == secret
    assert "Two-factor sign-in is on" in (await signed_in.get(SECURITY)).text
    actions = [r["action"] for r in await fetch("SELECT action FROM audit_entries")]
    assert "staff.totp_enabled" in actions


async def test_sign_in_asks_for_the_code_after_the_password(signed_in, frozen):
    secret = await enrol(signed_in, frozen)
    await sign_out(signed_in)
    half = await password_step(signed_in)
    assert half.status_code == 303 and half.headers["location"] == "/backoffice/login/code"
    assert not await is_signed_in(signed_in), "a password alone does not sign in"
    before = signed_in.client.cookies["tl_staff"]
    done = await submit_code(signed_in, code_at(secret, frozen, 1))
    assert done.status_code == 303 and done.headers["location"] == "/backoffice/candidates"
    assert signed_in.client.cookies["tl_staff"] != before, "the session id rotates"
    assert await is_signed_in(signed_in)
    details = [json.loads(r["detail"]) if isinstance(r["detail"], str) else r["detail"]
               for r in await fetch("SELECT detail FROM audit_entries "
                                    "WHERE action = 'staff.login' ORDER BY id")]
    assert details[-1]["method"] == "password+totp"


async def test_a_used_code_is_refused_and_five_wrong_codes_start_over(signed_in, frozen):
    secret = await enrol(signed_in, frozen)
    await sign_out(signed_in)
    await password_step(signed_in)
    replay = await submit_code(signed_in, code_at(secret, frozen))  # the enrolment's code
    assert replay.status_code == 422 and "already used" in replay.text
    for _ in range(3):
        assert (await submit_code(signed_in, "123456")).status_code == 422
    last = await submit_code(signed_in, "654321")
    assert last.status_code == 303 and last.headers["location"] == "/backoffice/login?code=expired"
    assert "too many wrong codes" in (await signed_in.get(last.headers["location"])).text
    # The half sign-in is gone: even the right code does nothing now.
    assert (await signed_in.get("/backoffice/login/code")).status_code == 303
    late = await signed_in.submit("/backoffice/login/code", {"code": code_at(secret, frozen, 1)})
    assert late.headers["location"] == "/backoffice/login?code=expired"
    assert not await is_signed_in(signed_in)


async def test_the_code_step_expires(signed_in, frozen, monkeypatch):
    secret = await enrol(signed_in, frozen)
    await sign_out(signed_in)
    await password_step(signed_in)
    monkeypatch.setattr(auth_controller, "PENDING_SECONDS", 0)
    late = await signed_in.submit("/backoffice/login/code", {"code": code_at(secret, frozen, 1)})
    assert late.headers["location"] == "/backoffice/login?code=expired"
    assert not await is_signed_in(signed_in)


async def test_turning_it_off_needs_a_current_code(signed_in, frozen):
    secret = await enrol(signed_in, frozen)
    await signed_in.get(SECURITY)
    wrong = await signed_in.submit(f"{SECURITY}/totp/disable", {"code": "111111"})
    assert wrong.status_code == 422
    replay = await signed_in.submit(f"{SECURITY}/totp/disable",
                                    {"code": code_at(secret, frozen)})
    assert replay.status_code == 422, "the enrolment's code was used up"
    ok = await signed_in.submit(f"{SECURITY}/totp/disable", {"code": code_at(secret, frozen, 1)})
    assert ok.status_code == 303
    assert (await fetch("SELECT totp_enabled_at FROM staff_users"))[0]["totp_enabled_at"] \
        is None
    await sign_out(signed_in)
    assert (await password_step(signed_in)).headers["location"] == "/backoffice/candidates"


async def test_a_role_that_requires_mfa_must_enrol_before_anything_else(browser, staff_user,
                                                                        frozen):
    await fetch("INSERT INTO sso_settings (id, mfa_required_roles) VALUES (1, ARRAY['recruiter'])")
    response = await password_step(browser)
    assert response.status_code == 303
    assert response.headers["location"] == f"{SECURITY}?notice=required"
    blocked = await browser.get("/backoffice/candidates")
    assert blocked.status_code == 303 and blocked.headers["location"].startswith(SECURITY)
    assert "requires two-factor" in (await browser.get(SECURITY)).text
    secret = await enrol(browser, frozen)
    assert (await browser.get("/backoffice/candidates")).status_code == 200
    # It stays on while the role requires it.
    await browser.get(SECURITY)
    refused = await browser.submit(f"{SECURITY}/totp/disable",
                                   {"code": code_at(secret, frozen, 1)})
    assert refused.status_code == 422 and "stays on" in refused.text
