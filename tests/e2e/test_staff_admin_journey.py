"""An admin disables a colleague whose session is open in another browser: that session's
next page is the sign-in page, which says the session ended, and signing in again fails."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.e2e.test_accessibility import sign_in_staff

pytestmark = pytest.mark.e2e
ADMIN = ("admin@test.local", "a-long-admin-password")


@pytest.fixture
async def admin():
    from domain.accounts import service as accounts
    from domain.ports import SystemClock

    await accounts.create_user(email=ADMIN[0], full_name="Ada Admin", roles=["admin"],
                               password=ADMIN[1], clock=SystemClock())


async def test_an_admin_disables_a_colleague_whose_open_session_is_then_refused(
        pages, live_server, recruiter, admin):
    colleague = await pages.new()  # a second browser context: its own cookies
    await sign_in_staff(colleague, live_server.base_url, recruiter.email, recruiter.password)
    await expect(colleague.get_by_role("heading", name="Candidates", level=1)).to_be_visible()

    boss = await pages.new()
    await sign_in_staff(boss, live_server.base_url, *ADMIN)
    await boss.get_by_role("navigation", name="Main").get_by_role("link", name="Staff").click()
    await boss.get_by_role("link", name=recruiter.full_name).click()
    await expect(boss.get_by_role("heading", name=recruiter.full_name, level=1)).to_be_visible()
    await boss.get_by_role("textbox", name="Reason", exact=True).fill("Left the company")
    await boss.get_by_role("button", name="Disable account").click()
    await expect(boss.get_by_role("status")).to_contain_text("Account disabled")
    await expect(boss.get_by_text("staff.disabled")).to_be_visible()

    await colleague.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Requisitions").click()
    await expect(colleague).to_have_url(re.compile(r"/backoffice/login\?next=.*ended=1"))
    await expect(colleague.get_by_role("status")).to_contain_text("Your session has ended")
    await colleague.get_by_label("Email address").fill(recruiter.email)
    await colleague.get_by_label("Password").fill(recruiter.password)
    await colleague.get_by_role("button", name="Sign in").click()
    await expect(colleague.get_by_text("do not match an active account")).to_be_visible()
    # The admin's own session is untouched.
    await boss.get_by_role("link", name="Your sessions").click()
    await expect(boss.get_by_text("(this session)")).to_be_visible()
