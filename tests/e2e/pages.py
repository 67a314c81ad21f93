"""Page objects for the browser journeys.

Locators go through roles and accessible names, the way assistive technology finds
things, so a journey that passes also shows the pages are labelled: an unlabelled field
or a button without a name makes these lookups fail. Fields with a required marker are
found by role and name rather than get_by_label(exact=True): Playwright's label text
includes the aria-hidden "*", the accessible name (what a screen reader says) does not.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

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


class AccountPage(_PageObject):
    """The signed-in candidate's account home, with a card per area."""

    async def open(self) -> AccountPage:
        await self.page.goto("/account")
        await expect(self.heading(re.compile("^Hello"))).to_be_visible()
        return self

    def card(self, title: str) -> Locator:
        # A card is one link named by its heading and summary.
        return self.page.get_by_role("link", name=re.compile("^" + re.escape(title)))


class ProfilePage(_PageObject):
    """The candidate's profile form and CV card (/account/profile)."""

    async def open(self) -> ProfilePage:
        await self.page.goto("/account/profile")
        await expect(self.heading("Your profile")).to_be_visible()
        return self

    def textbox(self, name: str) -> Locator:
        return self.page.get_by_role("textbox", name=name, exact=True)

    def select(self, name: str) -> Locator:
        return self.page.get_by_role("combobox", name=name, exact=True)

    @property
    def headline(self) -> Locator:
        return self.textbox("Headline (optional)")

    @property
    def city(self) -> Locator:
        return self.textbox("City (optional)")

    @property
    def skills(self) -> Locator:
        return self.textbox("Skills (optional)")

    @property
    def skill_suggestions(self) -> Locator:
        return self.page.locator("#skill-suggestions")

    @asynccontextmanager
    async def suggestions_settled(self) -> AsyncIterator[None]:
        """Wait for the skill suggestions htmx sends 300 ms after typing stops.

        Journeys wait for it so that what they check about the suggestions is settled.
        (It once also guarded against a stale session write-back losing the "Saved."
        notice; web_sessions.py no longer writes unchanged sessions, tested in
        tests/web/test_sessions.py.)
        """
        async with self.page.expect_response(
                lambda response: "/account/profile/skills" in response.url) as done:
            yield
        await done.value

    @property
    def work_modes(self) -> Locator:
        return self.page.get_by_role("group", name="Where would you like to work? (optional)")

    @property
    def notice(self) -> Locator:
        return self.page.get_by_role("status")

    @property
    def save_button(self) -> Locator:
        return self.page.get_by_role("button", name="Save profile")

    async def save(self) -> None:
        await self.save_button.click()
        await expect(self.notice).to_have_text(re.compile(r"^\s*Saved\."))

    @property
    def cv_card(self) -> Locator:
        return self.page.get_by_role("region", name="Your CV")

    @property
    def cv_input(self) -> Locator:
        # By its label (the text starts with the label's whitespace, so no "^").
        return self.cv_card.get_by_label(re.compile(r"(Upload|Replace) your CV"))

    async def upload_cv(self, name: str, data: bytes, mime_type: str = "application/pdf"
                        ) -> None:
        await self.cv_input.set_input_files({"name": name, "mimeType": mime_type,
                                             "buffer": data})
        await self.cv_card.get_by_role("button", name="Upload CV").click()
        await expect(self.notice).to_have_text(re.compile("Your CV was uploaded."))


class PreferencesPage(_PageObject):
    """The preference centre, signed in (/account/preferences) or by a signed link."""

    async def open(self, path: str = "/account/preferences") -> PreferencesPage:
        await self.page.goto(path)
        await expect(self.heading("Communities and emails")).to_be_visible()
        return self

    def community(self, name: str) -> Locator:
        return self.page.get_by_role("article", name=name, exact=True)

    @property
    def notice(self) -> Locator:
        return self.page.get_by_role("status").first

    async def join(self, name: str, consent_text: str, topics: Iterable[str] = ()) -> None:
        card = self.community(name)
        for topic in topics:
            await card.get_by_role("checkbox", name=topic, exact=True).check()
        await card.get_by_role("checkbox", name=consent_text, exact=True).check()
        await card.get_by_role("button", name=f"Join {name}").click()
        await expect(self.notice).to_have_text("Welcome! You have joined the community.")

    async def save_topics(self, name: str, topics: Iterable[str]) -> None:
        card = self.community(name)
        for topic in topics:
            await card.get_by_role("checkbox", name=topic, exact=True).check()
        await card.get_by_role("button", name="Save topics").click()
        await expect(self.notice).to_have_text("Your topics are saved.")

    @property
    def how_often(self) -> Locator:
        return self.page.get_by_role("region", name="How and how often we write")

    async def save_preferences(self, *, cadence: str, pause: str) -> None:
        form = self.how_often
        await form.get_by_role("combobox", name="How often").select_option(label=cadence)
        await form.get_by_role("combobox", name="Pause all emails").select_option(label=pause)
        await form.get_by_role("button", name="Save preferences").click()
        await expect(self.page.get_by_role("status").filter(
            has_text="Your email preferences are saved.")).to_be_visible()

    async def open_consent_history(self) -> ConsentHistoryPage:
        await self.page.get_by_role("link", name="Your consent history").click()
        await expect(self.heading("Your consent history")).to_be_visible()
        return ConsentHistoryPage(self.page)


class ConsentHistoryPage(_PageObject):
    """Current consent with one-click withdraw / give again, and the full ledger."""

    async def open(self, path: str = "/account/consent") -> ConsentHistoryPage:
        await self.page.goto(path)
        await expect(self.heading("Your consent history")).to_be_visible()
        return self

    @property
    def current(self) -> Locator:
        return self.page.get_by_role("region", name="Your consent now")

    def consent(self, scope_label: str) -> Locator:
        # By "purpose · scope": the consent wording shown beside a button mentions "data".
        return self.current.get_by_role("listitem").filter(
            has_text=re.compile(r"·\s*" + re.escape(scope_label) + r"\b"))

    @property
    def history(self) -> Locator:
        return self.page.get_by_role("table")

    def history_rows(self, text: str | re.Pattern[str]) -> Locator:
        return self.history.get_by_role("row").filter(has_text=text)

    @property
    def notice(self) -> Locator:
        return self.page.get_by_role("status")


class DataPage(_PageObject):
    """Your data: export requests and their downloads, and the way to delete."""

    async def open(self) -> DataPage:
        await self.page.goto("/account/data")
        await expect(self.heading("Your data")).to_be_visible()
        return self

    async def request_export(self) -> None:
        await self.page.get_by_role("button", name="Prepare my download").click()
        await expect(self.page.get_by_role("status")).to_contain_text("We're preparing your data")

    @property
    def download_link(self) -> Locator:
        return self.page.get_by_role("link", name="Download (zip)")


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
    async def open(self, person_id: int, name: str) -> PersonPage:
        await self.page.goto(f"/backoffice/candidates/{person_id}")
        await expect(self.heading(name)).to_be_visible()
        return self

    @property
    def timeline(self) -> Locator:
        return self.page.get_by_role("list", name=re.compile("^Timeline for "))

    def timeline_entry(self, text: str | re.Pattern[str]) -> Locator:
        return self.timeline.get_by_role("listitem").filter(has_text=text)

    @property
    def memberships(self) -> Locator:
        return self.page.get_by_role("region", name="Communities")

    def membership(self, community_name: str) -> Locator:
        return self.memberships.get_by_role("listitem").filter(
            has=self.page.get_by_text(community_name, exact=True))

    @property
    def consents(self) -> Locator:
        return self.page.get_by_role("region", name="Current consent")

    def consent(self, scope: str) -> Locator:
        return self.consents.get_by_role("listitem").filter(
            has_text=re.compile(r"·\s*" + re.escape(scope) + r"\b"))

    @property
    def profile(self) -> Locator:
        return self.page.get_by_role("region", name="Profile", exact=True)

    @property
    def skills(self) -> Locator:
        return self.profile.get_by_role("list", name="Skills")

    @property
    def cv_link(self) -> Locator:
        return self.profile.get_by_role("link", name=re.compile("^CV: "))


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
