"""The pipeline in the back office: who may see which requisition's pipeline, board and
applications (every route, table-driven), the list's filters and keyset pages, bulk
actions through the form, the board's moves with and without JavaScript, and no EEO data
on any page. Real app and database."""

from __future__ import annotations

import pytest

from domain.db import fetch, fetchval
from tests.events_support import person, staff_browser
from tests.jobs_support import create_application, create_requisition, stages

pytestmark = pytest.mark.usefixtures("clean_state")

SENTINEL = "Zq-EEO-SENTINEL-7731"


async def staff_id(email: str) -> int:
    return int(await fetchval("SELECT id FROM staff_users WHERE email = $1", email))


async def reason(label: str = "Skills do not match", by: str = "company") -> int:
    return int(await fetchval(
        "INSERT INTO rejection_reasons (label, by, email_template, is_active, created_at) "
        "VALUES ($1, $2, '', true, now()) RETURNING id", label, by))


async def world(app) -> dict:
    """Requisition X (with its hiring manager) and Y, one application in each."""
    hm = await staff_browser(app, "hm@test.local", ["hiring_manager"])
    x = await create_requisition("x-role", title="X role",
                                 members={await staff_id("hm@test.local"): "hiring_manager"})
    y = await create_requisition("y-role", title="Y role")
    return {"hm": hm, "x": x, "y": y,
            "ax": await create_application(x["id"], await person("ann@example.com")),
            "ay": await create_application(y["id"], await person("bob@example.com", "Bob"))}


def get_routes(requisition_id: int, application_id: int) -> list[str]:
    return [f"/backoffice/requisitions/{requisition_id}/pipeline",
            f"/backoffice/requisitions/{requisition_id}/board",
            f"/backoffice/applications/{application_id}"]


def post_routes(requisition_id: int, application_id: int, stage: dict,
                reason_id: int) -> list[tuple[str, dict]]:
    return [
        (f"/backoffice/requisitions/{requisition_id}/pipeline/bulk",
         {"action": "move", "to_stage": str(stage["Screen"]), "ids": str(application_id)}),
        (f"/backoffice/applications/{application_id}/move",
         {"to_stage": str(stage["Screen"])}),
        (f"/backoffice/applications/{application_id}/reject", {"reason": str(reason_id)}),
        (f"/backoffice/applications/{application_id}/withdraw", {"reason": str(reason_id)}),
        (f"/backoffice/applications/{application_id}/hire", {}),
        (f"/backoffice/applications/{application_id}/reopen", {}),
    ]


async def test_a_hiring_manager_reaches_every_route_of_their_requisition_only(app):
    w = await world(app)
    hm, x, y = w["hm"], w["x"], w["y"]
    for url in get_routes(x["id"], w["ax"]["id"]):
        assert (await hm.get(url)).status_code == 200, url
    for url in get_routes(y["id"], w["ay"]["id"]):
        assert (await hm.get(url)).status_code == 404, url
    await hm.get(f"/backoffice/applications/{w['ax']['id']}")  # a CSRF token
    for url, form in post_routes(y["id"], w["ay"]["id"], await stages(y["id"]),
                                 await reason()):
        assert (await hm.submit(url, form)).status_code == 404, url
    assert await fetchval("SELECT count(*) FROM stage_transitions "
                          "WHERE kind <> 'applied'") == 0
    row = (await fetch("SELECT stage, status FROM applications WHERE id = $1",
                       w["ay"]["id"]))[0]
    assert row["status"] == "active" and row["stage"] == (await stages(y["id"]))["Applied"]


async def test_recruiters_see_every_requisition_and_other_roles_none(app):
    w = await world(app)
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    for requisition, application in ((w["x"], w["ax"]), (w["y"], w["ay"])):
        for url in get_routes(requisition["id"], application["id"]):
            assert (await recruiter.get(url)).status_code == 200, url
    for role in ("event_host", "marketing", "eeo_reporter"):
        other = await staff_browser(app, f"{role}@test.local", [role])
        for url in get_routes(w["x"]["id"], w["ax"]["id"]):
            assert (await other.get(url)).status_code == 403, (role, url)
        await other.get("/backoffice/")
        for url, form in post_routes(w["x"]["id"], w["ax"]["id"],
                                     await stages(w["x"]["id"]), await reason(role)):
            assert (await other.submit(url, form)).status_code == 403, (role, url)


async def test_unknown_applications_are_404(app):
    w = await world(app)
    assert (await w["hm"].get("/backoffice/applications/999999")).status_code == 404


async def test_list_filters_and_keyset_pages(app):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    requisition = await create_requisition()
    stage = await stages(requisition["id"])
    for i in range(55):
        await create_application(requisition["id"], await person(f"p{i:02}@example.com",
                                                                 f"Person {i:02}"),
                                 stage="Screen" if i % 5 == 0 else "Applied")
    base = f"/backoffice/requisitions/{requisition['id']}/pipeline"
    first = await recruiter.get(base)
    assert first.status_code == 200 and "p00@example.com" in first.text
    assert "p49@example.com" in first.text and "p50@example.com" not in first.text
    last_shown = await fetchval("SELECT a.id FROM applications a JOIN people p "
                                "ON p.id = a.person WHERE p.email = 'p49@example.com'")
    more = await recruiter.get(f"{base}?after={last_shown}", headers={"hx-request": "true"})
    assert "p50@example.com" in more.text and "p00@example.com" not in more.text
    assert "<html" not in more.text  # rows only, for htmx
    screened = await recruiter.get(f"{base}?stage={stage['Screen']}")
    assert "p05@example.com" in screened.text and "p01@example.com" not in screened.text
    found = await recruiter.get(f"{base}?q=person+07")
    assert "p07@example.com" in found.text and "p08@example.com" not in found.text
    rejected = await recruiter.get(f"{base}?status=rejected")
    assert "No applications" not in rejected.text and "Nobody matches" in rejected.text


async def test_bulk_through_the_form_acts_on_exactly_the_ticked_rows(app):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    requisition = await create_requisition()
    other = await create_requisition("other")
    stage = await stages(requisition["id"])
    ids = [(await create_application(requisition["id"],
                                     await person(f"p{i}@example.com")))["id"]
           for i in range(50)]
    stranger = (await create_application(other["id"], await person("x@example.com")))["id"]
    base = f"/backoffice/requisitions/{requisition['id']}/pipeline"
    await recruiter.get(base)
    ticked = [ids[2], ids[20], ids[33]]
    response = await recruiter.submit(f"{base}/bulk", [
        ("action", "move"), ("to_stage", str(stage["Interview"])),
        *[("ids", str(i)) for i in [*ticked, stranger]]])
    assert response.status_code == 303
    page = await recruiter.get(response.headers["location"])
    assert "3 applications moved." in page.text and "1 ignored" in page.text
    assert await fetchval("SELECT array_agg(application ORDER BY application) "
                          "FROM stage_transitions WHERE kind = 'moved'") == ticked
    assert await fetchval("SELECT count(*) FROM audit_entries "
                          "WHERE action = 'application.moved'") == 3
    missing = await recruiter.submit(f"{base}/bulk", [("action", "reject"),
                                                      ("ids", str(ids[0]))])
    assert missing.status_code == 422 and "Choose a reason" in missing.text
    chosen = await reason()
    done = await recruiter.submit(f"{base}/bulk", [("action", "reject"),
                                                   ("reason", str(chosen)),
                                                   ("ids", str(ids[0])), ("ids", str(ids[1]))])
    assert done.status_code == 303
    assert await fetchval("SELECT count(*) FROM applications WHERE status = 'rejected'") == 2
    nothing = await recruiter.submit(f"{base}/bulk", [("action", "move"),
                                                      ("to_stage", str(stage["Screen"]))])
    assert nothing.status_code == 422 and "Tick at least one" in nothing.text


async def test_board_moves_with_and_without_javascript(app):
    w = await world(app)
    hm, x, ax = w["hm"], w["x"], w["ax"]
    stage = await stages(x["id"])
    board = await hm.get(f"/backoffice/requisitions/{x['id']}/board")
    assert board.status_code == 200 and "Ann Smith" in board.text
    assert "/static/vendor/sortablejs/Sortable.min.js" in board.text
    assert 'name="_csrf_token"' in board.text  # each card's Move form works without JS
    moved = await hm.submit(f"/backoffice/applications/{ax['id']}/move", {
        "to_stage": str(stage["Screen"]), "from_stage": str(stage["Applied"]),
        "return_to": "board"})
    assert moved.status_code == 303 and moved.headers["location"].endswith("/board")
    stale = await hm.submit(f"/backoffice/applications/{ax['id']}/move", {
        "to_stage": str(stage["Interview"]), "from_stage": str(stage["Applied"]),
        "return_to": "board"})
    assert stale.status_code == 409 and "moved this application meanwhile" in stale.text
    # A drop: fetch with the CSRF header, answered in JSON.
    token = hm.last_token
    dropped = await hm.client.post(
        f"/backoffice/applications/{ax['id']}/move",
        data={"to_stage": str(stage["Interview"]), "from_stage": str(stage["Applied"])},
        headers={"accept": "application/json", "x-csrftoken": token})
    assert dropped.status_code == 409
    assert "moved this application meanwhile" in dropped.json()["detail"]
    ok = await hm.client.post(
        f"/backoffice/applications/{ax['id']}/move",
        data={"to_stage": str(stage["Interview"]), "from_stage": str(stage["Screen"])},
        headers={"accept": "application/json", "x-csrftoken": token})
    assert ok.status_code == 200 and ok.json()["stage"] == stage["Interview"]
    forged = await hm.client.post(f"/backoffice/applications/{ax['id']}/move",
                                  data={"to_stage": str(stage["Screen"])})
    assert forged.status_code == 403  # no CSRF token


async def test_application_page_actions_and_errors(app):
    w = await world(app)
    hm, ax = w["hm"], w["ax"]
    url = f"/backoffice/applications/{ax['id']}"
    page = await hm.get(url)
    assert page.status_code == 200 and "Stage history" in page.text
    assert "CRM timeline" in page.text and "Engagement, last 12 months" in page.text
    missing = await hm.submit(f"{url}/reject", {"reason": ""})
    assert missing.status_code == 422 and 'href="#f-rejected-reason"' in missing.text
    chosen = await reason()
    done = await hm.submit(f"{url}/reject", {"reason": str(chosen), "note": "Too junior"})
    assert done.status_code == 303
    page = await hm.get(done.headers["location"])
    assert "Rejected." in page.text and "Skills do not match — Too junior" in page.text
    assert "Application rejected" in page.text  # on the person's timeline
    again = await hm.submit(f"{url}/hire", {})
    assert again.status_code == 422 and "reopen it" in again.text
    assert (await hm.submit(f"{url}/reopen", {})).status_code == 303
    hired = await hm.submit(f"{url}/hire", {})
    assert hired.status_code == 303
    requisition = (await fetch("SELECT * FROM requisitions WHERE id = $1", w["x"]["id"]))[0]
    assert (requisition["status"], requisition["close_reason"]) == ("closed", "filled")
    garbage = await hm.submit(f"{url}/move", {"to_stage": "not-a-number"})
    assert garbage.status_code == 422


async def test_no_page_shows_eeo_self_identification(app):
    w = await world(app)
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    for application in (w["ax"], w["ay"]):
        await fetch("INSERT INTO eeo_self_identifications (application, gender, "
                    "race_ethnicity, veteran, disability, created_at) "
                    "VALUES ($1, $2, $2, $2, $2, now())", application["id"], SENTINEL)
    for browser, requisition, application in ((w["hm"], w["x"], w["ax"]),
                                              (recruiter, w["y"], w["ay"])):
        for url in get_routes(requisition["id"], application["id"]):
            response = await browser.get(url)
            assert response.status_code == 200 and SENTINEL not in response.text, url
        bad = await browser.submit(f"/backoffice/applications/{application['id']}/reject",
                                   {"reason": ""})
        assert bad.status_code == 422 and SENTINEL not in bad.text


async def test_the_hiring_team_downloads_the_cv_sent_with_an_application(app):
    from domain.ports import SystemClock
    from domain.profiles import service as profiles
    from tests.unit.test_profile_rules import PDF_BYTES

    w = await world(app)
    for application, email in ((w["ax"], "ann@example.com"), (w["ay"], "bob@example.com")):
        person_id = await fetchval("SELECT id FROM people WHERE email = $1", email)
        sent = await profiles.upload_cv(person_id, filename="cv.pdf", data=PDF_BYTES,
                                        clock=SystemClock())
        await fetch("UPDATE applications SET cv_file = $2 WHERE id = $1",
                    application["id"], sent["id"])
    page = await w["hm"].get(f"/backoffice/applications/{w['ax']['id']}")
    assert f"/backoffice/applications/{w['ax']['id']}/cv" in page.text
    own = await w["hm"].get(f"/backoffice/applications/{w['ax']['id']}/cv")
    assert own.status_code == 200 and own.content == PDF_BYTES
    assert own.headers["content-disposition"].startswith("attachment")
    other = await w["hm"].get(f"/backoffice/applications/{w['ay']['id']}/cv")
    assert other.status_code == 404
    assert await fetchval("SELECT count(*) FROM audit_entries "
                          "WHERE action = 'staff.cv_downloaded' AND actor = 'hm@test.local'") == 1
