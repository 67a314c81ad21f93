"""Duplicates through HTTP: the apply form's phone/LinkedIn fields, the review list, the
merge preview and merge, "not the same person", undo, who may do it, the hint on the
application page and the colleague-contacted-recently warning."""

from __future__ import annotations

from domain.audit import service as audit
from domain.db import fetch
from domain.ports import SystemClock
from tests.events_support import person, staff_browser
from tests.jobs_support import create_application, create_requisition


async def _apply_with(browser, email: str, *, phone: str = "", linkedin: str = "",
                      name: str = "Ann Smith", slug: str = "backend"):
    await browser.get(f"/jobs/{slug}/apply")
    consent = (await fetch("SELECT id FROM consent_texts WHERE purpose = 'job_processing'"))
    data = {"_csrf_token": browser.last_token, "full_name": name, "email": email,
            "consent_text_id": str(consent[0]["id"]), "consent": "yes", "phone": phone,
            "linkedin": linkedin}
    from tests.unit.test_profile_rules import PDF_BYTES

    return await browser.client.post(f"/jobs/{slug}/apply", data=data,
                                     files={"cv": ("cv.pdf", PDF_BYTES, "application/pdf")})


async def _pair(browser) -> tuple[int, int]:
    """An existing person with a phone, and a second record applying with that phone."""
    await create_requisition("backend")
    first = await person("ann@example.com", "Ann Smith")
    await fetch("UPDATE people SET phone = '+447911123456', source = 'referral' "
                "WHERE id = $1", first)
    response = await _apply_with(browser, "ann.smith@work.example", phone="07911 123456")
    assert response.status_code == 303, response.text
    second = (await fetch("SELECT id FROM people WHERE email = 'ann.smith@work.example'"))
    return first, second[0]["id"]


async def test_unreadable_phone_and_linkedin_are_field_errors(browser):
    await create_requisition("backend")
    response = await _apply_with(browser, "ann@example.com", phone="call me",
                                 linkedin="https://example.com/ann")
    assert response.status_code == 422
    assert "Enter a phone number" in response.text
    assert "Enter the address of your LinkedIn profile" in response.text
    assert await fetch("SELECT id FROM applications") == []


async def test_applying_with_a_known_phone_opens_one_hint_and_merges_nothing(browser):
    first, second = await _pair(browser)
    hints = await fetch("SELECT person, other, reason, status FROM duplicate_hints")
    assert hints == [{"person": first, "other": second, "reason": "phone", "status": "open"}]
    assert await fetch("SELECT id FROM people WHERE merged_into IS NOT NULL") == []
    assert await fetch("SELECT phone FROM people WHERE id = $1", second) == \
        [{"phone": "+447911123456"}]


async def test_recruiter_reviews_merges_and_undoes(app, browser, signed_in):
    first, second = await _pair(browser)
    page = await signed_in.get("/backoffice/candidates/duplicates")
    assert page.status_code == 200
    assert "ann.smith@work.example" in page.text and "Same phone" in page.text
    assert f"/backoffice/candidates/{first}/merge/{second}" in page.text

    preview = await signed_in.get(f"/backoffice/candidates/{first}/merge/{second}")
    assert preview.status_code == 200
    assert "Applications (with their interviews, scorecards and offers): 1" in preview.text
    assert await fetch("SELECT id FROM person_merges") == []

    response = await signed_in.submit(f"/backoffice/candidates/{first}/merge/{second}", {})
    assert response.status_code == 303
    assert response.headers["location"] == f"/backoffice/candidates/{first}"
    assert await fetch("SELECT person FROM applications") == [{"person": first}]
    assert await fetch("SELECT status FROM duplicate_hints") == [{"status": "merged"}]

    listing = await signed_in.get("/backoffice/candidates")
    assert "ann.smith@work.example" not in listing.text and "ann@example.com" in listing.text
    merged_page = await signed_in.get(f"/backoffice/candidates/{second}")
    assert "This record was merged into" in merged_page.text
    kept_page = await signed_in.get(f"/backoffice/candidates/{first}")
    assert "Source: referral" in kept_page.text  # the original attribution survives
    merge_id = (await fetch("SELECT id FROM person_merges"))[0]["id"]
    assert f"/backoffice/candidates/merges/{merge_id}/undo" in kept_page.text

    response = await signed_in.submit(f"/backoffice/candidates/merges/{merge_id}/undo", {})
    assert response.status_code == 303
    assert await fetch("SELECT person FROM applications") == [{"person": second}]
    assert await fetch("SELECT merged_into FROM people WHERE id = $1", second) == \
        [{"merged_into": None}]
    response = await signed_in.submit(f"/backoffice/candidates/merges/{merge_id}/undo", {})
    assert response.status_code == 409


async def test_not_the_same_person_dismisses_the_pair(browser, signed_in):
    first, second = await _pair(browser)
    await signed_in.get("/backoffice/candidates/duplicates")
    response = await signed_in.submit(
        f"/backoffice/candidates/{first}/not-duplicate/{second}", {"reason": "phone"})
    assert response.status_code == 303
    assert await fetch("SELECT status, decided_by FROM duplicate_hints") == \
        [{"status": "dismissed", "decided_by": "recruiter@test.local"}]
    page = await signed_in.get("/backoffice/candidates/duplicates")
    assert "ann.smith@work.example" not in page.text


async def test_hiring_managers_may_not_merge(app, browser):
    first, second = await _pair(browser)
    manager = await staff_browser(app, "hm@test.local", ["hiring_manager"])
    await manager.get("/backoffice/requisitions")
    assert manager.last_token  # the layout's sign-out form: a valid CSRF token
    assert (await manager.get("/backoffice/candidates/duplicates")).status_code == 403
    assert (await manager.get(f"/backoffice/candidates/{first}/merge/{second}")).status_code \
        == 403
    for url in (f"/backoffice/candidates/{first}/merge/{second}",
                f"/backoffice/candidates/{first}/not-duplicate/{second}",
                "/backoffice/candidates/merges/1/undo"):
        assert (await manager.submit(url, {"reason": "phone"})).status_code == 403, url
    assert await fetch("SELECT id FROM person_merges") == []
    assert await fetch("SELECT status FROM duplicate_hints") == [{"status": "open"}]
    # Refused by the permission guard (which audits), not by the CSRF check.
    denied = await fetch("SELECT subject FROM audit_entries WHERE actor = 'hm@test.local' "
                         "AND action = 'staff.permission_denied'")
    assert len(denied) == 5
    await manager.client.aclose()


async def test_the_application_page_names_the_possible_duplicate(browser, signed_in):
    first, second = await _pair(browser)
    application = (await fetch("SELECT id FROM applications"))[0]["id"]
    page = await signed_in.get(f"/backoffice/applications/{application}")
    assert page.status_code == 200
    assert "This applicant may also be" in page.text and "(same phone)" in page.text
    assert f"/backoffice/candidates/{first}/merge/{second}" in page.text


async def _interview(application: dict, by: str, days_ago: int) -> None:
    await fetch(
        "INSERT INTO interviews (application, stage, title, status, created_by, created_at, "
        "updated_at) VALUES ($1, $2, 'Technical interview', 'proposed', $3, "
        "now() - make_interval(days => $4), now())",
        application["id"], application["stage"], by, days_ago)


async def test_a_colleagues_recent_contact_is_shown_but_not_ones_own(app, signed_in):
    requisition = await create_requisition("backend")
    ann = await person("ann@example.com")
    application = await create_application(requisition["id"], ann)
    colleague = await staff_browser(app, "priya@test.local", ["recruiter"])
    await colleague.client.aclose()
    await _interview(application, "recruiter@test.local", 1)  # the viewer's own
    await _interview(application, "old@test.local", 20)  # too long ago
    await audit.record(action="application.emailed", at=SystemClock().now(),
                       actor="priya@test.local", subject=f"application:{application['id']}")
    for url in (f"/backoffice/candidates/{ann}", f"/backoffice/applications/{application['id']}"):
        page = await signed_in.get(url)
        assert page.status_code == 200
        assert "A colleague contacted this person recently" in page.text, url
        assert "Priya (priya@test.local) emailed them today" in page.text, url
        assert "recruiter@test.local) scheduled" not in page.text, url
        assert "old@test.local" not in page.text, url


async def test_no_warning_without_a_recent_colleague_contact(signed_in):
    requisition = await create_requisition("backend")
    ann = await person("ann@example.com")
    application = await create_application(requisition["id"], ann)
    await _interview(application, "recruiter@test.local", 2)
    await _interview(application, "old@test.local", 15)
    page = await signed_in.get(f"/backoffice/candidates/{ann}")
    assert "A colleague contacted this person recently" not in page.text



async def test_a_colleagues_bulk_email_counts_as_contact(app, signed_in):
    requisition = await create_requisition("backend")
    ann, bob = await person("ann@example.com"), await person("bob@example.com")
    application = await create_application(requisition["id"], ann)
    other = await create_application(requisition["id"], bob)
    await audit.record(action="application.bulk_email", at=SystemClock().now(),
                       actor="priya@test.local", subject=f"requisition:{requisition['id']}",
                       detail={"applications": [other["id"]]})
    page = await signed_in.get(f"/backoffice/applications/{application['id']}")
    assert "A colleague contacted this person recently" not in page.text
    await audit.record(action="application.bulk_email", at=SystemClock().now(),
                       actor="priya@test.local", subject=f"requisition:{requisition['id']}",
                       detail={"applications": [other["id"], application["id"]]})
    page = await signed_in.get(f"/backoffice/applications/{application['id']}")
    assert "priya@test.local emailed them today" in page.text


async def test_a_hiring_manager_is_not_shown_other_crm_records(app, browser):
    await _pair(browser)
    application = (await fetch("SELECT id, requisition FROM applications"))[0]
    manager = await staff_browser(app, "hm@test.local", ["hiring_manager"])
    staff_id = (await fetch("SELECT id FROM staff_users WHERE email = 'hm@test.local'"))[0]
    await fetch("INSERT INTO requisition_members (requisition, staff, role) "
                "VALUES ($1, $2, 'hiring_manager')", application["requisition"], staff_id["id"])
    page = await manager.get(f"/backoffice/applications/{application['id']}")
    assert page.status_code == 200
    assert "may also be" not in page.text and "ann@example.com" not in page.text
    await manager.client.aclose()
