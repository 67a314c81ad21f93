"""People imports through HTTP and the task: upload errors, mapping and preview, the run
(validation, dedupe in the file and against the CRM, suppressed and erased addresses,
merged records), the consent ledger per lawful basis, progress, re-runs and who may do it."""

from __future__ import annotations

import html

from domain.consent import service as consent
from domain.db import fetch, fetchval
from domain.dedupe import merge as merging
from domain.imports import service as imports
from domain.ports import SystemClock
from domain.privacy import service as privacy
from domain.privacy import suppression
from tests.events_support import person, staff_browser

CSV = (
    "Email;First name;Last name;Mobile;LinkedIn URL;Job title;Skills;Tags\n"
    "new.one@example.com;New;One;07911 123456;;Engineer;Python, Kubernetes, basket weaving;a\n"
    "not-an-email;Bad;Email;;;;;\n"
    "bad.phone@example.com;Bad;Phone;call me;;;;\n"
    "known@example.com;Other;Name;07911 123457;linkedin.com/in/known;Lead;;\n"
    "NEW.ONE@example.com;Twice;Again;;https://www.linkedin.com/in/newone/;;;b\n"
    "gone@example.com;Gone;Person;;;;;\n"
    "erased.person@example.com;Erased;Person;;;;;\n"
    "old@example.com;Merged;Record;;;;;\n"
    "\n"
    "sam@example.com;Sam;Same;07911 123456;;;;\n"
)


async def _upload(browser, data: bytes = CSV.encode(), name: str = "people.csv"):
    await browser.get("/backoffice/imports/new")
    return await browser.client.post("/backoffice/imports",
                                     data={"_csrf_token": browser.last_token},
                                     files={"file": (name, data, "text/csv")})


def _form(found: dict, **options: str) -> dict:
    form = {f"column-{i}": found["mapping"][h] for i, h in enumerate(found["headers"])}
    return {**form, "lawful_basis": "legitimate_interest", "tag": "Sourced 2026",
            "source": "sourcing", **options}


async def _uploaded(browser) -> int:
    response = await _upload(browser)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


async def test_upload_errors_are_shown_on_the_form_and_nothing_is_kept(app):
    recruiter = await staff_browser(app, "rita@corp.test", ["recruiter"])
    for data, words in [(b"", "That file is empty"), (b"%PDF-1.4\0\0", "not a CSV file"),
                        (b"email,name\n", "no people"),
                        (b"a" * (20 * 1024 * 1024 + 10), "20 MB or smaller")]:
        response = await _upload(recruiter, data)
        assert response.status_code == 422 and words in html.unescape(response.text), words
    no_file = await recruiter.submit("/backoffice/imports", {})
    assert no_file.status_code == 422 and "Choose the CSV file" in no_file.text
    huge = await _upload(recruiter, b"a" * (21 * 1024 * 1024))
    assert huge.status_code == 413
    assert await fetchval("SELECT count(*) FROM people_imports") == 0


async def test_mapping_is_guessed_and_the_preview_shows_row_column_reason(app):
    recruiter = await staff_browser(app, "rita@corp.test", ["recruiter"])
    import_id = await _uploaded(recruiter)
    found = await imports.get(import_id)
    assert found["status"] == "uploaded" and found["total_rows"] == 9
    assert found["mapping"] == {"Email": "email", "First name": "first_name",
                                "Last name": "last_name", "Mobile": "phone",
                                "LinkedIn URL": "linkedin", "Job title": "headline",
                                "Skills": "skills", "Tags": "tags"}
    page = html.unescape((await recruiter.get(f"/backoffice/imports/{import_id}")).text)
    assert "new.one@example.com" in page and "+447911123456" in page
    assert "Row 3, column “Email”: Enter a valid email address" in page
    assert "Row 4, column “Mobile”: Enter a phone number" in page

    no_email = await recruiter.submit(f"/backoffice/imports/{import_id}/mapping",
                                      _form(found, **{"column-0": "ignore"}, lawful_basis=""))
    assert no_email.status_code == 422
    text = html.unescape(no_email.text)
    assert "Map one column to Email" in text and "Choose the lawful basis" in text
    no_text = await recruiter.submit(f"/backoffice/imports/{import_id}/mapping",
                                     _form(found, lawful_basis="consent_given_elsewhere"))
    assert "Paste the wording" in html.unescape(no_text.text)
    early = await recruiter.submit(f"/backoffice/imports/{import_id}/start", {})
    assert early.status_code == 409
    assert (await imports.get(import_id))["status"] == "uploaded"


async def _prepare_crm(clock) -> dict[str, int]:
    known = await person("known@example.com", "Known Name")
    kept = await person("kept@example.com", "Kept Person")
    old = await person("old@example.com", "")
    await merging.merge(kept, old, by="rita@corp.test", now=clock.now())
    await suppression.suppress("gone@example.com", reason="unsubscribed", now=clock.now())
    erased = await person("erased.person@example.com", "To Be Erased")
    await privacy.erase_account(person_id=erased, clock=clock, queue=None)
    return {"known": known, "kept": kept, "old": old}


async def test_the_run_imports_good_rows_dedupes_and_reports_the_rest(app, clock):
    ids = await _prepare_crm(clock)
    recruiter = await staff_browser(app, "rita@corp.test", ["recruiter"])
    import_id = await _uploaded(recruiter)
    saved = await recruiter.submit(f"/backoffice/imports/{import_id}/mapping",
                                   _form(await imports.get(import_id)))
    assert saved.status_code == 303, saved.text
    started = await recruiter.submit(f"/backoffice/imports/{import_id}/start", {})
    assert started.status_code == 303
    # The request only queued the work: an outbox row, no people yet.
    assert await fetchval("SELECT count(*) FROM outbox_messages WHERE task = "
                          "'run_people_import'") == 1
    assert await fetchval("SELECT count(*) FROM people WHERE source = 'sourcing'") == 0
    again = await recruiter.submit(f"/backoffice/imports/{import_id}/start", {})
    assert again.status_code == 409

    assert await imports.run(import_id, clock=SystemClock()) == "done"
    found = await imports.get(import_id)
    assert (found["status"], found["processed_rows"], found["created_people"],
            found["updated_people"], found["error_count"]) == ("done", 9, 2, 1, 4)
    assert sorted((e["row"], e["column"]) for e in found["errors"]) == [
        (3, "Email"), (4, "Mobile"), (7, "Email"), (8, "Email")]
    assert "not imported" in found["errors"][2]["reason"]

    new = (await fetch("SELECT id, full_name, phone, linkedin, source FROM people "
                       "WHERE email = 'new.one@example.com'"))[0]
    # The repeated address merged into its first row; the later row filled the blank.
    assert (new["full_name"], new["phone"], new["linkedin"], new["source"]) == (
        "New One", "+447911123456", "linkedin.com/in/newone", "sourcing")
    profile = (await fetch("SELECT headline, skills, unmatched_skills FROM profiles "
                           "WHERE person = $1", new["id"]))[0]
    assert profile["headline"] == "Engineer" and "python" in profile["skills"]
    assert "basket weaving" in profile["unmatched_skills"]
    assert sorted(r["tag"] for r in await fetch(
        "SELECT tag FROM person_tags WHERE person = $1", new["id"])) == ["Sourced 2026", "a",
                                                                          "b"]
    known = (await fetch("SELECT full_name, phone, linkedin FROM people WHERE id = $1",
                         ids["known"]))[0]
    assert known == {"full_name": "Known Name", "phone": "+447911123457",
                     "linkedin": "linkedin.com/in/known"}  # known kept, blanks filled
    kept = (await fetch("SELECT full_name FROM people WHERE id = $1", ids["kept"]))[0]
    assert kept["full_name"] == "Kept Person"
    assert await fetchval("SELECT count(*) FROM person_tags WHERE person = $1",
                          ids["kept"]) == 1  # the merged record's row went to the kept one
    assert await fetchval("SELECT count(*) FROM people WHERE email IN "
                          "('gone@example.com', 'erased.person@example.com')") == 0
    # Same phone as Sam: a hint for review, nothing merged.
    sam = await fetchval("SELECT id FROM people WHERE email = 'sam@example.com'")
    assert await fetch("SELECT person, other, reason FROM duplicate_hints") == [
        {"person": new["id"], "other": sam, "reason": "phone"}]
    assert await fetchval("SELECT count(*) FROM audit_entries WHERE action = "
                          "'people_import.done'") == 1
    page = html.unescape((await recruiter.get(f"/backoffice/imports/{import_id}")).text)
    assert 'value="100"' in page and "9 of 9 rows read" in page and "hx-get" not in page
    listing = await recruiter.get("/backoffice/imports")
    assert "people.csv" in listing.text and "done" in listing.text

    # A second run of the same task is a no-op: nobody is duplicated, counts stay.
    before = await fetchval("SELECT count(*) FROM people")
    assert await imports.run(import_id, clock=SystemClock()) == "skipped"
    assert await fetchval("SELECT count(*) FROM people") == before


async def test_lawful_basis_is_in_the_ledger_and_never_allows_marketing_email(app, clock):
    recruiter = await staff_browser(app, "rita@corp.test", ["recruiter"])
    results = {}
    for basis in ("legitimate_interest", "consent_given_elsewhere"):
        import_id = await _uploaded(recruiter)
        response = await recruiter.submit(
            f"/backoffice/imports/{import_id}/mapping",
            _form(await imports.get(import_id), lawful_basis=basis,
                  consent_text="Yes, keep me posted about jobs at Acme."))
        assert response.status_code == 303
        await recruiter.submit(f"/backoffice/imports/{import_id}/start", {})
        await imports.run(import_id, clock=SystemClock())
        results[basis] = import_id
    new = await fetchval("SELECT id FROM people WHERE email = 'new.one@example.com'")
    ledger = await fetch(
        "SELECT c.purpose, c.action, c.method, t.body FROM consent_records c "
        "JOIN consent_texts t ON t.id = c.consent_text WHERE c.person = $1 ORDER BY c.id", new)
    li, elsewhere = results["legitimate_interest"], results["consent_given_elsewhere"]
    assert [(r["purpose"], r["action"], r["method"]) for r in ledger] == [
        ("sourcing", "noted", f"import:{li}"), ("sourcing", "given", f"import:{elsewhere}")]
    assert "legitimate interest" in ledger[0]["body"]
    assert ledger[1]["body"] == "Yes, keep me posted about jobs at Acme."
    assert await fetchval("SELECT count(*) FROM consent_records WHERE method = $1",
                          f"import:{li}") == 6  # one per imported or matched person
    for purpose in ("community_emails", "event_emails"):
        assert not await consent.can_email(new, purpose, "engineering", at=clock.now())


async def test_progress_fragment_and_a_resumed_run(app):
    recruiter = await staff_browser(app, "rita@corp.test", ["recruiter"])
    import_id = await _uploaded(recruiter)
    await recruiter.submit(f"/backoffice/imports/{import_id}/mapping",
                           _form(await imports.get(import_id)))
    await recruiter.submit(f"/backoffice/imports/{import_id}/start", {})
    # A worker that died after committing 4 rows left the import running at row 4.
    await fetch("UPDATE people_imports SET status = 'running', processed_rows = 4 "
                "WHERE id = $1", import_id)
    fragment = await recruiter.get(f"/backoffice/imports/{import_id}/progress")
    assert 'value="44"' in fragment.text and "4 of 9 rows read" in fragment.text
    assert f'hx-get="/backoffice/imports/{import_id}/progress"' in fragment.text
    assert await imports.run(import_id, clock=SystemClock()) == "done"
    found = await imports.get(import_id)
    assert found["processed_rows"] == 9
    # Rows 2-5 were the dead worker's to write; the resumed run took the rest (row 6 is
    # the second row of new.one@, so only its values are there).
    assert await fetchval("SELECT full_name FROM people WHERE email = "
                          "'new.one@example.com'") == "Twice Again"
    assert await fetchval("SELECT count(*) FROM people WHERE email = 'known@example.com'") \
        == 0
    assert await fetchval("SELECT count(*) FROM people WHERE email = 'sam@example.com'") == 1


async def test_a_run_that_breaks_is_failed_with_a_message_and_the_file_goes(app):
    recruiter = await staff_browser(app, "rita@corp.test", ["recruiter"])
    import_id = await _uploaded(recruiter)
    await recruiter.submit(f"/backoffice/imports/{import_id}/mapping",
                           _form(await imports.get(import_id)))
    await recruiter.submit(f"/backoffice/imports/{import_id}/start", {})
    await fetch("UPDATE people_imports SET lawful_basis = 'made_up' WHERE id = $1", import_id)
    assert await imports.run(import_id, clock=SystemClock()) == "failed"
    found = await imports.get(import_id)
    assert found["status"] == "failed" and found["message"].startswith("Stopped after 0 rows")
    from domain.imports import files

    assert not files.path_of(found["storage_key"]).exists()


async def test_roles_without_pools_work_get_403(app):
    for role in ("hiring_manager", "event_host", "eeo_reporter"):
        browser = await staff_browser(app, f"{role}@corp.test", [role])
        assert (await browser.get("/backoffice/imports")).status_code == 403
        assert (await _upload(browser)).status_code == 403
    marketing = await staff_browser(app, "mo@corp.test", ["marketing"])
    assert (await marketing.get("/backoffice/imports/new")).status_code == 200


async def test_the_candidates_page_links_to_imports_for_those_who_may_import(app):
    recruiter = await staff_browser(app, "rita@corp.test", ["recruiter"])
    assert 'href="/backoffice/imports"' in (await recruiter.get("/backoffice/candidates")).text
    manager = await staff_browser(app, "hm@corp.test", ["hiring_manager"])
    page = await manager.get("/backoffice/candidates")
    assert 'href="/backoffice/imports"' not in page.text
