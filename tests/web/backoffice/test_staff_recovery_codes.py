"""Recovery codes for staff two-factor sign-in: made at enrolment and shown once, stored
only as hashes, each usable once at the code step (even when two sign-ins race), made anew
with a current code, deleted when two-factor is turned off or reset by an admin, and
wrong ones count toward the five tries."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime

import httpx
import pytest

from domain.accounts import recovery_codes
from domain.db import fetch, fetchval
from tests.events_support import staff_browser
from tests.fixtures import Browser, FrozenClock
from tests.web.backoffice.test_staff_totp import (
    EMAIL,
    SECRET,
    SECURITY,
    code_at,
    is_signed_in,
    password_step,
    sign_out,
    submit_code,
)

CODE = re.compile(r"<li>\s*<code>([a-z0-9]{5}-[a-z0-9]{5})</code>")


@pytest.fixture
def frozen(app) -> FrozenClock:
    clock = FrozenClock(datetime.now(UTC).replace(microsecond=0))
    app.state.clock = clock
    return clock


async def enrol_with_codes(browser: Browser, clock: FrozenClock) -> tuple[str, list[str]]:
    page = await browser.get(SECURITY)
    secret = SECRET.search(page.text).group(1)
    done = await browser.submit(f"{SECURITY}/totp/enrol", {"code": code_at(secret, clock)})
    assert done.status_code == 303 and done.headers["location"].endswith("enabled")
    shown = await browser.get(done.headers["location"])
    assert shown.headers["cache-control"] == "no-store"
    return secret, CODE.findall(shown.text)


async def audit_text() -> str:
    return json.dumps([dict(r) for r in await fetch(
        "SELECT actor, action, subject, detail::text FROM audit_entries")])


async def unused() -> int:
    return int(await fetchval("SELECT count(*) FROM staff_recovery_codes "
                              "WHERE used_at IS NULL"))


async def test_enrolment_shows_ten_codes_once_and_keeps_only_hashes(signed_in, frozen):
    _, codes = await enrol_with_codes(signed_in, frozen)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(recovery_codes.looks_like_one(code) for code in codes)
    again = await signed_in.get(SECURITY)
    assert CODE.findall(again.text) == [], "shown once only"
    assert "You have 10 unused recovery codes" in again.text
    rows = await fetch("SELECT code_hash FROM staff_recovery_codes")
    hashes = {row["code_hash"] for row in rows}
    assert len(rows) == 10 and hashes == {recovery_codes.code_hash(c) for c in codes}
    everything = json.dumps(await fetch("SELECT * FROM staff_recovery_codes"), default=str)
    logged = await audit_text()
    for code in codes:
        for shape in (code, code.replace("-", "")):
            assert shape not in everything and shape not in logged
    assert "staff.recovery_codes_generated" in logged


async def test_a_recovery_code_signs_in_once(signed_in, frozen):
    _, codes = await enrol_with_codes(signed_in, frozen)
    await sign_out(signed_in)
    await password_step(signed_in)
    typed = " " + codes[0].upper().replace("-", " ") + " "  # case, spaces: all the same
    done = await submit_code(signed_in, typed)
    assert done.status_code == 303 and done.headers["location"] == "/backoffice/candidates"
    assert await is_signed_in(signed_in)
    assert await unused() == 9
    [entry] = await fetch("SELECT detail FROM audit_entries "
                          "WHERE action = 'staff.recovery_code_used'")
    detail = json.loads(entry["detail"]) if isinstance(entry["detail"], str) else entry["detail"]
    assert detail == {"remaining": 9}
    logins = await fetch("SELECT detail::text AS d FROM audit_entries "
                         "WHERE action = 'staff.login' ORDER BY id DESC LIMIT 1")
    assert "password+recovery_code" in logins[0]["d"]
    await sign_out(signed_in)
    await password_step(signed_in)
    replay = await submit_code(signed_in, codes[0])
    assert replay.status_code == 422 and not await is_signed_in(signed_in)
    assert "staff.recovery_code_used" in await audit_text()
    assert codes[0] not in await audit_text()


async def test_two_racing_sign_ins_with_one_code_sign_in_at_most_once(app, signed_in, frozen):
    _, codes = await enrol_with_codes(signed_in, frozen)
    await sign_out(signed_in)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.8", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        second = Browser(other)
        for browser in (signed_in, second):
            assert (await password_step(browser)).headers["location"] == "/backoffice/login/code"
            await browser.get("/backoffice/login/code")
        results = await asyncio.gather(
            *(browser.submit("/backoffice/login/code", {"code": codes[3]})
              for browser in (signed_in, second)))
        assert sorted(r.status_code for r in results) == [303, 422]
        assert [await is_signed_in(b) for b in (signed_in, second)].count(True) == 1
    assert await unused() == 9


async def test_new_codes_need_a_current_code_and_replace_the_old_ones(signed_in, frozen):
    secret, old = await enrol_with_codes(signed_in, frozen)
    await signed_in.get(SECURITY)
    url = f"{SECURITY}/recovery-codes"
    wrong = await signed_in.submit(url, {"regen_code": "123456"})
    assert wrong.status_code == 422 and "not right" in wrong.text
    assert await unused() == 10
    assert {r["code_hash"] for r in await fetch("SELECT code_hash FROM staff_recovery_codes")} \
        == {recovery_codes.code_hash(c) for c in old}, "nothing changed"
    done = await signed_in.submit(url, {"regen_code": code_at(secret, frozen, 1)})
    assert done.status_code == 303
    shown = await signed_in.get(done.headers["location"])
    assert shown.headers["cache-control"] == "no-store"
    new = CODE.findall(shown.text)
    assert len(new) == 10 and not set(new) & set(old)
    assert 'download="talentloop-recovery-codes.txt"' in shown.text
    assert CODE.findall((await signed_in.get(SECURITY)).text) == []
    assert await unused() == 10
    await sign_out(signed_in)
    await password_step(signed_in)
    assert (await submit_code(signed_in, old[0])).status_code == 422, "old codes are gone"
    assert (await submit_code(signed_in, new[0])).status_code == 303


async def test_few_codes_left_brings_a_notice_after_sign_in(signed_in, frozen):
    _, codes = await enrol_with_codes(signed_in, frozen)
    await fetch("UPDATE staff_recovery_codes SET used_at = now() WHERE code_hash <> ALL($1)",
                [recovery_codes.code_hash(c) for c in codes[:3]])
    await sign_out(signed_in)
    await password_step(signed_in)
    done = await submit_code(signed_in, codes[0])
    assert done.status_code == 303 and done.headers["location"].endswith("notice=codes_low")
    page = await signed_in.get(done.headers["location"])
    assert "few recovery codes left" in page.text and "You have 2 unused" in page.text


async def test_turning_two_factor_off_deletes_the_codes(signed_in, frozen):
    secret, _ = await enrol_with_codes(signed_in, frozen)
    await signed_in.get(SECURITY)
    done = await signed_in.submit(f"{SECURITY}/totp/disable",
                                  {"code": code_at(secret, frozen, 1)})
    assert done.status_code == 303
    assert await fetch("SELECT id FROM staff_recovery_codes") == []


async def test_an_admin_reset_deletes_the_codes(app, signed_in, frozen):
    await enrol_with_codes(signed_in, frozen)
    admin = await staff_browser(app, "admin@test.local", ["admin"])
    try:
        staff = int(await fetchval("SELECT id FROM staff_users WHERE email = $1", EMAIL))
        await admin.get(f"/backoffice/staff/{staff}")
        done = await admin.submit(f"/backoffice/staff/{staff}/two-factor/reset",
                                  {"mfa_reason": "lost phone"})
        assert done.status_code == 303
    finally:
        await admin.client.aclose()
    assert await fetch("SELECT id FROM staff_recovery_codes") == []


async def test_wrong_recovery_codes_count_toward_the_five_tries(signed_in, frozen):
    _, codes = await enrol_with_codes(signed_in, frozen)
    await sign_out(signed_in)
    await password_step(signed_in)
    for attempt in range(4):
        wrong = await submit_code(signed_in, f"zzzzz-zzzz{attempt + 2}")
        assert wrong.status_code == 422
    assert (await submit_code(signed_in, "123456")).status_code == 303, "the fifth ends it"
    late = await signed_in.submit("/backoffice/login/code", {"code": codes[0]})
    assert late.headers["location"] == "/backoffice/login?code=expired"
    assert not await is_signed_in(signed_in)
    assert await unused() == 10, "nothing was used up"
    reasons = await fetch("SELECT detail->>'reason' AS r FROM audit_entries "
                          "WHERE action = 'staff.login_failed' ORDER BY id")
    assert [r["r"] for r in reasons].count("wrong recovery code") == 4
