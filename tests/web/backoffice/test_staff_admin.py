"""Staff administration: invitations, roles, disabling, and the sessions each one ends."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from domain.accounts import admin as staff_admin
from domain.accounts.admin import Actor
from domain.db import fetch, fetchval
from domain.errors import Invalid
from domain.ports import SystemClock
from domain.tokens import service as tokens
from domain.tokens.signer import Purpose
from tests.events_support import staff_browser
from tests.fixtures import FrozenClock

pytestmark = pytest.mark.usefixtures("clean_state")
LINK = re.compile(r"(/backoffice/invitations/[A-Za-z0-9._\-]+)")
PASSWORD = "correct horse battery staple"


async def staff_id(email: str) -> int:
    return int(await fetchval("SELECT id FROM staff_users WHERE email = $1", email))


async def audit_actions(subject: str) -> list[dict]:
    return await fetch("SELECT actor, action, ip, detail FROM audit_entries WHERE subject = $1 "
                       "ORDER BY id", subject)


@pytest.fixture
async def admin(app):
    browser = await staff_browser(app, "admin@test.local", ["admin"])
    await browser.get("/backoffice/staff")  # a CSRF token for the forms
    yield browser
    await browser.client.aclose()


async def invite(admin, email: str, roles: list[str], name: str = "Nia New"):
    await admin.get("/backoffice/staff/invite")
    return await admin.submit("/backoffice/staff/invite",
                              [("email", email), ("full_name", name),
                               *[("roles", role) for role in roles]])


async def invitation_path(mail, worker_burst, email: str) -> str:
    await worker_burst()
    [message] = mail.find(email)
    assert "back office" in message.subject
    match = LINK.search(message.text_body or "")
    assert match, message.text_body
    return match.group(1)


async def sign_in(browser, email: str, password: str = PASSWORD):
    await browser.get("/backoffice/login")
    return await browser.submit("/backoffice/login", {"email": email, "password": password})


async def test_an_invited_colleague_sets_a_password_through_the_emailed_link_then_signs_in(
        admin, browser, mail, worker_burst):
    response = await invite(admin, "nia@test.local", ["recruiter", "event_host"])
    assert response.status_code == 303
    new_id = await staff_id("nia@test.local")
    assert response.headers["location"] == f"/backoffice/staff/{new_id}?notice=invited"
    detail = await admin.get(response.headers["location"])
    assert "Invitation sent" in detail.text and "not chosen a password yet" in detail.text
    # No usable password until the link is used.
    assert (await sign_in(browser, "nia@test.local", "")).status_code == 422

    path = await invitation_path(mail, worker_burst, "nia@test.local")
    form = await browser.get(path)
    assert form.status_code == 200 and "Choose your password" in form.text
    short = await browser.submit(path, {"password": "short", "confirm": "short"})
    assert short.status_code == 422 and 'id="f-password-error"' in short.text
    differ = await browser.submit(path, {"password": PASSWORD, "confirm": PASSWORD + "!"})
    assert differ.status_code == 422 and 'id="f-confirm-error"' in differ.text
    done = await browser.submit(path, {"password": PASSWORD, "confirm": PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == "/backoffice/login?welcome=1"
    assert "Your password is set" in (await browser.get(done.headers["location"])).text

    assert (await sign_in(browser, "nia@test.local")).status_code == 303
    assert (await browser.get("/backoffice/events")).status_code == 200
    assert (await browser.get("/backoffice/staff")).status_code == 403

    again = await browser.get(path)
    assert again.status_code == 409 and "already used" in again.text
    assert [(e["actor"], e["action"]) for e in await audit_actions(f"staff:{new_id}")] == [
        ("admin@test.local", "staff.invited"), ("nia@test.local", "staff.invite_accepted")]


async def test_the_invite_form_explains_each_problem(admin):
    blank = await invite(admin, "", [], name="")
    assert blank.status_code == 422
    for field in ("email", "full_name", "roles"):
        assert f'id="f-{field}-error"' in blank.text, field
    bogus_role = await invite(admin, "x@test.local", ["owner"])
    assert bogus_role.status_code == 422 and "Choose roles from the list" in bogus_role.text
    taken = await invite(admin, "ADMIN@test.local", ["recruiter"])
    assert taken.status_code == 422 and "already has a staff account" in taken.text
    assert await fetchval("SELECT count(*) FROM staff_users") == 1


async def test_forged_expired_and_disabled_invitation_links_get_an_explanation(admin, browser):
    forged = await browser.get("/backoffice/invitations/not-a-real-token")
    assert forged.status_code == 400 and "doesn't work" in forged.text
    assert (await invite(admin, "late@test.local", ["recruiter"])).status_code == 303
    late_id = await staff_id("late@test.local")
    long_ago = FrozenClock(SystemClock().now() - timedelta(hours=72, seconds=1))
    token = await tokens.issue(purpose=Purpose.STAFF_INVITE, subject=f"staff:{late_id}",
                               clock=long_ago)
    expired = await browser.get(f"/backoffice/invitations/{token}")
    assert expired.status_code == 410 and "has expired" in expired.text
    await browser.get("/backoffice/login")  # the problem page has no form to take a token from
    posted = await browser.submit(f"/backoffice/invitations/{token}",
                                  {"password": PASSWORD, "confirm": PASSWORD})
    assert posted.status_code == 410
    fresh = await tokens.issue(purpose=Purpose.STAFF_INVITE, subject=f"staff:{late_id}",
                               clock=SystemClock())
    await admin.get(f"/backoffice/staff/{late_id}")
    assert (await admin.submit(f"/backoffice/staff/{late_id}/disable",
                               {"state_reason": "hired elsewhere"})).status_code == 303
    disabled = await browser.get(f"/backoffice/invitations/{fresh}")
    assert disabled.status_code == 400 and "no longer active" in disabled.text


async def test_adding_a_role_keeps_sessions_and_removing_one_ends_them(app, admin):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    rec_id = await staff_id("rec@test.local")
    assert (await recruiter.get("/backoffice/reports/eeo")).status_code == 403
    await admin.get(f"/backoffice/staff/{rec_id}")
    added = await admin.submit(f"/backoffice/staff/{rec_id}/roles",
                               [("roles", "recruiter"), ("roles", "eeo_reporter"),
                                ("reason", "runs the EEO report now")])
    assert added.headers["location"] == f"/backoffice/staff/{rec_id}?notice=roles"
    assert (await recruiter.get("/backoffice/reports/eeo")).status_code == 200

    removed = await admin.submit(f"/backoffice/staff/{rec_id}/roles",
                                 [("roles", "eeo_reporter")])
    assert removed.headers["location"] == f"/backoffice/staff/{rec_id}?notice=roles_ended"
    ended = await recruiter.get("/backoffice/reports/eeo")
    assert ended.status_code == 303
    assert ended.headers["location"].startswith("/backoffice/login?next=")
    assert ended.headers["location"].endswith("&ended=1")
    assert "Your session has ended" in (await recruiter.get(ended.headers["location"])).text
    changes = [e for e in await audit_actions(f"staff:{rec_id}")
               if e["action"] == "staff.roles_changed"]
    assert [c["ip"] for c in changes] == ["203.0.113.9", "203.0.113.9"]
    assert '"reason": "runs the EEO report now"' in changes[0]["detail"]
    assert '"sessions_ended": true' in changes[1]["detail"]
    # A new sign-in works with the roles that are left.
    assert (await sign_in(recruiter, "rec@test.local", "a-long-test-password")).status_code \
        == 303
    assert (await recruiter.get("/backoffice/reports/eeo")).status_code == 200
    assert (await recruiter.get("/backoffice/candidates")).status_code == 403
    await recruiter.client.aclose()


async def test_disabling_ends_an_open_session_on_its_next_request(app, admin):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    rec_id = await staff_id("rec@test.local")
    assert (await recruiter.get("/backoffice/candidates")).status_code == 200
    await admin.get(f"/backoffice/staff/{rec_id}")
    no_reason = await admin.submit(f"/backoffice/staff/{rec_id}/disable", {"state_reason": ""})
    assert no_reason.status_code == 422 and 'id="f-state_reason-error"' in no_reason.text
    assert (await recruiter.get("/backoffice/candidates")).status_code == 200
    done = await admin.submit(f"/backoffice/staff/{rec_id}/disable",
                              {"state_reason": "left the company"})
    assert done.headers["location"] == f"/backoffice/staff/{rec_id}?notice=disabled"
    first = await recruiter.get("/backoffice/candidates")
    assert first.status_code == 303 and first.headers["location"].endswith("&ended=1")
    assert (await sign_in(recruiter, "rec@test.local", "a-long-test-password")).status_code \
        == 422
    failed = await fetch("SELECT detail FROM audit_entries WHERE action = 'staff.login_failed'")
    assert '"reason": "no active account"' in failed[-1]["detail"]
    listing = await admin.get("/backoffice/staff")
    assert "Disabled" in listing.text

    await admin.get(f"/backoffice/staff/{rec_id}")
    assert (await admin.submit(f"/backoffice/staff/{rec_id}/enable",
                               {"state_reason": "came back"})).status_code == 303
    assert (await sign_in(recruiter, "rec@test.local", "a-long-test-password")).status_code \
        == 303
    assert (await recruiter.get("/backoffice/candidates")).status_code == 200
    actions = [(e["action"], e["actor"], e["ip"]) for e in await audit_actions(f"staff:{rec_id}")]
    assert actions == [("staff.disabled", "admin@test.local", "203.0.113.9"),
                       ("staff.enabled", "admin@test.local", "203.0.113.9")]
    await recruiter.client.aclose()


async def test_nobody_disables_themselves_or_the_last_admin(app, admin):
    admin_id = await staff_id("admin@test.local")
    await admin.get(f"/backoffice/staff/{admin_id}")
    own = await admin.submit(f"/backoffice/staff/{admin_id}/disable",
                             {"state_reason": "testing"})
    assert own.status_code == 422 and "cannot disable your own account" in own.text
    demote = await admin.submit(f"/backoffice/staff/{admin_id}/roles", [("roles", "recruiter")])
    assert demote.status_code == 422 and "last active admin" in demote.text
    assert await fetchval("SELECT roles FROM staff_users WHERE id = $1", admin_id) == ["admin"]
    # Even from outside the form (e.g. a future role that manages staff without being admin).
    other = await staff_browser(app, "rec@test.local", ["recruiter"])
    with pytest.raises(Invalid, match="last active admin"):
        await staff_admin.disable(admin_id, reason="x", clock=SystemClock(),
                                  actor=Actor(await staff_id("rec@test.local"), "r", ""))
    # With a second admin, one of them may step down.
    await staff_browser(app, "admin2@test.local", ["admin"])
    await admin.get(f"/backoffice/staff/{admin_id}")
    ok = await admin.submit(f"/backoffice/staff/{admin_id}/roles", [("roles", "recruiter")])
    assert ok.status_code == 303
    assert (await admin.get("/backoffice/staff")).status_code == 303  # own session ended
    await other.client.aclose()


async def test_non_admins_are_refused_and_each_refusal_is_logged_once_a_minute(app):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    await recruiter.get("/backoffice/candidates")
    for _ in range(5):
        assert (await recruiter.get("/backoffice/staff")).status_code == 403
    assert (await recruiter.submit("/backoffice/staff/invite", {
        "email": "x@test.local", "full_name": "X", "roles": "admin"})).status_code == 403
    assert (await recruiter.get("/backoffice/staff/1")).status_code == 403
    denied = await fetch("SELECT actor, subject, ip, detail FROM audit_entries "
                         "WHERE action = 'staff.permission_denied' ORDER BY id")
    assert [d["subject"] for d in denied] == ["/backoffice/staff", "/backoffice/staff/invite",
                                              "/backoffice/staff/1"]
    assert all(d["actor"] == "rec@test.local" and d["ip"] == "203.0.113.9" for d in denied)
    assert '"permission": "admin:staff:manage"' in denied[0]["detail"]
    assert '"route": "/backoffice/staff/{staff_id}"' in denied[2]["detail"]
    assert await fetchval("SELECT count(*) FROM staff_users") == 1
    await recruiter.client.aclose()


async def test_the_staff_list_shows_roles_status_and_last_sign_in(app, admin):
    await invite(admin, "nia@test.local", ["marketing"])
    listing = await admin.get("/backoffice/staff")
    assert listing.status_code == 200
    assert "nia@test.local" in listing.text and "Marketing" in listing.text
    assert "Invited" in listing.text and "Never" in listing.text
    assert "password_hash" not in listing.text
    assert 'href="/backoffice/staff"' in listing.text  # the navigation entry for admins


async def test_a_refusal_by_a_service_rule_is_logged_like_a_guards(app):
    """Ownership and role rules checked inside services raise PermissionDenied below the
    route guards: the 403 is audited the same way (QUALITY.md L4)."""
    from tests.events_support import person
    from tests.jobs_support import create_application, create_requisition
    from tests.web.backoffice.test_offers import offer_form

    hm = await staff_browser(app, "hm@test.local", ["hiring_manager"])
    rita = await staff_browser(app, "rita@test.local", ["recruiter"])
    requisition = await create_requisition(members={await staff_id("hm@test.local"):
                                                     "hiring_manager"})
    application = await create_application(requisition["id"], await person("ann@example.com"),
                                           "Offer")
    await rita.get(f"/backoffice/applications/{application['id']}/offer")
    await rita.submit(f"/backoffice/applications/{application['id']}/offer", offer_form())
    offer = await fetchval("SELECT id FROM offers")
    await hm.get(f"/backoffice/applications/{application['id']}/offer")
    assert (await hm.submit(f"/backoffice/offers/{offer}/submit", {})).status_code == 303
    for _ in range(3):
        refused = await hm.submit(f"/backoffice/offers/{offer}/approve", {})
        assert refused.status_code == 403 and "approve offers" in refused.text
    [entry] = await fetch("SELECT actor, subject, ip, detail FROM audit_entries "
                          "WHERE action = 'staff.permission_denied'")
    assert entry["actor"] == "hm@test.local" and entry["ip"] == "203.0.113.9"
    assert entry["subject"] == f"/backoffice/offers/{offer}/approve"
    assert '"reason": "Only recruiters and admins approve offers."' in entry["detail"]
    await hm.client.aclose()
    await rita.client.aclose()
