"""Candidate portal journeys in a real browser, each followed by what the recruiter then sees
on the person page (in a browser context of their own): profile and CV, preferences and a
second community, consent withdrawn and given again, one-click unsubscribe from an email,
the data archive, and account deletion. Plus keyboard-only operation of the profile form.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from email import policy
from email.parser import BytesParser

import httpx
import pytest
from playwright.async_api import Page, expect

from domain.db import fetch
from tests.e2e.pages import (
    AccountPage,
    CandidatesPage,
    ConsentHistoryPage,
    DataPage,
    LoginPage,
    PersonPage,
    PreferencesPage,
    ProfilePage,
)
from tests.e2e.test_candidate_account import sign_in_by_email

pytestmark = pytest.mark.e2e

EMAIL = "priya@example.com"
NAME = "Priya Patel"
URI = re.compile(r"<([^>]+)>")


# -- test data ----------------------------------------------------------------------------


def small_pdf(text: str = "Priya Patel - CV") -> bytes:
    """A small but well-formed one-page PDF (correct xref offsets), built here."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


async def add_member(email: str, name: str, *communities: dict) -> int:
    """A person who joined and confirmed the given communities (consent given by double
    opt-in), the way the join journey leaves them."""
    from domain.consent import service as consent
    from domain.people import service as people
    from domain.ports import SystemClock

    now = SystemClock().now()
    person_id = (await people.find_or_create(email=email, full_name=name, source="test",
                                             now=now))["id"]
    [text] = await fetch("SELECT id FROM consent_texts WHERE purpose = 'community_emails'")
    for community in communities:
        await fetch(
            "INSERT INTO community_memberships (person, community, status, requested_at, "
            "confirmed_at) VALUES ($1, $2, 'confirmed', $3, $3)", person_id, community["id"], now)
        await consent.record(person_id=person_id, purpose="community_emails",
                             scope=community["slug"], text_id=text["id"], action="given",
                             method="double_opt_in", at=now)
    return person_id


@pytest.fixture
async def member(community) -> int:
    return await add_member(EMAIL, NAME, community)


@pytest.fixture
async def data_community() -> dict:
    rows = await fetch(
        "INSERT INTO talent_communities (slug, name, description, is_public, interest_options, "
        "created_at) VALUES ('data', 'Data', 'Numbers, models and pipelines.', true, "
        "ARRAY['analytics','machine-learning'], now()) RETURNING id, slug, name")
    return rows[0]


async def staff_sign_in(pages, login) -> Page:
    """A back-office user in a browser context of their own."""
    staff = await pages.new()
    await LoginPage(staff).sign_in(login.email, login.password)
    return staff


async def signed_in(pages, live_server, wait_for_email, email: str = EMAIL) -> Page:
    page = await pages.new()
    await sign_in_by_email(page, live_server, wait_for_email, email)
    return page


async def queue_marketing_email(person_id: int, email: str, slug: str) -> None:
    """What a campaign will do once there is one: a marketing email for a community,
    queued like tests/workers/test_list_unsubscribe.py does, then relayed to the live
    worker's queue (the worker's own relay would pick it up within 5 s)."""
    from domain.db import transaction
    from domain.mail import service as mail_service
    from domain.ports import SystemClock

    [membership] = await fetch(
        "SELECT m.id FROM community_memberships m JOIN talent_communities c "
        "ON c.id = m.community WHERE m.person = $1 AND c.slug = $2", person_id, slug)
    context = {"membership_id": membership["id"], "consent_purpose": "community_emails",
               "consent_scope": slug}
    async with transaction():
        await mail_service.queue_email(
            person_id=person_id, to=email, template="community_already_member",
            context=context, dedupe_key=f"e2e-marketing:{slug}", now=SystemClock().now(),
            queue=None, kind="marketing")


async def relay_outbox(redis_url: str) -> None:
    from domain.outbox.service import relay_pending
    from domain.ports import SystemClock
    from workers.queue import ArqTaskQueue

    queue = await ArqTaskQueue.connect(redis_url)
    try:
        assert await relay_pending(queue, now=SystemClock().now()) >= 1
    finally:
        await queue.close()


def headers_of(stored) -> object:
    raw = stored.raw.split(b"\n", 1)[1]  # drop the sink's X-Envelope-To line
    return BytesParser(policy=policy.default).parsebytes(raw)


def link_in(html: str, path_prefix: str, base_url: str) -> str:
    match = re.search(r'href="(' + re.escape(base_url + path_prefix) + r'[^"]+)"', html or "")
    assert match, f"no {path_prefix} link in the email:\n{html}"
    return match.group(1)


# -- 1. profile and CV --------------------------------------------------------------------


async def test_profile_and_cv_reach_the_recruiter(pages, live_server, member, recruiter,
                                                  wait_for_email):
    page = await signed_in(pages, live_server, wait_for_email)
    await AccountPage(page).card("Profile and CV").click()
    profile = ProfilePage(page)
    await expect(profile.heading("Your profile")).to_be_visible()

    await profile.headline.fill("Backend engineer who loves payments")
    await profile.city.fill("Manchester")
    await profile.select("Country (optional)").select_option(label="United Kingdom")
    # Typed as free text, the way people do: lower case, a synonym (js) and an unknown skill.
    await profile.skills.press_sequentially("python, js, kube")
    await expect(profile.skill_suggestions.get_by_text("Kubernetes", exact=True)).to_be_visible()
    async with profile.suggestions_settled():
        await profile.skills.press_sequentially("rnetes, Payments reconciliation")
    await profile.select("Job function (optional)").select_option(label="Engineering")
    await profile.select("Seniority (optional)").select_option(label="Senior")
    for mode in ("Remote", "Hybrid"):
        await profile.work_modes.get_by_role("checkbox", name=mode, exact=True).check()
    await profile.select("Are you open to new opportunities? (optional)").select_option(
        label="Open to offers")
    await profile.save()
    # Known skills come back under their canonical names; the unknown one as typed.
    await expect(profile.skills).to_have_value(
        "Python, JavaScript, Kubernetes, Payments reconciliation")
    await expect(profile.headline).to_have_value("Backend engineer who loves payments")

    cv = small_pdf()
    await profile.upload_cv("Priya Patel CV.pdf", cv)
    await expect(profile.cv_card.get_by_role("link", name="Priya Patel CV.pdf")).to_be_visible()
    await expect(profile.cv_input).to_have_accessible_name(re.compile("^Replace your CV"))
    async with page.expect_download() as own:
        await profile.cv_card.get_by_role("link", name="Priya Patel CV.pdf").click()
    assert (await (await own.value).path()).read_bytes() == cv

    staff = await staff_sign_in(pages, recruiter)
    person = await PersonPage(staff).open(member, NAME)
    await expect(person.profile).to_contain_text("Backend engineer who loves payments")
    await expect(person.profile).to_contain_text("Manchester, United Kingdom")
    await expect(person.profile).to_contain_text("Senior")
    await expect(person.profile).to_contain_text("Remote, Hybrid")
    for skill in ("Python", "JavaScript", "Kubernetes", "Payments reconciliation"):
        await expect(person.skills.get_by_text(skill, exact=True)).to_be_visible()
    await expect(person.timeline_entry("Updated their profile")).to_have_count(1)
    await expect(person.timeline_entry("Uploaded a CV")).to_have_count(1)

    async with staff.expect_download() as started:
        await person.cv_link.click()
    download = await started.value
    assert download.suggested_filename == "Priya Patel CV.pdf"
    path = await download.path()
    assert path.read_bytes() == cv


# -- 2. a second community and preferences ---------------------------------------------------


async def test_joining_a_second_community_and_preferences_reach_the_recruiter(
        pages, live_server, member, data_community, recruiter, consent_text, wait_for_email):
    page = await signed_in(pages, live_server, wait_for_email)
    await AccountPage(page).card("Communities and emails").click()
    prefs = PreferencesPage(page)
    await expect(prefs.heading("Communities and emails")).to_be_visible()
    await expect(prefs.community("Data").get_by_role(
        "button", name="Join Data")).to_be_visible()

    await prefs.join("Data", consent_text, topics=["Machine learning"])
    await expect(prefs.community("Data")).to_contain_text("Confirmed")
    await expect(prefs.community("Data").get_by_role(
        "checkbox", name="Machine learning")).to_be_checked()
    await prefs.save_topics("Engineering", ["Backend"])
    await prefs.save_preferences(cadence="A weekly digest", pause="4 weeks")
    await expect(prefs.how_often).to_contain_text("All emails are paused until")
    await expect(prefs.how_often.get_by_role("combobox", name="How often")).to_have_value(
        "weekly_digest")
    await expect(prefs.community("Engineering").get_by_role(
        "checkbox", name="Backend")).to_be_checked()

    staff = await staff_sign_in(pages, recruiter)
    person = await PersonPage(staff).open(member, NAME)
    for name in ("Engineering", "Data"):
        await expect(person.membership(name)).to_contain_text("Confirmed")
    await expect(person.consent("data")).to_contain_text("Given")
    await expect(person.consent("data")).to_contain_text("portal signed in")
    await expect(person.timeline_entry(
        "Consent given: Talent community emails (data)")).to_have_count(1)
    await expect(person.timeline_entry("Joined a community")).to_contain_text("community: data")


# -- 3. consent withdrawn and given again ------------------------------------------------------


async def test_withdrawing_and_giving_consent_again_each_take_one_click(
        pages, live_server, member, recruiter, wait_for_email):
    page = await signed_in(pages, live_server, wait_for_email)
    await AccountPage(page).card("Your consent history").click()
    history = ConsentHistoryPage(page)
    await expect(history.heading("Your consent history")).to_be_visible()
    engineering = history.consent("Engineering")
    await expect(engineering).to_contain_text("Given")

    await engineering.get_by_role("button", name="Withdraw consent").click()
    await expect(history.notice).to_contain_text("your consent is withdrawn")
    await expect(engineering).to_contain_text("Withdrawn")
    await expect(history.history_rows("Withdrawn")).to_contain_text("In your preference centre")

    await engineering.get_by_role("button", name="I agree: rejoin Engineering").click()
    await expect(history.notice).to_contain_text("your consent is recorded")
    await expect(engineering).to_contain_text("Given")
    await expect(engineering.get_by_role("button", name="Withdraw consent")).to_be_visible()
    await expect(history.history.get_by_role("row")).to_have_count(4)  # header + 3 entries

    staff = await staff_sign_in(pages, recruiter)
    person = await PersonPage(staff).open(member, NAME)
    consent_titles = await person.timeline_entry(
        re.compile("Consent (given|withdrawn)")).locator("h3").all_inner_texts()
    # Newest first: given again, withdrawn, given when they joined.
    assert [re.sub(r"\s+", " ", title).replace("Consent: ", "").strip()
            for title in consent_titles] == [
        "Consent given: Talent community emails (engineering)",
        "Consent withdrawn: Talent community emails (engineering)",
        "Consent given: Talent community emails (engineering)",
    ]
    await expect(person.membership("Engineering")).to_contain_text("Confirmed")
    await expect(person.consent("engineering")).to_contain_text("Given")


# -- 4. one-click unsubscribe from an email ------------------------------------------------------


async def test_one_click_unsubscribe_from_marketing_email(
        pages, live_server, community, data_community, recruiter, mail, wait_for_email):
    person_id = await add_member(EMAIL, NAME, community, data_community)
    for slug in ("engineering", "data"):
        await queue_marketing_email(person_id, EMAIL, slug)
    await relay_outbox(live_server.redis_url)
    messages = await wait_for_email(EMAIL, "already a member", count=2)
    by_community = {("Data" if "Data" in m.subject else "Engineering"): m for m in messages}

    # (a) A mail provider posts to the List-Unsubscribe URL: no cookies, no CSRF token.
    headers = headers_of(by_community["Engineering"])
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [url] = [uri for uri in URI.findall(str(headers["List-Unsubscribe"]))
             if not uri.startswith("mailto:")]
    assert url.startswith(live_server.url("/u/"))
    async with httpx.AsyncClient(follow_redirects=False) as provider:
        response = await provider.post(
            url, content=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200, response.text
    assert "You're unsubscribed" in response.text

    # (b) The person opens the footer link of the other email and presses the button.
    page = await pages.new()
    html = by_community["Data"].html_body
    await page.goto(link_in(html, "/u/", live_server.base_url))
    await expect(page.get_by_role("heading", name="Unsubscribe from Data?")).to_be_visible()
    await page.get_by_role("button", name="Unsubscribe").click()
    await expect(page.get_by_role("heading", name="You're unsubscribed")).to_be_visible()

    # Their consent history (reached from the email's preference link, no sign-in) shows both.
    await page.get_by_role("link", name="Manage your preferences").click()
    prefs = PreferencesPage(page)
    await expect(prefs.heading("Communities and emails")).to_be_visible()
    await expect(page.get_by_text(f"Email preferences for {EMAIL}")).to_be_visible()
    history = await prefs.open_consent_history()
    for name in ("Engineering", "Data"):
        await expect(history.consent(name)).to_contain_text("Withdrawn")
    await expect(history.history_rows("Unsubscribe link in an email")).to_have_count(2)

    staff = await staff_sign_in(pages, recruiter)
    person = await PersonPage(staff).open(person_id, NAME)
    for scope, name in (("engineering", "Engineering"), ("data", "Data")):
        await expect(person.consent(scope)).to_contain_text("Withdrawn")
        await expect(person.consent(scope)).to_contain_text("one click unsubscribe")
        await expect(person.membership(name)).to_contain_text("Left")
        await expect(person.timeline_entry(
            f"Consent withdrawn: Talent community emails ({scope})")).to_have_count(1)
    await expect(person.timeline_entry(re.compile(r"Engagement:\s*Unsubscribed"))).to_have_count(2)


# -- 5. the data archive -----------------------------------------------------------------------


async def test_data_archive_holds_the_profile_and_cv(pages, live_server, member, wait_for_email):
    from domain.ports import SystemClock
    from domain.profiles import service as profiles

    clock = SystemClock()
    cv = small_pdf("Archive CV")
    await profiles.update_profile(member, profiles.ProfileUpdate(
        full_name=NAME, headline="Data engineer, streaming pipelines"), clock=clock)
    await profiles.upload_cv(member, filename="priya.pdf", data=cv, clock=clock)

    page = await signed_in(pages, live_server, wait_for_email)
    await AccountPage(page).card("Your data").click()
    data = DataPage(page)
    await expect(data.heading("Your data")).to_be_visible()
    await data.request_export()
    [ready] = await wait_for_email(EMAIL, "ready to download")
    assert live_server.url("/account/data/exports/") in ready.text_body

    await data.open()
    async with page.expect_download() as started:
        await data.download_link.click()
    download = await started.value
    assert re.fullmatch(r"your-data-\d{4}-\d{2}-\d{2}\.zip", download.suggested_filename)
    with zipfile.ZipFile(io.BytesIO((await download.path()).read_bytes())) as archive:
        document = json.loads(archive.read("data.json"))
        [person] = document["tables"]["people"]
        assert person["email"] == EMAIL
        [saved] = document["tables"]["profiles"]
        assert saved["headline"] == "Data engineer, streaming pipelines"
        [cv_row] = document["tables"]["cv_files"]
        assert cv_row["file"] in archive.namelist()
        assert archive.read(cv_row["file"]) == cv
    await expect(page.get_by_role("row").filter(has_text="Copy of your data")).to_contain_text(
        "Completed")


# -- 6. deleting the account ---------------------------------------------------------------------


async def test_deleted_account_disappears_for_the_recruiter(
        pages, live_server, member, recruiter, wait_for_email, mail):
    page = await signed_in(pages, live_server, wait_for_email)
    await AccountPage(page).card("Your data").click()
    await page.get_by_role("link", name="Delete my account…").click()
    await expect(page.get_by_role("heading", name="Delete your account")).to_be_visible()
    delete = page.get_by_role("button", name="Delete my account")
    await delete.click()  # not confirmed yet
    await expect(page.locator("[data-error-summary]")).to_contain_text("Tick the box")
    await page.get_by_role(
        "checkbox", name="I understand that my account and data will be deleted for good.",
    ).check()
    await delete.click()
    await expect(page.get_by_role("heading", name="Your account has been deleted")).to_be_visible()
    await wait_for_email(EMAIL, "has been deleted")

    staff = await staff_sign_in(pages, recruiter)
    candidates = CandidatesPage(staff)
    await staff.get_by_label("Search name or email").fill(EMAIL)
    await staff.get_by_role("button", name="Search").click()
    await expect(staff.get_by_role("heading", name="No candidates match")).to_be_visible()
    await expect(candidates.table).to_have_count(0)
    await staff.goto(f"/backoffice/candidates/{member}")
    await expect(staff.get_by_role("heading", name=NAME)).to_have_count(0)

    # Signing in again: the address no longer has an account, and the email says so.
    await page.goto("/account/sign-in")
    await page.get_by_role("textbox", name="Email address").fill(EMAIL)
    await page.get_by_role("button", name="Email me a sign-in link").click()
    await expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    [note] = await wait_for_email(EMAIL, "About your sign-in request")
    assert "there is no account for it yet" in note.text_body
    assert "/account/magic/" not in note.text_body
    assert len(mail.find(to=EMAIL, subject_contains="sign-in link")) == 1  # the first one


# -- keyboard only -------------------------------------------------------------------------------


async def tab_to(page: Page, target, *, limit: int = 60, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until `target` has focus: proof it is reachable by keyboard."""
    handle = await target.element_handle()
    for _ in range(limit):
        if await page.evaluate("el => document.activeElement === el", handle):
            return
        await page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"{target} never received focus after {limit} presses of Tab")


async def test_profile_form_works_with_the_keyboard_alone(pages, live_server, member):
    from domain.identity.service import person_subject
    from domain.ports import SystemClock
    from domain.tokens import service as tokens
    from domain.tokens.signer import Purpose

    token = await tokens.issue(purpose=Purpose.MAGIC_LINK, subject=person_subject(member),
                               clock=SystemClock())
    page = await pages.new()
    await page.goto(f"/account/magic/{token}")  # opening the emailed link
    await tab_to(page, page.get_by_role("button", name="Sign me in"))
    await page.keyboard.press("Enter")
    await expect(page.get_by_text(f"Signed in as {EMAIL}")).to_be_visible()

    await tab_to(page, AccountPage(page).card("Profile and CV"))
    await page.keyboard.press("Enter")
    profile = ProfilePage(page)
    await expect(profile.heading("Your profile")).to_be_visible()

    await tab_to(page, profile.headline)
    await page.keyboard.type("Keyboard-first frontend engineer")
    await tab_to(page, profile.skills)
    async with profile.suggestions_settled():
        await page.keyboard.type("typescript, a11y audits")
    await tab_to(page, profile.select("Seniority (optional)"))
    await page.keyboard.type("Senior")  # type-ahead picks the option
    await tab_to(page, profile.work_modes.get_by_role("checkbox", name="Remote"))
    await page.keyboard.press("Space")
    await tab_to(page, profile.save_button)
    await page.keyboard.press("Enter")

    await expect(profile.notice).to_have_text(re.compile(r"^\s*Saved\."))
    await expect(profile.headline).to_have_value("Keyboard-first frontend engineer")
    await expect(profile.skills).to_have_value("TypeScript, a11y audits")
    await expect(profile.select("Seniority (optional)")).to_have_value("senior")
    await expect(profile.work_modes.get_by_role("checkbox", name="Remote")).to_be_checked()
