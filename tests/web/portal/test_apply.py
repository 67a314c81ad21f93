"""Applying for a job, self-identification, and "Your applications", through HTTP."""

import json

from domain.db import execute, fetch
from domain.people import service as people
from domain.ports import SystemClock
from domain.profiles import service as profiles
from tests.jobs_support import create_application, create_requisition, stages
from tests.unit.test_profile_rules import HTML_BYTES, PDF_BYTES
from tests.web.portal.test_profile import stored_files

QUESTIONS = [
    {"key": "visa", "label": "Do you need a visa sponsorship?", "kind": "yes_no",
     "required": True, "knockout": "yes"},
    {"key": "level", "label": "Your level", "kind": "choice", "choices": ["Mid", "Senior"],
     "required": False, "knockout": ""},
]


async def with_questions(slug: str = "backend") -> dict:
    requisition = await create_requisition(slug)
    await execute("UPDATE requisitions SET screening_questions = $2::jsonb WHERE slug = $1",
                  slug, json.dumps(QUESTIONS))
    return requisition


async def _consent_text_id() -> int:
    rows = await fetch("SELECT id FROM consent_texts WHERE purpose = 'job_processing'")
    return rows[0]["id"]


async def guest_apply(browser, slug: str, email: str, *, cv=("cv.pdf", PDF_BYTES),
                      answers: dict | None = None, consent: bool = True, name="Gia Guest"):
    await browser.get(f"/jobs/{slug}/apply")
    data = {"_csrf_token": browser.last_token, "full_name": name, "email": email,
            "consent_text_id": str(await _consent_text_id())}
    if consent:
        data["consent"] = "yes"
    data.update({f"answer-{key}": value for key, value in (answers or {}).items()})
    files = {"cv": (cv[0], cv[1], "application/pdf")} if cv else None
    return await browser.client.post(f"/jobs/{slug}/apply", data=data, files=files)


async def count(table: str) -> int:
    return (await fetch(f"SELECT count(*) AS n FROM {table}"))[0]["n"]  # noqa: S608


async def test_the_form_shows_the_consent_text_in_full(browser):
    await with_questions()
    response = await browser.get("/jobs/backend/apply")
    assert response.status_code == 200
    text = (await fetch("SELECT body FROM consent_texts WHERE purpose = 'job_processing'"))[0]
    assert text["body"].replace("'", "&#39;") in response.text
    assert "Do you need a visa sponsorship?" in response.text


async def test_guest_applies_with_a_cv(browser, worker_burst, mail):
    requisition = await with_questions()
    response = await guest_apply(browser, "backend", "Gia@Example.com",
                                 answers={"visa": "no", "level": "Senior"})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/jobs/backend/applied"
    person = (await fetch("SELECT id, email, full_name FROM people"))[0]
    assert person["email"] == "gia@example.com" and person["full_name"] == "Gia Guest"
    application = (await fetch("SELECT * FROM applications"))[0]
    applied_stage = (await stages(requisition["id"]))["Applied"]
    assert application["person"] == person["id"] and application["stage"] == applied_stage
    assert application["status"] == "active" and application["knockout"] is False
    assert json.loads(application["answers"]) == {"visa": "no", "level": "Senior"}
    assert application["cv_file"] is not None
    text_id = await _consent_text_id()
    assert application["consent_text"] == text_id
    transitions = await fetch("SELECT from_stage, to_stage, kind FROM stage_transitions")
    assert transitions == [{"from_stage": None, "to_stage": applied_stage, "kind": "applied"}]
    ledger = await fetch("SELECT purpose, scope, consent_text, action, method "
                         "FROM consent_records")
    assert ledger == [{"purpose": "job_processing", "scope": "requisition:backend",
                       "consent_text": text_id, "action": "given", "method": "web_form"}]
    events = await fetch("SELECT type FROM engagement_events ORDER BY id")
    assert {"type": "application_submitted"} in events
    page = await browser.get("/jobs/backend/applied")
    assert "Your application for Backend engineer is with us" in page.text
    await worker_burst()
    [message] = mail.find(to="gia@example.com", subject_contains="We received your application")
    assert "Backend engineer" in message.text_body
    assert "/account/applications" in message.text_body


async def test_guest_must_give_a_cv_and_consent(browser):
    await with_questions()
    response = await guest_apply(browser, "backend", "gia@example.com", cv=None,
                                 answers={"visa": "no"}, consent=False)
    assert response.status_code == 422
    assert "Tick the box to agree" in response.text
    assert await count("people") == 0 and await count("applications") == 0


async def test_a_bad_cv_is_a_field_error_and_nothing_is_written(browser):
    await with_questions()
    before = stored_files()
    response = await guest_apply(browser, "backend", "gia@example.com",
                                 cv=("cv.pdf", HTML_BYTES), answers={"visa": "no"})
    assert response.status_code == 422
    assert 'id="f-cv-error"' in response.text
    assert 'value="gia@example.com"' in response.text  # the form keeps what was typed
    for table in ("people", "applications", "cv_files", "consent_records",
                  "stage_transitions", "outbound_emails"):
        assert await count(table) == 0, table
    assert stored_files() == before


async def test_a_missing_required_answer_is_422(browser):
    await with_questions()
    response = await guest_apply(browser, "backend", "gia@example.com", answers={})
    assert response.status_code == 422
    assert "Answer this question." in response.text
    assert await count("applications") == 0 and await count("people") == 0


async def test_a_knockout_answer_is_flagged_not_rejected(browser):
    await with_questions()
    response = await guest_apply(browser, "backend", "gia@example.com",
                                 answers={"visa": "yes"})
    assert response.status_code == 303
    rows = await fetch("SELECT knockout, status FROM applications")
    assert rows == [{"knockout": True, "status": "active"}]


async def test_double_submit_makes_one_application(browser):
    await with_questions()
    for _ in range(2):
        response = await guest_apply(browser, "backend", "gia@example.com",
                                     answers={"visa": "no"})
        assert response.status_code == 303
    assert await count("applications") == 1
    assert await count("cv_files") == 1
    assert await count("outbound_emails") == 1
    again = await browser.get("/jobs/backend/apply")
    assert "You already applied for Backend engineer" in again.text


async def test_signed_in_candidate_applies_with_their_current_cv(candidate):
    await with_questions()
    cv = await profiles.upload_cv(candidate.person_id, filename="mine.pdf", data=PDF_BYTES,
                                  clock=SystemClock())
    form = await candidate.get("/jobs/backend/apply")
    assert "mine.pdf" in form.text and 'name="email"' not in form.text
    response = await candidate.submit("/jobs/backend/apply", {
        "consent": "yes", "consent_text_id": str(await _consent_text_id()),
        "answer-visa": "no"})
    assert response.status_code == 303, response.text
    rows = await fetch("SELECT person, cv_file FROM applications")
    assert rows == [{"person": candidate.person_id, "cv_file": cv["id"]}]
    method = await fetch("SELECT method FROM consent_records")
    assert method == [{"method": "portal_signed_in"}]
    again = await candidate.submit("/jobs/backend/apply", {
        "consent": "yes", "consent_text_id": str(await _consent_text_id()),
        "answer-visa": "no"})
    assert again.headers["location"] == "/jobs/backend/apply"
    page = await candidate.get("/jobs/backend/apply")
    assert "You already applied" in page.text
    assert await count("applications") == 1


async def test_marketing_consent_is_never_given_by_applying(browser):
    await with_questions()
    await guest_apply(browser, "backend", "gia@example.com", answers={"visa": "no"})
    purposes = await fetch("SELECT DISTINCT purpose FROM consent_records")
    assert purposes == [{"purpose": "job_processing"}]
    assert await count("community_memberships") == 0


async def test_self_identification_is_stored_and_shown_nowhere(browser, candidate):
    await with_questions()
    await candidate.submit("/jobs/backend/apply", {
        "consent": "yes", "consent_text_id": str(await _consent_text_id()),
        "answer-visa": "no"})
    # The candidate has no CV: the form asks for one.
    assert await count("applications") == 0
    await profiles.upload_cv(candidate.person_id, filename="mine.pdf", data=PDF_BYTES,
                             clock=SystemClock())
    await candidate.get("/jobs/backend/apply")
    await candidate.submit("/jobs/backend/apply", {
        "consent": "yes", "consent_text_id": str(await _consent_text_id()),
        "answer-visa": "no"})
    applied = await candidate.get("/jobs/backend/applied")
    assert "/jobs/backend/self-identification" in applied.text
    form = await candidate.get("/jobs/backend/self-identification")
    assert "I don&#39;t wish to answer" in form.text
    response = await candidate.submit("/jobs/backend/self-identification", {
        "gender": "non_binary", "race_ethnicity": "asian", "veteran": "bogus"})
    assert response.status_code == 303
    rows = await fetch("SELECT gender, race_ethnicity, veteran, disability "
                       "FROM eeo_self_identifications")
    assert rows == [{"gender": "non_binary", "race_ethnicity": "asian",
                     "veteran": "declined", "disability": "declined"}]
    # The step is gone once answered; the answers appear on no page.
    assert (await candidate.get("/jobs/backend/self-identification")).status_code == 303
    for path in ("/jobs/backend/applied", "/account/applications", "/account/profile",
                 "/account", "/jobs", "/jobs/backend", "/jobs/backend/apply"):
        text = (await candidate.get(path)).text
        assert "Non-binary" not in text and "non_binary" not in text and "Asian" not in text


async def test_self_identification_needs_the_applying_session(browser):
    requisition = await with_questions()
    person = await people.find_or_create(email="x@example.com", full_name="X", source="t",
                                         now=SystemClock().now())
    await create_application(requisition["id"], person["id"])
    assert (await browser.get("/jobs/backend/self-identification")).status_code == 303
    await browser.get("/jobs/backend/apply")  # for a CSRF token
    response = await browser.submit("/jobs/backend/self-identification", {"gender": "male"})
    assert response.status_code == 303
    assert await count("eeo_self_identifications") == 0


async def test_my_applications_and_withdrawing(candidate):
    requisition = await create_requisition("backend")
    other = await create_requisition("designer", title="Product designer")
    application = await create_application(requisition["id"], candidate.person_id, "Screen")
    rejected = await create_application(other["id"], candidate.person_id)
    await execute("UPDATE applications SET status = 'rejected', stage = $2 WHERE id = $1",
                  rejected["id"], (await stages(other["id"]))["Rejected"])
    page = await candidate.get("/account/applications")
    assert "Backend engineer" in page.text and "Under review" in page.text
    assert "Not selected" in page.text and "talent communities" in page.text
    assert page.text.count(">Withdraw</a>") == 1
    confirm = await candidate.get(f"/account/applications/{application['id']}/withdraw")
    assert "Withdraw your application for Backend engineer?" in confirm.text
    response = await candidate.submit(f"/account/applications/{application['id']}/withdraw",
                                      {})
    assert response.status_code == 303
    row = (await fetch("SELECT status, stage FROM applications WHERE id = $1",
                       application["id"]))[0]
    assert row == {"status": "withdrawn",
                   "stage": (await stages(requisition["id"]))["Withdrawn"]}
    kinds = await fetch("SELECT kind, by FROM stage_transitions WHERE application = $1 "
                        "ORDER BY id", application["id"])
    assert kinds[-1] == {"kind": "withdrawn", "by": f"person:{candidate.person_id}"}
    assert await fetch("SELECT type FROM engagement_events WHERE type = "
                       "'application_withdrawn'")
    after = await candidate.get("/account/applications")
    assert "is withdrawn" in after.text and ">Withdraw</a>" not in after.text


async def test_another_candidates_application_is_not_found(candidate):
    requisition = await create_requisition("backend")
    someone = await people.find_or_create(email="other@example.com", full_name="O",
                                          source="t", now=SystemClock().now())
    theirs = await create_application(requisition["id"], someone["id"])
    await candidate.get("/account/applications")
    assert (await candidate.get(f"/account/applications/{theirs['id']}/withdraw")
            ).status_code == 404
    response = await candidate.submit(f"/account/applications/{theirs['id']}/withdraw", {})
    assert response.status_code == 404
    assert (await fetch("SELECT status FROM applications"))[0]["status"] == "active"
    assert "Backend engineer" not in (await candidate.get("/account/applications")).text


async def test_signed_out_visitors_are_sent_to_sign_in(browser):
    response = await browser.get("/account/applications")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/account/sign-in")


async def test_a_job_closed_while_the_form_was_open_is_refused(browser):
    await with_questions()
    await browser.get("/jobs/backend/apply")
    await execute("UPDATE requisitions SET status = 'closed', closed_at = now()")
    response = await browser.client.post("/jobs/backend/apply", data={
        "_csrf_token": browser.last_token, "full_name": "Gia", "email": "gia@example.com",
        "consent": "yes", "consent_text_id": str(await _consent_text_id()),
        "answer-visa": "no"}, files={"cv": ("cv.pdf", PDF_BYTES, "application/pdf")})
    assert response.status_code == 410
    assert "no longer accepting applications" in response.text
    assert await count("applications") == 0 and await count("people") == 0


async def test_concurrent_submits_for_one_person_write_one_application():
    import asyncio

    from domain.pipeline import service as pipeline

    await with_questions()
    text_id = await _consent_text_id()

    def request() -> pipeline.ApplyRequest:
        return pipeline.ApplyRequest(
            slug="backend", applicant=pipeline.Applicant("gia@example.com", "Gia"),
            answers={"visa": "no"}, consent_text_id=text_id,
            cv=pipeline.CvUpload("cv.pdf", PDF_BYTES))

    results = await asyncio.gather(*(pipeline.apply(request(), clock=SystemClock(), queue=None)
                                      for _ in range(5)))
    assert len({result.application_id for result in results}) == 1
    assert sorted(result.created for result in results) == [False] * 4 + [True]
    assert await count("applications") == 1 and await count("cv_files") == 1
    assert await count("consent_records") == 1


async def test_a_guest_reapplying_elsewhere_learns_nothing_new(app, browser):
    import httpx

    from tests.fixtures import Browser

    await with_questions()
    await guest_apply(browser, "backend", "gia@example.com", answers={"visa": "no"})
    transport = httpx.ASGITransport(app=app, client=("203.0.113.8", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        stranger = Browser(client)
        response = await guest_apply(stranger, "backend", "gia@example.com",
                                     answers={"visa": "yes"})
        # The same page as a first application: whether an address applied is not shown.
        assert response.headers["location"] == "/jobs/backend/applied"
        page = await stranger.get("/jobs/backend/applied")
        assert "self-identification" not in page.text
    rows = await fetch("SELECT knockout FROM applications")
    assert rows == [{"knockout": False}]


async def test_the_thank_you_page_is_only_for_who_applied(browser):
    await with_questions()
    response = await browser.get("/jobs/backend/applied")
    assert response.status_code == 303 and response.headers["location"] == "/jobs/backend"


async def test_a_guest_using_someones_address_cannot_replace_their_cv(browser):
    """Typing an address proves nothing: the file goes with the application only."""
    await with_questions()
    owner = await people.find_or_create(email="owner@example.com", full_name="Olga Owner",
                                        source="test", now=SystemClock().now())
    chosen = await profiles.upload_cv(owner["id"], filename="mine.pdf", data=PDF_BYTES,
                                      clock=SystemClock())
    response = await guest_apply(browser, "backend", "owner@example.com",
                                 cv=("other.pdf", PDF_BYTES + b" other"),
                                 answers={"visa": "no"})
    assert response.status_code == 303, response.text
    current = await fetch("SELECT id FROM cv_files WHERE person = $1 AND is_current",
                          owner["id"])
    assert [row["id"] for row in current] == [chosen["id"]]
    sent = (await fetch("SELECT cv_file FROM applications"))[0]["cv_file"]
    assert sent != chosen["id"]
    row = (await fetch("SELECT is_current, note FROM cv_files WHERE id = $1", sent))[0]
    assert row == {"is_current": False, "note": "sent with an application, not signed in"}
