"""Requisitions in the back office: create from a template, edit every field, the status
lifecycle, the requisition's own stages, the hiring team, and who may see what. Real app,
database, audit log."""

from __future__ import annotations

import json
import re

import pytest

from domain.db import fetch
from tests.events_support import person, staff_browser
from tests.jobs_support import create_application, create_requisition

pytestmark = pytest.mark.usefixtures("clean_state")


def requisition_form(**overrides) -> dict:
    form = {"title": "Senior backend engineer", "template": "1", "team": "Platform",
            "locations": "Berlin, Lisbon", "remote_policy": "hybrid",
            "employment_type": "full_time", "seniority": "senior",
            "job_function": "engineering", "required_skills": "Python, postgres",
            "nice_skills": "k8s", "description": "**Build** the platform.",
            "salary_min": "70000", "salary_max": "90000", "salary_currency": "eur",
            "salary_period": "year", "openings": "2", "target_start": "2027-03-01",
            "question_rows": "1", "questions-0-key": "",
            "questions-0-label": "Can you work in the EU?", "questions-0-kind": "yes_no",
            "questions-0-choices": "", "questions-0-knockout": "no",
            "questions-0-required": "yes"}
    form.update(overrides)
    return form


async def _create(browser, **overrides) -> int:
    await browser.get("/backoffice/requisitions/new")
    response = await browser.submit("/backoffice/requisitions/new",
                                    requisition_form(**overrides))
    assert response.status_code == 303, response.text
    return int(re.search(r"/requisitions/(\d+)", response.headers["location"]).group(1))


async def _row(requisition_id: int) -> dict:
    row = (await fetch("SELECT * FROM requisitions WHERE id = $1", requisition_id))[0]
    return {**row, "screening_questions": json.loads(row["screening_questions"])}


async def _stage_names(requisition_id: int) -> list[str]:
    rows = await fetch("SELECT name FROM requisition_stages WHERE requisition = $1 "
                       "ORDER BY position", requisition_id)
    return [row["name"] for row in rows]


async def _audited(requisition_id: int) -> list[str]:
    rows = await fetch("SELECT action FROM audit_entries WHERE subject = $1 ORDER BY id",
                       f"requisition:{requisition_id}")
    return [row["action"] for row in rows]


async def test_a_recruiter_creates_a_requisition_from_the_standard_template(app):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    requisition_id = await _create(recruiter)
    row = await _row(requisition_id)
    assert row["status"] == "draft" and row["slug"] == "senior-backend-engineer"
    assert row["required_skills"] == ["python", "postgresql"]
    assert row["nice_skills"] == ["kubernetes"]
    assert row["locations"] == ["Berlin", "Lisbon"] and row["salary_currency"] == "EUR"
    assert row["openings"] == 2 and row["target_start"].isoformat() == "2027-03-01"
    assert row["screening_questions"][0] | {"key": "q1"} == {
        "key": "q1", "label": "Can you work in the EU?", "kind": "yes_no", "choices": [],
        "required": True, "knockout": "no"}
    assert row["template_name"] == "Standard"
    assert await _stage_names(requisition_id) == [
        "Applied", "Screen", "Interview", "Final interview", "Offer", "Hired", "Rejected",
        "Withdrawn"]
    page = await recruiter.get(f"/backoffice/requisitions/{requisition_id}")
    assert page.status_code == 200 and "<strong>Build</strong>" in page.text
    assert f"/backoffice/requisitions/{requisition_id}/pipeline" in page.text
    assert await _audited(requisition_id) == ["requisition.created"]
    listing = await recruiter.get("/backoffice/requisitions")
    assert "Senior backend engineer" in listing.text


async def test_bad_requisition_forms_re_render_with_field_errors(app):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    await recruiter.get("/backoffice/requisitions/new")
    response = await recruiter.submit("/backoffice/requisitions/new", requisition_form(
        title="", salary_min="90000", salary_max="70000", required_skills="Python, Zorblax",
        remote_policy="moon", **{"questions-0-knockout": "maybe"}))
    assert response.status_code == 422
    for message in ("Give the role a title", "The maximum must be at least the minimum.",
                    "Not in the skills list: Zorblax", "Choose one of the options.",
                    "The knockout answer of a yes/no question is yes or no."):
        assert message in response.text
    assert await fetch("SELECT id FROM requisitions") == []


async def test_add_another_question_keeps_what_was_typed(app):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    await recruiter.get("/backoffice/requisitions/new")
    response = await recruiter.submit("/backoffice/requisitions/new",
                                      requisition_form(add_question="yes", title="Typed"))
    assert response.status_code == 200
    assert 'value="Typed"' in response.text and "Question 2" in response.text
    assert await fetch("SELECT id FROM requisitions") == []


async def test_settings_edit_every_field_and_are_audited(app):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    requisition_id = await _create(recruiter)
    page = await recruiter.get(f"/backoffice/requisitions/{requisition_id}/settings")
    assert 'value="Python, PostgreSQL"' in page.text
    response = await recruiter.submit(
        f"/backoffice/requisitions/{requisition_id}/settings", requisition_form(
            title="Staff engineer", remote_policy="remote", salary_min="", salary_max="",
            salary_currency="", openings="1", **{"questions-0-label": ""}))
    assert response.status_code == 303
    row = await _row(requisition_id)
    assert (row["title"], row["remote_policy"], row["salary_min"], row["openings"]) == (
        "Staff engineer", "remote", None, 1)
    assert row["screening_questions"] == []
    assert row["slug"] == "senior-backend-engineer"  # links already shared keep working
    detail = (await fetch("SELECT detail FROM audit_entries WHERE action = "
                          "'requisition.updated'"))[0]["detail"]
    assert "title" in str(detail) and "screening_questions" in str(detail)


async def test_the_status_lifecycle_refuses_illegal_moves(app):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    requisition_id = await _create(recruiter)
    url = f"/backoffice/requisitions/{requisition_id}/status"
    await recruiter.get(f"/backoffice/requisitions/{requisition_id}")
    refused = await recruiter.submit(url, {"status": "on_hold"})
    assert refused.status_code == 409 and "cannot become on hold" in refused.text
    assert (await recruiter.submit(url, {"status": "open"})).status_code == 303
    row = await _row(requisition_id)
    assert row["status"] == "open" and row["opened_at"] is not None
    assert (await recruiter.submit(url, {"status": "on_hold"})).status_code == 303
    assert (await recruiter.submit(url, {"status": "open"})).status_code == 303
    no_reason = await recruiter.submit(url, {"status": "closed", "close_reason": ""})
    assert no_reason.status_code == 409 and "filled or cancelled" in no_reason.text
    assert (await recruiter.submit(url, {"status": "closed",
                                         "close_reason": "filled"})).status_code == 303
    row = await _row(requisition_id)
    assert (row["status"], row["close_reason"]) == ("closed", "filled")
    assert row["closed_at"] is not None
    assert (await recruiter.submit(url, {"status": "open"})).status_code == 409
    assert (await _audited(requisition_id)).count("requisition.status_changed") == 4


async def test_a_requisition_edits_its_own_stages(app):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    requisition_id = await _create(recruiter)
    base = f"/backoffice/requisitions/{requisition_id}/stages"
    ids = {row["name"]: row["id"] for row in await fetch(
        "SELECT id, name FROM requisition_stages WHERE requisition = $1", requisition_id)}
    await recruiter.get(base)
    added = await recruiter.submit(base, {"name": "Take-home", "kind": "custom",
                                          "candidate_label": "Assessment",
                                          "scorecard_attributes": "Code quality, Tests",
                                          "ask_scorecard": "yes"})
    assert added.status_code == 303
    names = await _stage_names(requisition_id)
    assert names.index("Take-home") == names.index("Hired") - 1
    assert (await recruiter.submit(f"{base}/{ids['Screen']}/move",
                                   {"direction": "down"})).status_code == 303
    assert (await _stage_names(requisition_id))[1:3] == ["Interview", "Screen"]
    first = await recruiter.submit(f"{base}/{ids['Interview']}/move", {"direction": "up"})
    assert first.status_code == 409 and "must come first" in first.text
    renamed = await recruiter.submit(f"{base}/{ids['Screen']}/edit", {
        "name": "Phone screen", "kind": "screen", "candidate_label": "Talking to us"})
    assert renamed.status_code == 303 and "Phone screen" in await _stage_names(
        requisition_id)
    hired = await recruiter.submit(f"{base}/{ids['Hired']}/remove", {})
    assert hired.status_code == 409 and "exactly one" in hired.text
    person_id = await person("ann@example.com")
    await create_application(requisition_id, person_id, stage="Final interview")
    used = await recruiter.submit(f"{base}/{ids['Final interview']}/remove", {})
    assert used.status_code == 409 and "cannot be removed" in used.text
    assert (await recruiter.submit(f"{base}/{ids['Offer']}/remove", {})).status_code == 303
    assert "Offer" not in await _stage_names(requisition_id)
    overview = await recruiter.get(f"/backoffice/requisitions/{requisition_id}")
    assert "Final interview" in overview.text
    assert {"requisition.stage_added", "requisition.stage_moved", "requisition.stage_updated",
            "requisition.stage_removed"} <= set(await _audited(requisition_id))


async def test_the_hiring_team_is_managed_by_email(app):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    manager = await staff_browser(app, "hm@test.local", ["hiring_manager"])
    await staff_browser(app, "mkt@test.local", ["marketing"])
    requisition_id = await _create(recruiter)
    base = f"/backoffice/requisitions/{requisition_id}/team"
    assert (await manager.get(f"/backoffice/requisitions/{requisition_id}")).status_code == 404
    await recruiter.get(base)
    wrong = await recruiter.submit(base, {"email": "mkt@test.local", "role": "recruiter"})
    assert wrong.status_code == 422 and "cannot work on requisitions" in wrong.text
    added = await recruiter.submit(base, {"email": "HM@test.local", "role": "hiring_manager"})
    assert added.status_code == 303
    assert (await manager.get(f"/backoffice/requisitions/{requisition_id}")).status_code == 200
    assert "Senior backend engineer" in (await manager.get("/backoffice/requisitions")).text
    staff_id = (await fetch("SELECT id FROM staff_users WHERE email = 'hm@test.local'"))[0]["id"]
    assert (await recruiter.submit(f"{base}/{staff_id}/remove", {})).status_code == 303
    assert (await manager.get(f"/backoffice/requisitions/{requisition_id}")).status_code == 404
    assert {"requisition.member_added", "requisition.member_removed"} <= set(
        await _audited(requisition_id))


async def test_hiring_managers_see_only_their_requisitions_on_every_route(app):
    member = await staff_browser(app, "member@test.local", ["hiring_manager"])
    other = await staff_browser(app, "other@test.local", ["hiring_manager"])
    marketing = await staff_browser(app, "mkt@test.local", ["marketing"])
    member_id = (await fetch("SELECT id FROM staff_users WHERE email = $1",
                             "member@test.local"))[0]["id"]
    requisition = await create_requisition(members={member_id: "hiring_manager"})
    requisition_id = requisition["id"]
    stage_id = (await fetch("SELECT id FROM requisition_stages WHERE requisition = $1 "
                            "AND name = 'Screen'", requisition_id))[0]["id"]
    gets = ["", "/settings", "/stages", "/team"]
    posts = ["/status", "/settings", "/stages", f"/stages/{stage_id}/edit",
             f"/stages/{stage_id}/move", f"/stages/{stage_id}/remove", "/team",
             f"/team/{member_id}/remove"]
    listing = await other.get("/backoffice/requisitions")
    assert listing.status_code == 200 and "Backend engineer" not in listing.text
    assert "Backend engineer" in (await member.get("/backoffice/requisitions")).text
    for suffix in gets:
        url = f"/backoffice/requisitions/{requisition_id}{suffix}"
        assert (await other.get(url)).status_code == 404, suffix
        assert (await member.get(url)).status_code == 200, suffix
        assert (await marketing.get(url)).status_code == 403, suffix
    await other.get("/backoffice/requisitions")  # a CSRF token from a page they can see
    for suffix in posts:
        response = await other.submit(f"/backoffice/requisitions/{requisition_id}{suffix}",
                                      {"status": "closed", "close_reason": "cancelled",
                                       "direction": "down", "email": "other@test.local",
                                       "role": "recruiter", "name": "X", "kind": "custom",
                                       "candidate_label": "X", "title": "X"})
        assert response.status_code == 404, suffix
    # Hiring managers create nothing.
    assert (await member.get("/backoffice/requisitions/new")).status_code == 403
    await member.get("/backoffice/requisitions")
    assert (await member.submit("/backoffice/requisitions/new",
                                requisition_form())).status_code == 403
    assert (await marketing.get("/backoffice/requisitions")).status_code == 403
    # Nothing the outsider posted changed anything.
    row = await _row(requisition_id)
    assert (row["status"], row["title"]) == ("open", "Backend engineer")
    assert len(await _stage_names(requisition_id)) == 8
    assert len(await fetch("SELECT 1 FROM requisition_members WHERE requisition = $1",
                           requisition_id)) == 1
    # A member acts on it.
    await member.get(f"/backoffice/requisitions/{requisition_id}")
    held = await member.submit(f"/backoffice/requisitions/{requisition_id}/status",
                               {"status": "on_hold"})
    assert held.status_code == 303
