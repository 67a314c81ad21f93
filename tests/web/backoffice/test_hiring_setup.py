"""Hiring setup in the back office: stage templates and rejection reasons, admins only.
Real app, database, audit log."""

from __future__ import annotations

import json

import pytest

from domain.db import fetch
from domain.ports import SystemClock
from domain.requisitions.defaults import ensure_hiring_defaults
from tests.events_support import staff_browser

pytestmark = pytest.mark.usefixtures("clean_state")

_STAGES = [("Applied", "applied", "Application received"), ("Chat", "screen", "Under review"),
           ("Hired", "hired", "Hired"), ("Rejected", "rejected", "Not selected"),
           ("Withdrawn", "withdrawn", "Withdrawn")]


def template_form(stages=_STAGES, **overrides) -> dict:
    form = {"name": "Quick", "description": "Two steps.", "silver_threshold": "3.5",
            "stage_rows": str(len(stages))}
    for i, (name, kind, label) in enumerate(stages):
        form |= {f"stages-{i}-order": str(i + 1), f"stages-{i}-name": name,
                 f"stages-{i}-kind": kind, f"stages-{i}-candidate_label": label}
    form.update(overrides)
    return form


async def _template_stages(name: str) -> list[dict]:
    return await fetch("SELECT s.* FROM template_stages s JOIN stage_templates t "
                       "ON t.id = s.template WHERE t.name = $1 ORDER BY s.position", name)


async def test_reference_data_is_there_once(app):
    await ensure_hiring_defaults(now=SystemClock().now())  # a second run changes nothing
    stages = await _template_stages("Standard")
    assert [s["name"] for s in stages] == ["Applied", "Screen", "Interview",
                                           "Final interview", "Offer", "Hired", "Rejected",
                                           "Withdrawn"]
    assert [s["late_stage"] for s in stages].count(True) == 2
    # Interview stages come with attributes to rate, so scorecards (and the silver-medalist
    # average) work on an unedited Standard requisition.
    rated = {s["name"]: s["scorecard_attributes"] for s in stages if s["scorecard_attributes"]}
    assert set(rated) == {"Screen", "Interview", "Final interview"}
    reasons = await fetch("SELECT label, by FROM rejection_reasons")
    assert len(reasons) == 8 and {"label": "Withdrew", "by": "candidate"} in reasons


async def test_an_admin_creates_and_edits_a_stage_template(app):
    admin = await staff_browser(app, "admin@test.local", ["admin"])
    assert "Standard" in (await admin.get("/backoffice/hiring-setup")).text
    await admin.get("/backoffice/hiring-setup/templates/new")
    form = template_form(**{"stages-1-scorecard_attributes": "Motivation, English",
                            "stages-1-ask_scorecard": "yes", "stages-1-late_stage": "yes",
                            "stages-1-email": "moved-to-screen"})
    response = await admin.submit("/backoffice/hiring-setup/templates/new", form)
    assert response.status_code == 303, response.text
    stages = await _template_stages("Quick")
    assert [s["name"] for s in stages] == ["Applied", "Chat", "Hired", "Rejected", "Withdrawn"]
    assert stages[1]["scorecard_attributes"] == ["Motivation", "English"]
    assert json.loads(stages[1]["automation"]) == {"email": "moved-to-screen",
                                                  "ask_scorecard": True,
                                                  "request_availability": False}
    template_id = stages[0]["template"]
    url = f"/backoffice/hiring-setup/templates/{template_id}"
    page = await admin.get(url)
    assert 'value="Motivation, English"' in page.text
    # Reorder by the order numbers: Chat after Hired is allowed, Applied must stay first.
    moved = await admin.submit(url, template_form(**{"stages-1-order": "9"}))
    assert moved.status_code == 303
    assert [s["name"] for s in await _template_stages("Quick")][-1] == "Chat"
    assert (await fetch("SELECT action FROM audit_entries WHERE action LIKE "
                        "'stage_template.%' ORDER BY id")) == [
        {"action": "stage_template.created"}, {"action": "stage_template.updated"}]


async def test_template_rules_show_clear_errors_and_save_nothing(app):
    admin = await staff_browser(app, "admin@test.local", ["admin"])
    await admin.get("/backoffice/hiring-setup/templates/new")
    no_hired = template_form(stages=[s for s in _STAGES if s[1] != "hired"])
    response = await admin.submit("/backoffice/hiring-setup/templates/new", no_hired)
    assert response.status_code == 422 and "Keep exactly one “Hired” stage." in response.text
    late_applied = template_form(**{"stages-0-order": "3"})
    response = await admin.submit("/backoffice/hiring-setup/templates/new", late_applied)
    assert "The “Applied” stage must come first." in response.text
    bad = template_form(name="Standard", silver_threshold="7",
                        **{"stages-1-candidate_label": "", "stages-1-kind": "party"})
    response = await admin.submit("/backoffice/hiring-setup/templates/new", bad)
    assert response.status_code == 422
    assert "Enter a scorecard average from 1 to 4" in response.text
    assert "Choose the kind of stage." in response.text
    response = await admin.submit("/backoffice/hiring-setup/templates/new",
                                  template_form(name="standard"))
    assert "Another template already has this name." in response.text
    assert len(await fetch("SELECT id FROM stage_templates")) == 1


async def test_add_another_stage_keeps_what_was_typed(app):
    admin = await staff_browser(app, "admin@test.local", ["admin"])
    await admin.get("/backoffice/hiring-setup/templates/new")
    response = await admin.submit("/backoffice/hiring-setup/templates/new",
                                  template_form(add_stage="yes", name="Typed"))
    assert response.status_code == 200
    assert 'value="Typed"' in response.text and "Stage 6" in response.text


async def test_rejection_reasons_are_added_renamed_and_deactivated(app):
    admin = await staff_browser(app, "admin@test.local", ["admin"])
    base = "/backoffice/hiring-setup/reasons"
    await admin.get(base)
    assert (await admin.submit(base, {"label": "No visa sponsorship",
                                      "by": "company"})).status_code == 303
    duplicate = await admin.submit(base, {"label": "No visa sponsorship", "by": "company"})
    assert duplicate.status_code == 422 and "already on the list" in duplicate.text
    reason_id = (await fetch("SELECT id FROM rejection_reasons WHERE label = $1",
                             "No visa sponsorship"))[0]["id"]
    renamed = await admin.submit(f"{base}/{reason_id}/rename", {"label": "No visa"})
    assert renamed.status_code == 303
    assert (await admin.submit(f"{base}/{reason_id}/active", {"active": "no"})).status_code \
        == 303
    row = (await fetch("SELECT label, is_active FROM rejection_reasons WHERE id = $1",
                       reason_id))[0]
    assert row == {"label": "No visa", "is_active": False}
    actions = await fetch("SELECT action FROM audit_entries WHERE subject = $1 ORDER BY id",
                          f"rejection_reason:{reason_id}")
    assert [a["action"] for a in actions] == ["rejection_reason.added",
                                              "rejection_reason.renamed",
                                              "rejection_reason.deactivated"]


async def test_only_hiring_setup_may_use_any_route(app):
    admin = await staff_browser(app, "admin@test.local", ["admin"])
    outsiders = [await staff_browser(app, f"{role}@test.local", [role])
                 for role in ("recruiter", "hiring_manager")]
    template_id = (await fetch("SELECT id FROM stage_templates"))[0]["id"]
    reason_id = (await fetch("SELECT id FROM rejection_reasons LIMIT 1"))[0]["id"]
    gets = ["", "/templates/new", f"/templates/{template_id}", "/reasons"]
    posts = ["/templates/new", f"/templates/{template_id}", "/reasons",
             f"/reasons/{reason_id}/rename", f"/reasons/{reason_id}/active"]
    for browser in outsiders:
        await browser.get("/backoffice/requisitions")  # a CSRF token from a page they see
        for suffix in gets:
            response = await browser.get(f"/backoffice/hiring-setup{suffix}")
            assert response.status_code == 403, suffix
        for suffix in posts:
            response = await browser.submit(f"/backoffice/hiring-setup{suffix}",
                                            template_form(label="X", by="company"))
            assert response.status_code == 403, suffix
    assert len(await fetch("SELECT id FROM stage_templates")) == 1
    assert len(await fetch("SELECT id FROM rejection_reasons WHERE is_active")) == 8
    for suffix in gets:
        assert (await admin.get(f"/backoffice/hiring-setup{suffix}")).status_code == 200
    missing = await admin.get("/backoffice/hiring-setup/templates/999")
    assert missing.status_code == 404
