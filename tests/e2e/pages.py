"""Page objects for the browser journeys.

Locators go through roles and accessible names, the way assistive technology finds
things, so a journey that passes also shows the pages are labelled: an unlabelled field
or a button without a name makes these lookups fail. Fields with a required marker are
found by role and name rather than get_by_label(exact=True): Playwright's label text
includes the aria-hidden "*", the accessible name (what a screen reader says) does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from playwright.async_api import FrameLocator, Locator, Page, expect


class _PageObject:
    def __init__(self, page: Page) -> None:
        self.page = page

    def heading(self, name: str | re.Pattern[str], level: int = 1) -> Locator:
        return self.page.get_by_role("heading", name=name, level=level)

    async def has_no_horizontal_scroll(self) -> bool:
        return bool(await self.page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth"))


# -- portal -----------------------------------------------------------------------------


class JoinPage(_PageObject):
    """A community's page on the careers site, with its join form."""

    async def open(self, slug: str = "engineering") -> JoinPage:
        await self.page.goto(f"/communities/{slug}")
        return self

    async def open_from_home(self, community_name: str) -> JoinPage:
        await self.page.goto("/")
        await self.page.get_by_role("link", name=community_name, exact=True).click()
        await expect(self.heading(community_name)).to_be_visible()
        return self

    @property
    def name(self) -> Locator:
        return self.page.get_by_role("textbox", name="Your name", exact=True)

    @property
    def email(self) -> Locator:
        return self.page.get_by_role("textbox", name="Email address", exact=True)

    @property
    def interests(self) -> Locator:
        return self.page.get_by_role("group", name=re.compile("What would you like to hear"))

    def consent(self, consent_text: str) -> Locator:
        return self.page.get_by_role("checkbox", name=consent_text, exact=True)

    @property
    def error_summary(self) -> Locator:
        return self.page.locator("[data-error-summary]")

    async def fill(self, *, name: str, email: str, interests: Iterable[str] = (),
                   consent_text: str | None = None) -> None:
        await self.name.fill(name)
        await self.email.fill(email)
        for interest in interests:
            await self.interests.get_by_label(interest, exact=True).check()
        if consent_text is not None:
            await self.consent(consent_text).check()

    async def submit(self) -> None:
        await self.page.get_by_role("button", name=re.compile(r"^Join ")).click()

    async def join(self, name: str, email: str, interests: Iterable[str] = (),
                   consent_text: str | None = None) -> None:
        """Fill in and send the form; `consent_text` None leaves the box unticked."""
        await self.fill(name=name, email=email, interests=interests, consent_text=consent_text)
        await self.submit()

    async def expect_check_inbox(self, email: str) -> None:
        await expect(self.heading("Check your inbox")).to_be_visible()
        await expect(self.page.get_by_text(email).first).to_be_visible()


class ConfirmPage(_PageObject):
    """The page a confirmation link opens; only its button confirms."""

    async def open(self, url: str, community_name: str) -> ConfirmPage:
        await self.page.goto(url)
        await expect(self.heading(f"Confirm you want to join {community_name}")).to_be_visible()
        return self

    async def confirm(self) -> None:
        await self.page.get_by_role("button", name="Yes, confirm my membership").click()
        await expect(self.heading("You're in!")).to_be_visible()


# -- back office ------------------------------------------------------------------------


class LoginPage(_PageObject):
    async def sign_in(self, email: str, password: str) -> CandidatesPage:
        await self.page.goto("/backoffice/login")
        await expect(self.heading("Sign in to the back office")).to_be_visible()
        await self.page.get_by_role("textbox", name="Email address", exact=True).fill(email)
        await self.page.get_by_label("Password").fill(password)
        await self.page.get_by_role("button", name="Sign in").click()
        await expect(self.heading("Candidates")).to_be_visible()
        return CandidatesPage(self.page)


class CandidatesPage(_PageObject):
    async def open(self) -> CandidatesPage:
        await self.page.goto("/backoffice/candidates")
        await expect(self.heading("Candidates")).to_be_visible()
        return self

    async def search(self, text: str) -> None:
        await self.page.get_by_label("Search name or email").fill(text)
        await self.page.get_by_role("button", name="Search").click()
        await expect(self.page.get_by_role("table")).to_be_visible()

    @property
    def table(self) -> Locator:
        return self.page.get_by_role("table", name=re.compile("Candidates"))

    def row(self, text: str) -> Locator:
        return self.table.get_by_role("row").filter(has_text=text)

    def person_link(self, name: str) -> Locator:
        return self.table.get_by_role("link", name=name, exact=True)

    async def open_person(self, name: str) -> PersonPage:
        await self.person_link(name).click()
        await expect(self.heading(name)).to_be_visible()
        return PersonPage(self.page)


class PersonPage(_PageObject):
    @property
    def timeline(self) -> Locator:
        return self.page.get_by_role("list", name=re.compile("^Timeline for "))

    def timeline_entry(self, text: str | re.Pattern[str]) -> Locator:
        return self.timeline.get_by_role("listitem").filter(has_text=text)

    @property
    def memberships(self) -> Locator:
        return self.page.get_by_role("region", name="Communities")


class MailOutboxPage(_PageObject):
    async def open(self) -> MailOutboxPage:
        await self.page.goto("/backoffice/mail")
        await expect(self.heading("Mail outbox")).to_be_visible()
        return self

    async def open_from_menu(self) -> MailOutboxPage:
        await self.page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Mail outbox").click()
        await expect(self.heading("Mail outbox")).to_be_visible()
        return self

    def row(self, recipient: str) -> Locator:
        return self.page.get_by_role("row").filter(has_text=recipient)

    async def open_message(self, recipient: str, subject: str) -> MailMessagePage:
        await self.row(recipient).get_by_role("link", name=subject).click()
        await expect(self.heading(subject)).to_be_visible()
        return MailMessagePage(self.page)


class MailMessagePage(_PageObject):
    @property
    def html_frame(self) -> Locator:
        return self.page.get_by_title("HTML version")

    @property
    def html_content(self) -> FrameLocator:
        return self.page.frame_locator("iframe[title='HTML version']")

    @property
    def text_version(self) -> Locator:
        return self.page.get_by_role("region", name="Text version").locator("pre")

    async def back_to_outbox(self) -> MailOutboxPage:
        await self.page.get_by_role("link", name="Mail outbox").first.click()
        await expect(self.heading("Mail outbox")).to_be_visible()
        return MailOutboxPage(self.page)
