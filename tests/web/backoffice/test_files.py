"""Staff download candidates' CVs; the person page shows the profile and the current CV."""

from domain.accounts import service as accounts
from domain.db import fetch
from domain.people import service as people
from domain.profiles import service as profiles
from domain.profiles.service import ProfileUpdate
from tests.unit.test_profile_rules import PDF_BYTES, make_docx


async def candidate_with_cv(clock) -> tuple[int, int]:
    person = await people.find_or_create(email="ann@example.com", full_name="Ann Smith",
                                         source="test", now=clock.now())
    await profiles.upload_cv(person["id"], filename="old.pdf", data=PDF_BYTES, clock=clock)
    cv = await profiles.upload_cv(person["id"], filename="Ann CV.docx", data=make_docx(),
                                  clock=clock)
    return person["id"], cv["id"]


async def test_staff_who_see_candidates_can_download_a_cv(signed_in, clock):
    _, cv_id = await candidate_with_cv(clock)
    response = await signed_in.get(f"/backoffice/files/cv/{cv_id}")
    assert response.status_code == 200 and response.content == make_docx()
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["x-content-type-options"] == "nosniff"
    audit = await fetch("SELECT action, actor FROM audit_entries "
                        "WHERE action = 'staff.cv_downloaded'")
    assert audit == [{"action": "staff.cv_downloaded", "actor": "recruiter@test.local"}]


async def test_unknown_cv_ids_are_404(signed_in, clock):
    _, cv_id = await candidate_with_cv(clock)
    assert (await signed_in.get(f"/backoffice/files/cv/{cv_id + 500}")).status_code == 404


async def test_a_hiring_manager_cannot_download_cvs(browser, clock):
    _, cv_id = await candidate_with_cv(clock)
    await accounts.create_user(email="hm@test.local", full_name="H M", roles=["hiring_manager"],
                               password="a-long-test-password", clock=clock)
    await browser.get("/backoffice/login")
    await browser.submit("/backoffice/login",
                         {"email": "hm@test.local", "password": "a-long-test-password"})
    response = await browser.get(f"/backoffice/files/cv/{cv_id}")
    assert response.status_code == 403
    assert PDF_BYTES not in response.content and b"word/document.xml" not in response.content


async def test_signed_out_visitors_are_sent_to_sign_in(browser, clock):
    _, cv_id = await candidate_with_cv(clock)
    response = await browser.get(f"/backoffice/files/cv/{cv_id}")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/backoffice/login")


async def test_a_candidates_cv_is_not_reachable_from_the_portal_side(candidate, clock):
    _, cv_id = await candidate_with_cv(clock)
    assert (await candidate.get(f"/account/profile/cv/{cv_id}")).status_code == 404


async def test_the_person_page_shows_the_profile_and_current_cv(signed_in, clock):
    person_id, cv_id = await candidate_with_cv(clock)
    await profiles.update_profile(person_id, ProfileUpdate(
        full_name="Ann Smith", headline="Data engineer", city="Porto", country="PT",
        links=("https://github.com/ann",), skills=("python", "apache-spark"),
        unmatched_skills=("Basket weaving",), job_function="data", seniority="senior",
        work_modes=("remote",), open_to_opportunities="actively_looking"), clock=clock)
    page = await signed_in.get(f"/backoffice/candidates/{person_id}")
    assert page.status_code == 200
    for text in ("Data engineer", "Porto, Portugal", "Apache Spark", "Basket weaving",
                 "Data and analytics", "Senior", "Actively looking", "Ann CV.docx",
                 f'href="/backoffice/files/cv/{cv_id}"', 'rel="nofollow noopener noreferrer"',
                 "Updated their profile"):
        assert text in page.text, text
    assert "old.pdf" not in page.text, "only the current CV is offered"
