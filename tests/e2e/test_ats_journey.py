"""The ATS end to end in a real browser, each step checked from both sides: a recruiter
creates a requisition from the Standard template and opens it; a candidate finds it on
the job board, applies with a CV and answers the voluntary survey; the recruiter reads the
application next to the person's CRM timeline, moves it on and schedules an interview
(the invitation's .ics read back with icalendar); a hiring manager on the team submits a
strong scorecard; the recruiter rejects late and keeps the silver-medalist tick. A second
candidate gets an offer written by one recruiter, approved by another, sent, and accepted
through the email link: hired. "Your applications" shows each candidate the label of
every step."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect

from domain.db import fetch, fetchval
from tests.e2e.pages import (
    ApplicationPage,
    JobApplyPage,
    JobBoardPage,
    LoginPage,
    OfferFormPage,
    OfferLinkPage,
    RequisitionFormPage,
    ScorecardPage,
    YourApplicationsPage,
)
from tests.e2e.test_candidate_account import sign_in_by_email
from tests.e2e.test_event_journeys import invitation, link, parsed, staff_login
from tests.unit.test_profile_rules import PDF_BYTES

pytestmark = pytest.mark.e2e

TITLE = "Backend engineer"
ZONE = "Europe/Berlin"
ADA = ("Ada Lovelace", "ada@example.com")
GRACE = ("Grace Hopper", "grace@example.com")


async def job_consent_text() -> str:
    from domain.consent import service as consent
    from domain.pipeline.rules import JOB_PROCESSING

    return str((await consent.current_text(JOB_PROCESSING))["body"])


async def application_of(email: str) -> int:
    return int(await fetchval(
        "SELECT a.id FROM applications a JOIN people p ON p.id = a.person "
        "WHERE p.email = $1", email))


async def apply(pages, name: str, email: str, consent_text: str, *,
                self_identify: bool = False) -> JobApplyPage:
    candidate = await pages.new()
    form = await (await JobBoardPage(candidate).open()).open_job(TITLE)
    await form.apply_as_guest(name=name, email=email,
                              cv=(f"{name.split()[0].lower()}-cv.pdf", PDF_BYTES),
                              consent_text=consent_text)
    if self_identify:
        await form.self_identify({"Gender": "Female", "Race or ethnicity": "White",
                                  "Veteran status": "I am not a protected veteran",
                                  "Disability": "No, I do not have a disability"})
    return form


async def test_requisition_to_silver_medalist_and_hire(pages, live_server, recruiter,
                                                       wait_for_email):
    manager = await staff_login("hana.manager@test.local", "Hana Manager", "hiring_manager")
    approver = await staff_login("rob.approver@test.local", "Rob Approver", "recruiter")
    consent_text = await job_consent_text()

    # The recruiter creates the requisition, gives its interview stage scorecard
    # attributes, puts the hiring manager on the team and opens it.
    desk = await pages.new()
    await LoginPage(desk).sign_in(recruiter.email, recruiter.password)
    requisition = await (await RequisitionFormPage(desk).open()).create(
        title=TITLE, template="Standard", team="Platform", locations="Berlin",
        required_skills="Python, PostgreSQL", description="Build our **platform**.")
    [row] = await fetch("SELECT id, status, template_name FROM requisitions "
                        "WHERE title = $1", TITLE)
    assert (row["status"], row["template_name"]) == ("draft", "Standard")
    await requisition.set_scorecard_attributes("Interview", "Python, System design")
    await requisition.add_to_team(manager.email, manager.full_name, "Hiring manager")
    await requisition.open_for_applications()

    # Candidate 1 finds it on the job board, applies with a CV and self-identifies.
    ada_form = await apply(pages, *ADA, consent_text, self_identify=True)
    ada = await application_of(ADA[1])
    assert await fetchval("SELECT count(*) FROM applications WHERE id = $1 AND "
                          "requisition = $2", ada, row["id"]) == 1
    await wait_for_email(ADA[1])  # the application confirmation
    await sign_in_by_email(ada_form.page, live_server, wait_for_email, ADA[1])
    ada_view = await YourApplicationsPage(ada_form.page).open()
    await ada_view.expect_status(TITLE, "Application received")

    # The recruiter reads the application with the person's CRM timeline and moves it.
    application = await requisition.open_application(ADA[0])
    await expect(application.cv_link).to_have_text("CV: ada-cv.pdf")
    await expect(application.timeline_entry("Applied to a job on the careers site")) \
        .to_have_count(1)
    await application.move_to("Screen")
    await application.move_to("Interview")
    await expect(application.timeline_entry("Application moved to another stage")) \
        .to_have_count(2)
    await ada_view.expect_status(TITLE, "Interviewing")

    # An interview at a fixed time; the candidate's invitation carries the .ics.
    starts = (datetime.now(ZoneInfo(ZONE)) + timedelta(days=7)).replace(
        hour=10, minute=30, second=0, microsecond=0)
    form = await application.schedule_interview()
    application = await form.schedule(
        title="Technical interview", panel=[recruiter.full_name, manager.full_name],
        time_zone=ZONE, location="Acme HQ, Berlin", starts=f"{starts:%Y-%m-%dT%H:%M}")
    await expect(application.interview("Technical interview")).to_contain_text("Hana Manager")
    interview_id = await fetchval("SELECT id FROM interviews WHERE application = $1", ada)
    message = parsed((await wait_for_email(ADA[1], f"Interview: Technical interview ({TITLE})"))[0])
    calendar = invitation(message)
    assert str(calendar["METHOD"]) == "REQUEST"
    [entry] = calendar.walk("VEVENT")
    assert str(entry["UID"]) == f"interview-{interview_id}@talentloop"
    assert entry.decoded("DTSTART") == starts
    assert entry["DTSTART"].params["TZID"] == ZONE
    attendees = entry["ATTENDEE"] if isinstance(entry["ATTENDEE"], list) else [entry["ATTENDEE"]]
    assert f"mailto:{ADA[1]}" in [str(a) for a in attendees]
    await expect(application.timeline_entry("Interview scheduled")).to_have_count(1)

    # The hiring manager submits a strong scorecard.
    hm = await pages.new()
    await hm.goto(f"/backoffice/login?next=/backoffice/applications/{ada}/scorecard")
    await hm.get_by_role("textbox", name="Email address", exact=True).fill(manager.email)
    await hm.get_by_label("Password").fill(manager.password)
    await hm.get_by_role("button", name="Sign in").click()
    scorecard = ScorecardPage(hm)
    await expect(scorecard.heading("Scorecard: Interview")).to_be_visible()
    await scorecard.submit({"Python": "4 · Strong yes", "System design": "4 · Strong yes"},
                           "Strong yes", "Clear, careful designs.")

    # Final interview, then a rejection that keeps the silver-medalist tick.
    await application.page.reload()
    await application.move_to("Final interview")
    await expect(application.silver_choice).to_be_checked()
    await expect(application.silver_choice).to_have_accessible_name(re.compile(
        r"^Ada Lovelace will be marked a silver medalist and added to the talent pool "
        r"“Silver medalists — All functions”: rejected at Final interview, "
        r"scorecard average 4\.0 ≥ 3\.0"))
    await application.reject("Other candidate chosen")
    await expect(application.notice("Rejected, and marked a silver medalist.")).to_be_visible()
    await expect(application.timeline_entry("Marked a silver medalist")).to_have_count(1)
    await expect(application.header).to_contain_text("Rejected")
    assert await fetchval("SELECT silver_medalist FROM applications WHERE id = $1", ada)
    await ada_view.expect_status(TITLE, "Not selected")
    # … and is in the silver-medalist pool, at its "Interested" stage.
    await desk.goto("/backoffice/pools")
    await desk.get_by_role("link", name="Silver medalists — All functions").click()
    pooled = desk.get_by_role("row").filter(has_text="Ada Lovelace")
    await expect(pooled).to_contain_text("Interested")
    await expect(pooled).to_contain_text("Silver medalist")

    # Candidate 2 applies and goes to Offer.
    grace_form = await apply(pages, *GRACE, consent_text)
    grace = await application_of(GRACE[1])
    application = await ApplicationPage(desk).open(grace, GRACE[0])
    await application.move_to("Offer")

    # One recruiter writes the offer, another approves it, the first sends it.
    offer = await application.offer()
    await offer.write(title="Senior backend engineer", salary="85000", currency="EUR",
                      period="per year", start_date=f"{date.today() + timedelta(days=60)}",
                      answer_by=f"{date.today() + timedelta(days=14)}",
                      letter="Dear Grace,\nWe would love you to join the Platform team.")
    await offer.act("Submit for approval", "Submitted for approval.")
    await expect(desk.get_by_text("someone other than you")).to_be_visible()
    second = await pages.new()
    await LoginPage(second).sign_in(approver.email, approver.password)
    approval = await OfferFormPage(second).open(grace)
    await approval.act("Approve", "Approved; it can be sent now.")
    await offer.page.reload()
    await offer.act("Send to the candidate", "Sent to the candidate.")

    # Grace accepts through the link in her offer email: hired.
    letter = (await wait_for_email(GRACE[1], f"Your offer: {TITLE}"))[0]
    answer = await OfferLinkPage(grace_form.page).open(
        link(letter.text_body, live_server.base_url, "/offers/"), "Senior backend engineer")
    await answer.accept()
    await application.page.goto(f"/backoffice/applications/{grace}")
    await expect(application.header).to_contain_text("Hired")
    await expect(application.timeline_entry("Offer accepted")).to_have_count(1)
    assert await fetchval("SELECT status FROM applications WHERE id = $1", grace) == "hired"
    await sign_in_by_email(grace_form.page, live_server, wait_for_email, GRACE[1])
    grace_view = await YourApplicationsPage(grace_form.page).open()
    await grace_view.expect_status(TITLE, "Hired")
