"""Names are attacker-controlled: whatever someone types into the join form must come back
as text on every page that shows it (portal, back office, mail outbox) and in the emails.

Escaping is checked directly (no injected elements, the payload visible as text), not only
through its effect: the strict CSP would stop most payloads from running even if a
template forgot to escape, and that must not hide the template's mistake.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from domain.people.rules import first_name
from tests.e2e.pages import CandidatesPage, ConfirmPage, JoinPage, LoginPage, MailOutboxPage

pytestmark = pytest.mark.e2e

PAYLOADS = [
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=1">',
    '"><svg onload=window.__pwned=1>',
    "{{7*7}}",
    "javascript:alert(1)",
    # Without spaces: emails greet people by the first word of their name.
    "<img/src/onerror=window.__pwned=1>",
    "</title><script>alert(1)</script>",
]
CONFIRM_SUBJECT = "Confirm you want to join Engineering"
# Elements or attributes that only an unescaped payload could have put into a page.
INJECTED = (
    "script:not([src]), img[src='x'], img:not([src]), svg[onload], [onerror], [onload], "
    "a[href^='javascript:' i]"
)


def email_for(index: int) -> str:
    return f"xss{index}@example.com"


async def assert_not_pwned(page: Page, pages) -> None:
    assert await page.evaluate("typeof window.__pwned") == "undefined", page.url
    await expect(page.locator(INJECTED)).to_have_count(0)
    assert pages.problems(page).dialogs == [], page.url
    await expect(page.get_by_text("49", exact=True)).to_have_count(0)


async def test_hostile_names_are_shown_as_text_everywhere(
        page, pages, community, recruiter, consent_text, wait_for_email, confirm_url):
    join = JoinPage(page)
    for index, payload in enumerate(PAYLOADS):
        await join.open()
        await join.join(payload, email_for(index), consent_text=consent_text)
        await join.expect_check_inbox(email_for(index))
        await assert_not_pwned(page, pages)

    messages = {}
    for index, payload in enumerate(PAYLOADS):
        [message] = await wait_for_email(email_for(index), "Confirm")
        messages[index] = message
        greeting = f"Hi {first_name(payload)},"
        assert greeting in message.text_body, "the name must reach the email unchanged"
        confirm = await ConfirmPage(page).open(confirm_url(message.text_body), "Engineering")
        await expect(page.get_by_text(f"Hi {first_name(payload)}, one last step")).to_be_visible()
        await assert_not_pwned(page, pages)
        await confirm.confirm()

    staff = await pages.new()
    candidates = await LoginPage(staff).sign_in(recruiter.email, recruiter.password)
    for payload in PAYLOADS:
        await expect(candidates.person_link(payload)).to_be_visible()
    await assert_not_pwned(staff, pages)

    for payload in PAYLOADS:
        await CandidatesPage(staff).open()
        person = await CandidatesPage(staff).open_person(payload)
        await expect(staff).to_have_title(f"{payload} · Candidates · talentloop")
        await expect(person.memberships).to_contain_text("Confirmed")
        await assert_not_pwned(staff, pages)

    outbox = await MailOutboxPage(staff).open()
    await assert_not_pwned(staff, pages)
    for index, payload in enumerate(PAYLOADS):
        message = messages[index]
        await expect(outbox.row(email_for(index))).to_contain_text(message.to)
        shown = await outbox.open_message(email_for(index), CONFIRM_SUBJECT)
        greeting = f"Hi {first_name(payload)},"
        await expect(shown.text_version).to_contain_text(greeting)
        await expect(shown.html_content.get_by_text(greeting)).to_be_visible()
        await expect(shown.html_content.locator(INJECTED)).to_have_count(0)
        await assert_not_pwned(staff, pages)
        outbox = await shown.back_to_outbox()
