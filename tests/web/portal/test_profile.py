"""The candidate's profile and CV pages, through HTTP like a browser."""

import json
import re

import pytest

from domain.db import fetch
from domain.people import service as people
from domain.profiles import files
from domain.profiles import service as profiles
from tests.unit.test_profile_rules import (
    ELF_BYTES,
    EXE_BYTES,
    HTML_BYTES,
    PDF_BYTES,
    SVG_BYTES,
    make_docx,
    make_zip,
)

VALID = {
    "full_name": "Cam Candidate", "headline": "Backend engineer", "city": "Lisbon",
    "country": "PT", "time_zone": "Europe/Lisbon",
    "links": "https://github.com/cam\nlinkedin.com/in/cam",
    "skills": "js, JavaScript , Javascript, k8s, Basket weaving",
    "job_function": "engineering", "seniority": "senior", "open_to_opportunities": "open",
}


async def save(browser, data: dict, work_modes=("remote",)):
    await browser.get("/account/profile")
    items = list(data.items()) + [("work_modes", mode) for mode in work_modes]
    return await browser.submit("/account/profile", items)


async def upload(browser, name: str, content: bytes, content_type="application/pdf",
                 csrf=True):
    await browser.get("/account/profile")
    fields = {"_csrf_token": browser.last_token} if csrf else {}
    return await browser.client.post("/account/profile/cv", data=fields,
                                     files={"cv": (name, content, content_type)})


def stored_files() -> set[str]:
    directory = files.cv_directory()
    return {path.name for path in directory.iterdir()} if directory.exists() else set()


async def count(table: str) -> int:
    return (await fetch(f"SELECT count(*) AS n FROM {table}"))[0]["n"]  # noqa: S608


async def test_signed_out_visitors_are_sent_to_sign_in(browser):
    for path in ("/account/profile", "/account/profile/cv/1", "/account/profile/skills?q=py"):
        response = await browser.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/account/sign-in?next=/account")


async def test_the_form_shows_the_current_name_and_choices(candidate):
    response = await candidate.get("/account/profile")
    assert response.status_code == 200
    assert 'value="Cam Candidate"' in response.text
    assert '<option value="PT"' in response.text and "Europe/Lisbon" in response.text
    assert "You have not uploaded a CV yet." in response.text


async def test_saving_normalises_skills_and_records_changed_fields(candidate):
    response = await save(candidate, VALID)
    assert response.status_code == 303 and response.headers["location"] == "/account/profile"
    page = await candidate.get("/account/profile")
    assert "Saved." in page.text
    assert "JavaScript, Kubernetes, Basket weaving" in page.text
    assert "https://linkedin.com/in/cam" in page.text
    assert "Set on" in page.text
    rows = await fetch("SELECT skills, unmatched_skills, work_modes FROM profiles")
    assert rows == [{"skills": ["javascript", "kubernetes"],
                     "unmatched_skills": ["Basket weaving"], "work_modes": ["remote"]}]
    events = await fetch("SELECT type, payload FROM engagement_events "
                         "WHERE type = 'profile_updated'")
    fields = json.loads(events[0]["payload"])["fields"]
    assert {"headline", "skills", "links", "country"} <= set(fields)
    assert "Lisbon" not in events[0]["payload"] and "github" not in events[0]["payload"]
    again = await candidate.get("/account/profile")
    assert "Saved." not in again.text, "the notice is shown once"


async def test_invalid_input_re_renders_with_field_errors_and_saves_nothing(candidate):
    bad = {**VALID, "full_name": " ", "country": "XX", "time_zone": "Mars/Olympus",
           "seniority": "wizard", "links": "javascript:alert(1)\nhttps://ok.example.com",
           "headline": "<script>alert(1)</script>"}
    response = await save(candidate, bad, work_modes=("remote", "moon"))
    assert response.status_code == 422
    for message in ("Enter your name", "Choose a country", "Choose a time zone",
                    "Choose an option", "Choose remote, hybrid or on-site", "https://"):
        assert message in response.text, message
    assert 'aria-invalid="true"' in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "<script>alert(1)</script>" not in response.text
    assert await count("profiles") == 0
    assert await count("engagement_events WHERE type = 'profile_updated'") == 0
    name = await fetch("SELECT full_name FROM people")
    assert name[0]["full_name"] == "Cam Candidate"


async def test_more_than_five_links_are_refused(candidate):
    links = "\n".join(f"https://site{i}.example.com" for i in range(6))
    response = await save(candidate, {**VALID, "links": links})
    assert response.status_code == 422 and "at most 5 links" in response.text


async def test_skill_suggestions_fragment(candidate):
    response = await candidate.get("/account/profile/skills?q=kube")
    assert response.status_code == 200 and "Kubernetes" in response.text
    assert "<html" not in response.text
    typed = await candidate.get("/account/profile/skills", params={"skills": "Python, figm"})
    assert "Figma" in typed.text


async def test_a_pdf_cv_uploads_and_downloads_as_an_attachment(candidate):
    response = await upload(candidate, "My CV.pdf", PDF_BYTES)
    assert response.status_code == 303
    page = await candidate.get("/account/profile")
    assert "Your CV was uploaded." in page.text
    cv_id = re.search(r'href="/account/profile/cv/(\d+)"', page.text).group(1)
    download = await candidate.get(f"/account/profile/cv/{cv_id}")
    assert download.status_code == 200 and download.content == PDF_BYTES
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment")
    assert "My%20CV.pdf" in download.headers["content-disposition"]
    assert download.headers["x-content-type-options"] == "nosniff"
    events = await fetch("SELECT type FROM engagement_events WHERE type = 'cv_uploaded'")
    assert len(events) == 1


async def test_a_docx_cv_is_accepted(candidate):
    response = await upload(candidate, "cv.docx", make_docx(), "application/octet-stream")
    assert response.status_code == 303
    rows = await fetch("SELECT content_type, display_name FROM cv_files")
    assert rows == [{"content_type": files.DOCX, "display_name": "cv.docx"}]


@pytest.mark.parametrize(("name", "content", "claimed"), [
    ("cv.html", HTML_BYTES, "text/html"),
    ("cv.svg", SVG_BYTES, "image/svg+xml"),
    ("cv", ELF_BYTES, "application/octet-stream"),
    ("cv.pdf", EXE_BYTES, "application/pdf"),  # a renamed .exe
    ("cv.docx", make_zip({"readme.txt": "not a document"}), files.DOCX),
    ("cv.pdf", PDF_BYTES + b"0" * files.MAX_CV_BYTES, "application/pdf"),
])
async def test_other_files_are_refused_with_a_message_and_nothing_is_stored(
        candidate, name, content, claimed):
    before = stored_files()
    response = await upload(candidate, name, content, claimed)
    assert response.status_code == 422
    assert ("PDF or a Word document" in response.text) or ("10 MB or smaller" in response.text)
    assert 'aria-invalid="true"' in response.text
    assert stored_files() == before
    assert await count("cv_files") == 0


async def test_a_body_over_the_route_limit_gets_a_413_page(candidate):
    before = stored_files()
    response = await upload(candidate, "big.pdf", PDF_BYTES + b"0" * (12 * 1024 * 1024))
    assert response.status_code == 413
    assert "10 MB or smaller" in response.text
    assert stored_files() == before and await count("cv_files") == 0


async def test_an_empty_submission_asks_for_a_file(candidate):
    await candidate.get("/account/profile")
    response = await candidate.submit("/account/profile/cv", {})
    assert response.status_code == 422 and "Choose a PDF or Word file" in response.text


async def test_uploads_without_the_csrf_token_are_refused(candidate):
    response = await upload(candidate, "cv.pdf", PDF_BYTES, csrf=False)
    assert response.status_code == 403
    assert await count("cv_files") == 0


async def test_replacing_keeps_earlier_cvs_downloadable_by_their_owner(candidate):
    await upload(candidate, "first.pdf", PDF_BYTES)
    await upload(candidate, "second.docx", make_docx(), files.DOCX)
    page = await candidate.get("/account/profile")
    assert "Earlier CVs (1)" in page.text and "second.docx" in page.text
    ids = re.findall(r'href="/account/profile/cv/(\d+)"', page.text)
    assert len(ids) == 2
    for cv_id in ids:
        assert (await candidate.get(f"/account/profile/cv/{cv_id}")).status_code == 200
    rows = await fetch("SELECT is_current, replaced_at IS NOT NULL AS replaced FROM cv_files "
                       "ORDER BY id")
    assert rows == [{"is_current": False, "replaced": True},
                    {"is_current": True, "replaced": False}]


async def test_someone_elses_cv_is_a_404_like_a_missing_one(candidate, clock):
    other = await people.find_or_create(email="other@example.com", full_name="Other",
                                        source="test", now=clock.now())
    cv = await profiles.upload_cv(other["id"], filename="theirs.pdf", data=PDF_BYTES,
                                  clock=clock)
    theirs = await candidate.get(f"/account/profile/cv/{cv['id']}")
    missing = await candidate.get(f"/account/profile/cv/{cv['id'] + 999}")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.text == missing.text
    assert PDF_BYTES not in theirs.content
