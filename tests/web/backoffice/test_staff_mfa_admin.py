"""Staff administration of someone else's sign-in: resetting a lost second factor and
unlinking a single sign-on identity. Both end the colleague's sessions, need a reason, and
are audited; neither can be done to yourself from the staff pages."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from domain.db import fetch, fetchval
from tests.events_support import staff_browser
from tests.fixtures import Browser, FrozenClock
from tests.web.backoffice.test_staff_totp import SECURITY, enrol

pytestmark = pytest.mark.usefixtures("clean_state")
PASSWORD = "a-long-test-password"
ISSUER, SUBJECT = "https://idp.test.local", "00u1-colleague-subject"


@pytest.fixture
def frozen(app) -> FrozenClock:
    clock = FrozenClock(datetime.now(UTC).replace(microsecond=0))
    app.state.clock = clock
    return clock


@pytest.fixture
async def admin(app):
    browser = await staff_browser(app, "admin@test.local", ["admin"])
    await browser.get("/backoffice/staff")  # a CSRF token for the forms
    yield browser
    await browser.client.aclose()


@pytest.fixture
async def colleague(app):
    browser = await staff_browser(app, "rec@test.local", ["recruiter"])
    yield browser
    await browser.client.aclose()


async def staff_id(email: str) -> int:
    return int(await fetchval("SELECT id FROM staff_users WHERE email = $1", email))


async def audit_entries(staff: int, action: str) -> list[dict]:
    rows = await fetch("SELECT actor, ip, detail FROM audit_entries "
                       "WHERE subject = $1 AND action = $2 ORDER BY id", f"staff:{staff}", action)
    return [{**row, "detail": json.loads(row["detail"]) if isinstance(row["detail"], str)
             else row["detail"]} for row in rows]


async def totp_row(staff: int) -> dict:
    [row] = await fetch("SELECT totp_secret, totp_enabled_at, totp_last_step, session_epoch "
                        "FROM staff_users WHERE id = $1", staff)
    return row


async def link_identity(staff: int, clock: FrozenClock) -> int:
    return int(await fetchval(
        "INSERT INTO staff_identities (staff, issuer, subject, email_at_link, created_at) "
        "VALUES ($1, $2, $3, 'rec@test.local', $4) RETURNING id", staff, ISSUER, SUBJECT,
        clock.now()))


async def password_sign_in(browser: Browser, email: str = "rec@test.local"):
    await browser.get("/backoffice/login")
    return await browser.submit("/backoffice/login", {"email": email, "password": PASSWORD,
                                                      "next": "/backoffice/candidates"})


async def session_ended(browser: Browser) -> bool:
    response = await browser.get("/backoffice/candidates")
    return response.status_code == 303 and response.headers["location"].endswith("&ended=1")


async def test_resetting_two_factor_ends_their_sessions_and_signs_in_without_a_code(
        admin, colleague, frozen):
    secret = await enrol(colleague, frozen)
    rec_id = await staff_id("rec@test.local")
    page = await admin.get(f"/backoffice/staff/{rec_id}")
    assert "Two-factor sign-in" in page.text and "On since" in page.text
    assert secret not in page.text
    assert (await totp_row(rec_id))["totp_secret"] not in page.text, "not even encrypted"

    no_reason = await admin.submit(f"/backoffice/staff/{rec_id}/two-factor/reset",
                                   {"mfa_reason": "  "})
    assert no_reason.status_code == 422 and 'id="f-mfa_reason-error"' in no_reason.text
    assert (await totp_row(rec_id))["totp_enabled_at"] is not None, "nothing changed"
    assert (await colleague.get("/backoffice/candidates")).status_code == 200
    assert await audit_entries(rec_id, "staff.totp_reset") == []

    done = await admin.submit(f"/backoffice/staff/{rec_id}/two-factor/reset",
                              {"mfa_reason": "lost phone"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/backoffice/staff/{rec_id}?notice=totp_reset"
    assert "their open sessions have ended" in (await admin.get(done.headers["location"])).text
    assert await session_ended(colleague), "a session from before the reset is refused"
    row = await totp_row(rec_id)
    assert (row["totp_secret"], row["totp_enabled_at"], row["totp_last_step"]) == ("", None, 0)
    signed = await password_sign_in(colleague)
    assert signed.headers["location"] == "/backoffice/candidates", "no code asked any more"
    assert (await colleague.get("/backoffice/candidates")).status_code == 200
    [entry] = await audit_entries(rec_id, "staff.totp_reset")
    assert (entry["actor"], entry["ip"]) == ("admin@test.local", "203.0.113.9")
    assert entry["detail"]["reason"] == "lost phone" and entry["detail"]["sessions_ended"]
    assert secret not in json.dumps(entry["detail"])
    # Nothing left to reset: said so, nothing recorded.
    again = await admin.submit(f"/backoffice/staff/{rec_id}/two-factor/reset",
                               {"mfa_reason": "twice"})
    assert again.status_code == 409 and "not on for this account" in again.text
    assert len(await audit_entries(rec_id, "staff.totp_reset")) == 1


async def test_after_a_reset_a_role_that_requires_two_factor_enrols_again(
        admin, colleague, frozen):
    await enrol(colleague, frozen)
    await fetch("INSERT INTO sso_settings (id, mfa_required_roles) VALUES (1, ARRAY['recruiter'])")
    rec_id = await staff_id("rec@test.local")
    await admin.get(f"/backoffice/staff/{rec_id}")
    assert (await admin.submit(f"/backoffice/staff/{rec_id}/two-factor/reset",
                               {"mfa_reason": "new phone"})).status_code == 303
    assert await session_ended(colleague)
    signed = await password_sign_in(colleague)
    assert signed.headers["location"] == f"{SECURITY}?notice=required"
    blocked = await colleague.get("/backoffice/candidates")
    assert blocked.status_code == 303 and blocked.headers["location"].startswith(SECURITY)


async def test_unlinking_an_identity_removes_it_and_ends_their_sessions(
        admin, colleague, frozen):
    rec_id = await staff_id("rec@test.local")
    identity = await link_identity(rec_id, frozen)
    page = await admin.get(f"/backoffice/staff/{rec_id}")
    assert ISSUER in page.text and SUBJECT in page.text and "Never" in page.text
    url = f"/backoffice/staff/{rec_id}/identities/{identity}/unlink"

    no_reason = await admin.submit(url, {f"unlink_{identity}_reason": ""})
    assert no_reason.status_code == 422
    assert f'id="f-unlink_{identity}_reason-error"' in no_reason.text
    assert await fetchval("SELECT count(*) FROM staff_identities") == 1, "nothing changed"
    assert (await colleague.get("/backoffice/candidates")).status_code == 200

    done = await admin.submit(url, {f"unlink_{identity}_reason": "moved to the new IdP"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/backoffice/staff/{rec_id}?notice=unlinked"
    after = await admin.get(done.headers["location"])
    assert "Identity unlinked" in after.text and SUBJECT not in after.text.split(
        "Recent changes")[0]
    assert await fetchval("SELECT count(*) FROM staff_identities") == 0
    assert await session_ended(colleague)
    [entry] = await audit_entries(rec_id, "staff.sso_unlinked")
    assert (entry["actor"], entry["ip"]) == ("admin@test.local", "203.0.113.9")
    assert entry["detail"]["reason"] == "moved to the new IdP"
    assert (entry["detail"]["issuer"], entry["detail"]["subject"]) == (ISSUER, SUBJECT)
    # Gone: a second unlink (or another account's identity id) is not found.
    assert (await admin.submit(url, {f"unlink_{identity}_reason": "again"})).status_code == 404


async def test_an_identity_of_another_account_cannot_be_unlinked_through_this_one(
        app, admin, colleague, frozen):
    rec_id = await staff_id("rec@test.local")
    other = await staff_browser(app, "other@test.local", ["recruiter"])
    identity = await link_identity(await staff_id("other@test.local"), frozen)
    await admin.get(f"/backoffice/staff/{rec_id}")
    wrong = await admin.submit(f"/backoffice/staff/{rec_id}/identities/{identity}/unlink",
                               {f"unlink_{identity}_reason": "typo"})
    assert wrong.status_code == 404
    assert await fetchval("SELECT count(*) FROM staff_identities") == 1
    assert (await other.get("/backoffice/candidates")).status_code == 200
    assert (await colleague.get("/backoffice/candidates")).status_code == 200
    await other.client.aclose()


async def test_admins_cannot_reset_or_unlink_their_own_sign_in_here(admin, frozen):
    admin_id = await staff_id("admin@test.local")
    await enrol(admin, frozen)
    identity = await link_identity(admin_id, frozen)
    page = await admin.get(f"/backoffice/staff/{admin_id}")
    assert "You cannot reset your own two-factor sign-in here" in page.text
    assert f'href="{SECURITY}"' in page.text
    assert "/two-factor/reset" not in page.text and "/unlink" not in page.text
    own = await admin.submit(f"/backoffice/staff/{admin_id}/two-factor/reset",
                             {"mfa_reason": "testing"})
    assert own.status_code == 422 and "data-error-summary" in own.text
    assert "Use Two-factor sign-in under your account instead" in own.text
    blank = await admin.submit(f"/backoffice/staff/{admin_id}/two-factor/reset",
                               {"mfa_reason": ""})
    assert blank.status_code == 422 and "under your account instead" in blank.text
    unlink = await admin.submit(f"/backoffice/staff/{admin_id}/identities/{identity}/unlink",
                                {f"unlink_{identity}_reason": "testing"})
    assert unlink.status_code == 422 and "data-error-summary" in unlink.text
    assert "it would end your own sessions" in unlink.text
    assert (await totp_row(admin_id))["totp_enabled_at"] is not None
    assert await fetchval("SELECT count(*) FROM staff_identities") == 1
    assert (await admin.get("/backoffice/staff")).status_code == 200, "still signed in"


async def test_non_admins_are_refused_both_actions(admin, colleague, frozen):
    await enrol(colleague, frozen)
    admin_id = await staff_id("admin@test.local")
    rec_id = await staff_id("rec@test.local")
    identity = await link_identity(admin_id, frozen)
    await colleague.get("/backoffice/account/sessions")  # a CSRF token
    reset = await colleague.submit(f"/backoffice/staff/{admin_id}/two-factor/reset",
                                   {"mfa_reason": "takeover"})
    assert reset.status_code == 403
    unlink = await colleague.submit(f"/backoffice/staff/{admin_id}/identities/{identity}/unlink",
                                    {f"unlink_{identity}_reason": "takeover"})
    assert unlink.status_code == 403
    assert await fetchval("SELECT count(*) FROM staff_identities") == 1
    assert (await totp_row(rec_id))["totp_enabled_at"] is not None
    assert (await admin.get("/backoffice/staff")).status_code == 200
