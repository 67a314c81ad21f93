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


# -- events: back office ----------------------------------------------------------------


class StaffLoginPage(_PageObject):
    """Sign-in for staff whose home is not the candidate list (an event host lands on
    Events)."""

    async def sign_in(self, email: str, password: str, *, lands_on: str) -> None:
        await self.page.goto("/backoffice/login")
        await self.page.get_by_role("textbox", name="Email address", exact=True).fill(email)
        await self.page.get_by_label("Password").fill(password)
        await self.page.get_by_role("button", name="Sign in").click()
        await expect(self.heading(lands_on)).to_be_visible()


class EventsPage(_PageObject):
    """The back-office list of events (/backoffice/events)."""

    async def open(self, show: str = "upcoming") -> EventsPage:
        await self.page.goto(f"/backoffice/events?show={show}")
        await expect(self.heading("Events")).to_be_visible()
        return self

    @property
    def table(self) -> Locator:
        return self.page.get_by_role("table")

    def row(self, title: str) -> Locator:
        return self.table.get_by_role("row").filter(
            has=self.page.get_by_role("link", name=title, exact=True))

    async def new_event(self) -> EventFormPage:
        await self.page.get_by_role("link", name="New event").click()
        await expect(self.heading("New event")).to_be_visible()
        return EventFormPage(self.page)

    async def open_event(self, title: str) -> EventOverviewPage:
        await self.table.get_by_role("link", name=title, exact=True).click()
        await expect(self.heading(title)).to_be_visible()
        return EventOverviewPage(self.page)


class EventFormPage(_PageObject):
    """The new-event and edit-event form."""

    def textbox(self, name: str) -> Locator:
        return self.page.get_by_role("textbox", name=name, exact=True)

    def select(self, name: str) -> Locator:
        return self.page.get_by_role("combobox", name=name, exact=True)

    def number(self, name: str) -> Locator:
        return self.page.get_by_role("spinbutton", name=name, exact=True)

    def when(self, name: str) -> Locator:
        # datetime-local inputs have no textbox role; the label (with its aria-hidden
        # required marker, hence no exact match) names them.
        return self.page.locator("input[type=datetime-local]").and_(
            self.page.get_by_label(re.compile(r"^\s*" + re.escape(name) + r"\b")))

    def question(self, number: int) -> Locator:
        return self.page.get_by_role("group", name=f"Question {number}", exact=True)

    async def fill(self, *, title: str, description: str, kind: str, time_zone: str,
                   starts: str, ends: str, venue: str = "", join_url: str = "",
                   capacity: int | None = None) -> None:
        """`kind` as labelled (In person, Virtual, Hybrid); times as local wall-clock
        values for a datetime-local field, e.g. 2027-01-20T18:30."""
        await self.textbox("Title").fill(title)
        await self.textbox("Description").fill(description)
        await self.select("Kind").select_option(label=kind)
        await self.textbox("Venue").fill(venue)
        await self.textbox("Join link").fill(join_url)
        await self.select("Time zone").select_option(label=time_zone)
        await self.when("Starts").fill(starts)
        await self.when("Ends").fill(ends)
        await self.number("Capacity").fill("" if capacity is None else str(capacity))

    async def ask(self, number: int, label: str, *, kind: str = "Text",
                  choices: Iterable[str] = (), required: bool = False) -> None:
        """Fill in registration question `number` (1-based); the form offers one blank row
        and "Add another question" for more."""
        row = self.question(number)
        await row.get_by_role("textbox", name="Question", exact=True).fill(label)
        await row.get_by_role("combobox", name="Answer", exact=True).select_option(label=kind)
        await row.get_by_role("textbox", name=re.compile(r"^Choices")).fill(", ".join(choices))
        await row.get_by_role("checkbox", name="An answer is required").set_checked(required)

    @property
    def error_summary(self) -> Locator:
        return self.page.locator("[data-error-summary]")

    async def create(self, title: str) -> EventOverviewPage:
        await self.page.get_by_role("button", name="Create event").click()
        await expect(self.heading(title)).to_be_visible()
        return EventOverviewPage(self.page)

    async def save(self, title: str) -> EventOverviewPage:
        await self.page.get_by_role("button", name="Save changes").click()
        await expect(self.heading(title)).to_be_visible()
        return EventOverviewPage(self.page)


class EventOverviewPage(_PageObject):
    """One event in the back office: the overview tab and the tabs to the other pages."""

    async def open(self, event_id: int, title: str) -> EventOverviewPage:
        await self.page.goto(f"/backoffice/events/{event_id}")
        await expect(self.heading(title)).to_be_visible()
        return self

    @property
    def notice(self) -> Locator:
        return self.page.get_by_role("status").first

    @property
    def status_card(self) -> Locator:
        return self.page.get_by_role("region", name="Status", exact=True)

    def stat(self, name: str) -> Locator:
        """The number under a heading of the Registrations card (Seats taken, Waiting…)."""
        card = self.page.get_by_role("region", name="Registrations", exact=True)
        term = self.page.locator("dt").filter(has_text=re.compile(f"^{re.escape(name)}$"))
        return card.locator("dl > div").filter(has=term).locator("dd")

    async def publish(self) -> None:
        await self.status_card.get_by_role("button", name="Publish").click()
        await expect(self.notice).to_have_text(re.compile("Published"))

    async def edit(self) -> EventFormPage:
        await self.page.get_by_role("link", name="Edit", exact=True).click()
        await expect(self.heading("Edit event")).to_be_visible()
        return EventFormPage(self.page)

    async def tab(self, name: str) -> None:
        await self.page.get_by_role("navigation", name="Event sections").get_by_role(
            "link", name=name, exact=True).click()
        await expect(self.page.get_by_role("navigation", name="Event sections").get_by_role(
            "link", name=name, exact=True)).to_have_attribute("aria-current", "page")

    async def registrations(self) -> RegistrationsPage:
        await self.tab("Registrations")
        return RegistrationsPage(self.page)

    async def check_in(self) -> CheckInPage:
        await self.tab("Check-in")
        return CheckInPage(self.page)

    async def attendance(self) -> AttendancePage:
        await self.tab("Attendance")
        return AttendancePage(self.page)


class RegistrationsPage(_PageObject):
    def row(self, text: str) -> Locator:
        return self.page.get_by_role("table").get_by_role("row").filter(has_text=text)


class CheckInPage(_PageObject):
    """The door: search by name, check in, the outcome shown large on top."""

    @property
    def result(self) -> Locator:
        return self.page.locator("#checkin-result")

    @property
    def counts(self) -> Locator:
        return self.page.locator("#checkin-counts")

    async def search(self, text: str) -> Locator:
        """Types as a host does (htmx searches as they type); returns the results list."""
        await self.page.get_by_role("searchbox", name="Name or email").press_sequentially(text)
        matches = self.page.get_by_role("list", name=f"People matching {text}")
        await expect(matches).to_be_visible()
        return matches

    async def check_in(self, name: str) -> None:
        await self.page.get_by_role("button", name=f"Check in {name}", exact=True).click()
        await expect(self.result).to_contain_text("Checked in")
        await expect(self.result).to_contain_text(f"{name} is checked in.")


class TicketCheckInPage(_PageObject):
    """What a ticket's QR code opens in the back office: the person, and one button."""

    async def open(self, url: str, name: str) -> TicketCheckInPage:
        await self.page.goto(url)
        await expect(self.heading(name, level=2)).to_be_visible()
        return self

    async def check_in(self, name: str) -> None:
        await self.page.get_by_role("button", name=f"Check in {name}", exact=True).click()
        result = self.page.locator("#checkin-result")
        await expect(result).to_contain_text(f"{name} is checked in.")


class AttendancePage(_PageObject):
    @property
    def flash(self) -> Locator:
        return self.page.locator(".alert").filter(has=self.page.get_by_role("paragraph"))

    def count(self, label: str) -> Locator:
        term = self.page.locator("dt").filter(has_text=re.compile(f"^{re.escape(label)}$"))
        return self.page.locator(".attendance-counts > div").filter(has=term).locator("dd")

    async def close(self) -> None:
        await self.page.get_by_role("button", name="Close attendance").click()
        await expect(self.page.get_by_role("status").filter(
            has_text="Attendance closed")).to_be_visible()


# -- events: portal ----------------------------------------------------------------------


class EventPage(_PageObject):
    """An event on the careers site, with its registration form."""

    async def open(self, slug: str, title: str) -> EventPage:
        await self.page.goto(f"/events/{slug}")
        await expect(self.heading(title)).to_be_visible()
        return self

    @property
    def register_card(self) -> Locator:
        return self.page.get_by_role("region", name="Register", exact=True)

    async def answer(self, answers: dict[str, str]) -> None:
        """Answers by question label: a choice is picked by its text, else typed."""
        for label, value in answers.items():
            choice = self.register_card.get_by_role("combobox", name=label, exact=True)
            if await choice.count():
                await choice.select_option(label=value)
            else:
                await self.register_card.get_by_role("textbox", name=label,
                                                     exact=True).fill(value)

    async def register(self, answers: dict[str, str] | None = None) -> None:
        """Signed in: only the questions."""
        await self.answer(answers or {})
        await self.register_card.get_by_role("button", name="Register").click()

    async def register_as_guest(self, name: str, email: str,
                                answers: dict[str, str] | None = None) -> None:
        await self.register_card.get_by_role("textbox", name="Your name").fill(name)
        await self.register_card.get_by_role("textbox", name="Email address").fill(email)
        await self.register(answers)
        await expect(self.heading("Check your inbox")).to_be_visible()

    @property
    def status(self) -> Locator:
        return self.register_card.locator(".lead")

    @property
    def ticket_link(self) -> Locator:
        return self.register_card.get_by_role("link", name="Your ticket")


class EventTicketPage(_PageObject):
    """The signed-in person's ticket (/events/{slug}/ticket)."""

    def qr_code(self, title: str) -> Locator:
        return self.page.get_by_role("img", name=f"Ticket QR code for {title}")


class RegistrationLinkPage(_PageObject):
    """The page a signed link in an event email opens: status, ticket, cancel."""

    async def open(self, url: str, title: str) -> RegistrationLinkPage:
        await self.page.goto(url)
        await expect(self.heading(title)).to_be_visible()
        return self

    @property
    def status(self) -> Locator:
        return self.page.locator(".lead")

    def qr_code(self, title: str) -> Locator:
        return self.page.get_by_role("img", name=f"Ticket QR code for {title}")

    async def cancel(self) -> None:
        await self.page.get_by_role("button", name="Cancel my registration").click()
        await expect(self.status).to_have_text("Your registration is cancelled.")


class SeatOfferPage(_PageObject):
    async def open(self, url: str, title: str) -> SeatOfferPage:
        await self.page.goto(url)
        await expect(self.heading(title)).to_be_visible()
        return self

    async def take_seat(self) -> RegistrationLinkPage:
        await self.page.get_by_role("button", name="Take the seat").click()
        manage = RegistrationLinkPage(self.page)
        await expect(manage.status).to_have_text("You're registered. See you there!")
        return manage


# -- jobs and the ATS: back office ------------------------------------------------------


def _notice(page: Page, text: str | re.Pattern[str]) -> Locator:
    """A one-line notice (role=status); the layout and some pages both show one."""
    return page.get_by_role("status").filter(has_text=text).first


class RequisitionFormPage(_PageObject):
    """The new-requisition form (/backoffice/requisitions/new)."""

    async def open(self) -> RequisitionFormPage:
        await self.page.goto("/backoffice/requisitions/new")
        await expect(self.heading("New requisition")).to_be_visible()
        return self

    async def create(self, *, title: str, template: str, team: str, locations: str,
                     required_skills: str, description: str) -> RequisitionPage:
        page = self.page
        await page.get_by_role("textbox", name="Title", exact=True).fill(title)
        await page.get_by_role("combobox", name="Hiring process").select_option(label=template)
        await page.get_by_role("textbox", name="Team", exact=True).fill(team)
        await page.get_by_role("textbox", name="Locations", exact=True).fill(locations)
        await page.get_by_role("textbox", name="Required skills", exact=True) \
            .fill(required_skills)
        await page.get_by_role("textbox", name="Description", exact=True).fill(description)
        await page.get_by_role("button", name="Create requisition").click()
        await expect(self.heading(title)).to_be_visible()
        await expect(_notice(page, "Requisition created as a draft.")).to_be_visible()
        return RequisitionPage(page)


class RequisitionPage(_PageObject):
    """One requisition in the back office, its tabs and what they do."""

    async def open(self, requisition_id: int, title: str) -> RequisitionPage:
        await self.page.goto(f"/backoffice/requisitions/{requisition_id}")
        await expect(self.heading(title)).to_be_visible()
        return self

    async def tab(self, name: str) -> None:
        tabs = self.page.get_by_role("navigation", name="Requisition sections")
        await tabs.get_by_role("link", name=name, exact=True).click()
        await expect(tabs.get_by_role("link", name=name, exact=True)) \
            .to_have_attribute("aria-current", "page")

    async def open_for_applications(self) -> None:
        await self.tab("Overview")
        await self.page.get_by_role("button", name="Open", exact=True).click()
        await expect(_notice(self.page, "Status changed.")).to_be_visible()
        await expect(self.page.get_by_role("heading", name="Status: Open")).to_be_visible()

    async def add_to_team(self, email: str, name: str, role: str) -> None:
        await self.tab("Team")
        await self.page.get_by_role("textbox", name="Staff email").fill(email)
        await self.page.get_by_role("combobox", name="Role on this requisition") \
            .select_option(label=role)
        await self.page.get_by_role("button", name="Add to the team").click()
        await expect(_notice(self.page, "Added to the hiring team.")).to_be_visible()
        team = self.page.get_by_role("region", name="Hiring team")
        await expect(team.get_by_role("listitem").filter(has_text=name)) \
            .to_contain_text(email)

    async def set_scorecard_attributes(self, stage: str, attributes: str) -> None:
        await self.tab("Stages")
        card = self.page.get_by_role("listitem").filter(has=self.page.get_by_role(
            "heading", name=re.compile(r"^\d+\. " + re.escape(stage) + r"\b")))
        await card.locator("summary").click()
        await card.get_by_role("textbox", name="Scorecard attributes (separated by commas)") \
            .fill(attributes)
        await card.get_by_role("button", name="Save stage").click()
        await expect(_notice(self.page, "Stage saved.")).to_be_visible()

    async def open_application(self, name: str) -> ApplicationPage:
        await self.tab("Pipeline")
        await self.page.get_by_role("link", name=name, exact=True).click()
        await expect(self.heading(name)).to_be_visible()
        return ApplicationPage(self.page)


class ApplicationPage(_PageObject):
    """One application: actions, interviews, scorecards, offer, history, CRM timeline."""

    async def open(self, application_id: int, name: str) -> ApplicationPage:
        await self.page.goto(f"/backoffice/applications/{application_id}")
        await expect(self.heading(name)).to_be_visible()
        return self

    def notice(self, text: str | re.Pattern[str]) -> Locator:
        return _notice(self.page, text)

    @property
    def header(self) -> Locator:
        return self.page.locator(".person-header__meta")

    @property
    def actions(self) -> Locator:
        return self.page.get_by_role("region", name="Actions")

    def timeline_entry(self, text: str | re.Pattern[str]) -> Locator:
        return self.page.get_by_role("list", name=re.compile("^Timeline for ")) \
            .get_by_role("listitem").filter(has_text=text)

    @property
    def cv_link(self) -> Locator:
        return self.page.get_by_role("link", name=re.compile("^CV: "))

    async def move_to(self, stage: str) -> None:
        await self.actions.get_by_role("combobox", name="Move to").select_option(label=stage)
        await self.actions.get_by_role("button", name="Move", exact=True).click()
        await expect(self.notice("Moved.")).to_be_visible()
        await expect(self.header).to_contain_text(stage)

    @property
    def silver_choice(self) -> Locator:
        return self.actions.get_by_role("group", name="Silver medalists").get_by_role("checkbox")

    async def reject(self, reason: str) -> None:
        await self.actions.get_by_role("combobox", name="Rejection reason") \
            .select_option(label=reason)
        await self.actions.get_by_role("button", name="Reject", exact=True).click()

    async def schedule_interview(self) -> InterviewFormPage:
        await self.page.get_by_role("link", name="Schedule an interview").click()
        await expect(self.heading("Schedule an interview")).to_be_visible()
        return InterviewFormPage(self.page)

    def interview(self, title: str) -> Locator:
        return self.page.get_by_role("region", name="Interviews") \
            .get_by_role("article", name=title)

    async def offer(self) -> OfferFormPage:
        await self.page.get_by_role("region", name="Offer", exact=True) \
            .get_by_role("link", name=re.compile("^(Write an offer|Open the offer)$")).click()
        await expect(self.heading(re.compile("^Offer"))).to_be_visible()
        return OfferFormPage(self.page)


class InterviewFormPage(_PageObject):
    async def schedule(self, *, title: str, panel: Iterable[str], time_zone: str,
                       location: str, starts: str) -> ApplicationPage:
        """`panel`: the Interviewers boxes to tick (labels start with the person's name);
        `starts`: a local wall-clock time for the datetime-local field (2027-01-20T10:00)."""
        page = self.page
        await page.get_by_role("textbox", name="Title", exact=True).fill(title)
        interviewers = page.get_by_role("group", name=re.compile("^Interviewers"))
        for name in panel:
            await interviewers.get_by_role("checkbox", name=re.compile(
                "^" + re.escape(name))).check()
        await page.get_by_role("combobox", name="Time zone").select_option(label=time_zone)
        await page.get_by_role("textbox", name="Location", exact=True).fill(location)
        await page.get_by_role("radio", name=re.compile("^At a fixed time")).check()
        await page.get_by_role("textbox", name="Fixed time", exact=True).fill(starts)
        await page.get_by_role("button", name="Schedule", exact=True).click()
        await expect(page.get_by_role("heading", name="Interviews", exact=True)).to_be_visible()
        return ApplicationPage(page)


class ScorecardPage(_PageObject):
    async def open(self, application_id: int, stage: str) -> ScorecardPage:
        await self.page.goto(f"/backoffice/applications/{application_id}/scorecard")
        await expect(self.heading(f"Scorecard: {stage}")).to_be_visible()
        return self

    async def submit(self, ratings: dict[str, str], recommendation: str, notes: str) -> None:
        """`ratings`: attribute → the rating's label, e.g. "4 · Strong yes"."""
        for attribute, rating in ratings.items():
            await self.page.get_by_role("group", name=attribute, exact=True) \
                .get_by_role("radio", name=rating, exact=True).check()
        await self.page.get_by_role("combobox", name="Overall recommendation") \
            .select_option(label=recommendation)
        await self.page.get_by_role("textbox", name="Notes", exact=True).fill(notes)
        await self.page.get_by_role("button", name="Submit", exact=True).click()
        await expect(self.page.get_by_text("You submitted your scorecard")).to_be_visible()


class OfferFormPage(_PageObject):
    """The offer page of an application: write, submit, approve, send."""

    async def open(self, application_id: int) -> OfferFormPage:
        await self.page.goto(f"/backoffice/applications/{application_id}/offer")
        await expect(self.heading(re.compile("^Offer"))).to_be_visible()
        return self

    def notice(self, text: str) -> Locator:
        return _notice(self.page, text)

    async def write(self, *, title: str, salary: str, currency: str, period: str,
                    start_date: str, answer_by: str, letter: str) -> None:
        page = self.page
        await page.get_by_role("textbox", name="Position title").fill(title)
        await page.get_by_role("textbox", name="Salary", exact=True).fill(salary)
        await page.get_by_role("combobox", name="Currency").select_option(label=currency)
        await page.get_by_role("combobox", name="Period").select_option(label=period)
        await page.get_by_label(re.compile(r"^\s*Start date")).fill(start_date)
        await page.get_by_label(re.compile(r"^\s*Answer by")).fill(answer_by)
        await page.get_by_role("textbox", name="Offer letter").fill(letter)
        await page.get_by_role("button", name="Save draft").click()
        await expect(self.notice("Offer saved as a draft.")).to_be_visible()

    async def act(self, button: str, notice: str) -> None:
        await self.page.get_by_role("button", name=button, exact=True).click()
        await expect(self.notice(notice)).to_be_visible()


# -- jobs and the ATS: portal -----------------------------------------------------------


class JobBoardPage(_PageObject):
    async def open(self) -> JobBoardPage:
        await self.page.goto("/jobs")
        await expect(self.heading("Open jobs")).to_be_visible()
        return self

    async def open_job(self, title: str) -> JobApplyPage:
        await self.page.get_by_role("link", name=title, exact=True).click()
        await expect(self.heading(title)).to_be_visible()
        await self.page.get_by_role("link", name="Apply for this job").click()
        await expect(self.heading(f"Apply for {title}")).to_be_visible()
        return JobApplyPage(self.page)


class JobApplyPage(_PageObject):
    async def apply_as_guest(self, *, name: str, email: str, cv: tuple[str, bytes],
                             consent_text: str) -> None:
        form = self.page.get_by_role("region", name="Your application")
        await form.get_by_role("textbox", name="Your name").fill(name)
        await form.get_by_role("textbox", name="Email address").fill(email)
        await form.get_by_label(re.compile(r"^\s*Your CV")).set_input_files(
            {"name": cv[0], "mimeType": "application/pdf", "buffer": cv[1]})
        await form.get_by_role("checkbox", name=consent_text, exact=True).check()
        await form.get_by_role("button", name="Send my application").click()
        await expect(_notice(self.page, "Your application for")).to_contain_text("is with us")

    async def self_identify(self, answers: dict[str, str]) -> None:
        """From the thank-you page: the voluntary survey, answers by field label."""
        await self.page.get_by_role("link", name="Answer the survey").click()
        await expect(self.heading("Voluntary self-identification")).to_be_visible()
        for field, answer in answers.items():
            await self.page.get_by_role("combobox", name=field, exact=True) \
                .select_option(label=answer)
        await self.page.get_by_role("button", name="Send my answers").click()
        await expect(self.page.get_by_text("Thank you for answering the survey.")) \
            .to_be_visible()


class YourApplicationsPage(_PageObject):
    async def open(self) -> YourApplicationsPage:
        await self.page.goto("/account/applications")
        await expect(self.heading("Your applications")).to_be_visible()
        return self

    def application(self, title: str) -> Locator:
        return self.page.get_by_role("listitem").filter(
            has=self.page.get_by_role("heading", name=title, exact=True))

    async def expect_status(self, title: str, label: str) -> None:
        await self.page.reload()
        await expect(self.application(title).locator("p").filter(
            has_text=re.compile(r"^\s*Status:"))).to_have_text(
                re.compile(r"^\s*Status:\s*" + re.escape(label) + r"\s*$"))


class OfferLinkPage(_PageObject):
    """The offer a candidate opens from the offer email."""

    async def open(self, url: str, title: str) -> OfferLinkPage:
        await self.page.goto(url)
        await expect(self.heading(title)).to_be_visible()
        return self

    async def accept(self) -> None:
        await self.page.get_by_role("button", name="Accept the offer").click()
        await expect(self.page.locator(".lead")).to_have_text(
            re.compile("^You accepted this offer."))
