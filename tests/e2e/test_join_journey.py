"""Joining a talent community with double opt-in, and the recruiter finding the new member,
in a real browser against the real web and worker processes."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from domain.db import fetch
from tests.e2e.pages import ConfirmPage, JoinPage, LoginPage, MailOutboxPage

pytestmark = pytest.mark.e2e

CONFIRM_SUBJECT = "Confirm you want to join Engineering"
SAVED_BY_A_JOIN = ("people", "community_memberships", "consent_records", "outbound_emails")


async def membership_status(email: str) -> str:
    rows = await fetch(
        "SELECT m.status FROM community_memberships m JOIN people p ON p.id = m.person "
        "WHERE p.email = $1", email,
    )
    assert len(rows) == 1, rows
    return rows[0]["status"]


async def test_candidate_joins_confirms_and_recruiter_sees_the_timeline(
        page, pages, live_server, community, recruiter, consent_text, wait_for_email,
        confirm_url):
    join = await JoinPage(page).open_from_home("Engineering")
    await join.join("Ann Smith", "ann@example.com", interests=["Backend"],
                    consent_text=consent_text)
    await join.expect_check_inbox("ann@example.com")

    [message] = await wait_for_email("ann@example.com", "Confirm")
    assert message.subject == CONFIRM_SUBJECT
    link = confirm_url(message.text_body)
    confirm = await ConfirmPage(page).open(link, "Engineering")
    assert await membership_status("ann@example.com") == "pending", "opening must not confirm"
    await confirm.confirm()
    assert page.url == live_server.url("/communities/engineering/welcome")
    assert await membership_status("ann@example.com") == "confirmed"

    # The recruiter works in a browser of their own.
    staff_page = await pages.new()
    candidates = await LoginPage(staff_page).sign_in(recruiter.email, recruiter.password)
    await candidates.search("ann@example.com")
    await expect(candidates.row("ann@example.com")).to_contain_text("Engineering")
    person = await candidates.open_person("Ann Smith")
    await expect(person.memberships).to_contain_text("Confirmed")
    for title in ("Consent given", "Consent requested", "Joined a community",
                  f"Email: {CONFIRM_SUBJECT}"):
        await expect(person.timeline_entry(title)).to_have_count(1)
    # Consent evidence stays in the ledger; recruiters do not see the IP address.
    await expect(person.timeline).not_to_contain_text("127.0.0.1")

    outbox = await MailOutboxPage(staff_page).open_from_menu()
    shown = await outbox.open_message("ann@example.com", CONFIRM_SUBJECT)
    await expect(shown.html_frame).to_be_visible()
    await expect(shown.html_content.get_by_role(
        "heading", name=CONFIRM_SUBJECT)).to_be_visible()
    await expect(shown.html_content.get_by_role(
        "link", name="Confirm your membership")).to_have_attribute("href", link)
    await expect(shown.text_version).to_contain_text(link)


async def test_invalid_join_is_announced_with_field_errors_and_saves_nothing(
        page, community, consent_text):
    join = await JoinPage(page).open()
    await join.join("Ann Smith", "not-an-email", interests=["Frontend"])

    await expect(join.error_summary).to_be_visible()
    await expect(join.error_summary).to_be_focused()  # app.js moves focus there
    await expect(join.error_summary.get_by_role(
        "heading", name="There is a problem")).to_be_visible()
    await expect(join.error_summary.get_by_role("link")).to_have_count(2)
    await expect(page).to_have_title(re.compile("^Error: "))

    await expect(join.email).to_have_attribute("aria-invalid", "true")
    await expect(join.email).to_have_accessible_description(re.compile("valid email"))
    await expect(join.email).to_have_value("not-an-email")
    consent = join.consent(consent_text)
    await expect(consent).to_have_attribute("aria-invalid", "true")
    await expect(consent).to_have_accessible_description(re.compile("Tick the box"))
    await expect(consent).not_to_be_checked()
    await expect(join.name).not_to_have_attribute("aria-invalid", "true")
    await expect(join.name).to_have_value("Ann Smith")
    await expect(join.interests.get_by_label("Frontend", exact=True)).to_be_checked()

    # The summary's links take keyboard users to the field.
    await join.error_summary.get_by_role("link", name=re.compile("valid email")).click()
    await expect(join.email).to_be_focused()

    for table in SAVED_BY_A_JOIN:
        count = await fetch(f"SELECT count(*) AS n FROM {table}")  # noqa: S608 - fixed names
        assert count[0]["n"] == 0, table


async def test_pages_fit_a_narrow_phone_screen(pages, community, recruiter):
    await fetch(
        "INSERT INTO people (email, full_name, source, created_at, updated_at) VALUES "
        "('alexandra.konstantinopoulou@a-rather-long-company-name.example.com', "
        "'Alexandra Konstantinopoulou-Papadimitriou', 'test', now(), now()), "
        "('bo@example.com', 'Bo Li', 'test', now(), now())"
    )
    phone = await pages.new(viewport={"width": 375, "height": 812})

    join = await JoinPage(phone).open()
    await expect(join.heading("Engineering")).to_be_visible()
    assert await join.has_no_horizontal_scroll(), "the community page scrolls sideways"

    candidates = await LoginPage(phone).sign_in(recruiter.email, recruiter.password)
    await expect(candidates.person_link("Bo Li")).to_be_visible()
    assert await candidates.has_no_horizontal_scroll(), "the candidate list scrolls sideways"
