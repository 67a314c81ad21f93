"""Hiring email templates in the back office (HIRING_SETUP only), the stage and reason
forms that pick them, the reject dialog's "send the rejection email" box, and bulk email
and tag from the pipeline list on exactly the ticked rows. Real app, database, worker and
mail sink."""

from __future__ import annotations

import json

import pytest

from domain.db import fetch, fetchval
from tests.events_support import person, staff_browser
from tests.jobs_support import create_application, create_requisition, stages

pytestmark = pytest.mark.usefixtures("clean_state")
BASE = "/backoffice/hiring-setup/emails"


def template_form(**overrides: str) -> dict:
    return {"key": "follow-up", "name": "Follow-up", "purpose": "general",
            "subject": "About {{ job_title }}",
            "body": "Hi {{ first_name }},\n\nA quick **update** on {{ job_title }}."} | overrides


async def test_only_hiring_setup_reaches_the_email_pages(app):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    template_id = await fetchval("SELECT id FROM hiring_email_templates LIMIT 1")
    for url in (BASE, f"{BASE}/new", f"{BASE}/{template_id}"):
        assert (await recruiter.get(url)).status_code == 403, url
    await recruiter.get("/backoffice/requisitions")
    for url, data in ((f"{BASE}/new", template_form()),
                      (f"{BASE}/{template_id}", template_form()),
                      (f"{BASE}/{template_id}/active", {"active": "no"})):
        assert (await recruiter.submit(url, data)).status_code == 403, url
    assert await fetchval("SELECT count(*) FROM hiring_email_templates "
                          "WHERE NOT is_active OR key = 'follow-up'") == 0


async def test_an_admin_creates_previews_edits_and_deactivates_a_template(app):
    admin = await staff_browser(app, "admin@test.local", ["admin"])
    listing = await admin.get(BASE)
    assert listing.status_code == 200 and "Rejection: position filled" in listing.text
    await admin.get(f"{BASE}/new")
    preview = await admin.submit(f"{BASE}/new", template_form() | {"preview": "yes"})
    assert preview.status_code == 200 and "Hi Ada," in preview.text
    assert "<strong>update</strong>" in preview.text
    assert await fetchval("SELECT count(*) FROM hiring_email_templates "
                          "WHERE key = 'follow-up'") == 0  # a preview saves nothing
    created = await admin.submit(f"{BASE}/new", template_form())
    assert created.status_code == 303
    row = (await fetch("SELECT * FROM hiring_email_templates WHERE key = 'follow-up'"))[0]
    assert (row["purpose"], row["updated_by"]) == ("general", "admin@test.local")
    page = await admin.get(created.headers["location"])
    assert "Backend engineer" in page.text  # the sample rendering
    edited = await admin.submit(f"{BASE}/{row['id']}",
                                template_form(name="Follow-up v2", key="ignored"))
    assert edited.status_code == 303
    after = (await fetch("SELECT * FROM hiring_email_templates WHERE id = $1", row["id"]))[0]
    assert (after["name"], after["key"]) == ("Follow-up v2", "follow-up")
    off = await admin.submit(f"{BASE}/{row['id']}/active", {"active": "no"})
    assert off.status_code == 303
    assert await fetchval("SELECT is_active FROM hiring_email_templates WHERE id = $1",
                          row["id"]) is False
    assert [r["action"] for r in await fetch(
        "SELECT action FROM audit_entries WHERE action LIKE 'hiring_email.%' ORDER BY id")] \
        == ["hiring_email.created", "hiring_email.updated", "hiring_email.deactivated"]


@pytest.mark.parametrize(("overrides", "field", "words"), [
    ({"body": "Hi {{ firstname }}"}, "body", "firstname"),
    ({"body": "Hi {{ first_name"}, "body", "syntax error"),
    ({"subject": "{{ ''.__class__.__mro__ }}"}, "subject", "unsafe"),
    ({"key": "Not A Key"}, "key", "lowercase"),
    ({"key": "moved-to-screen"}, "key", "already uses"),
])
async def test_a_broken_template_shows_the_field_error_and_saves_nothing(app, overrides,
                                                                          field, words):
    admin = await staff_browser(app, "admin@test.local", ["admin"])
    await admin.get(f"{BASE}/new")
    before = await fetchval("SELECT count(*) FROM hiring_email_templates")
    response = await admin.submit(f"{BASE}/new", template_form(**overrides))
    assert response.status_code == 422
    assert f'href="#f-{field}"' in response.text and words in response.text
    assert await fetchval("SELECT count(*) FROM hiring_email_templates") == before


async def test_stage_forms_pick_an_active_stage_template_and_refuse_others(app):
    admin = await staff_browser(app, "admin@test.local", ["admin"])
    requisition = await create_requisition()
    stage_id = (await stages(requisition["id"]))["Screen"]
    url = f"/backoffice/requisitions/{requisition['id']}/stages"
    page = await admin.get(url)
    assert '<option value="moved-to-interview"' in page.text
    form = {"name": "Screen", "kind": "screen", "candidate_label": "Under review",
            "scorecard_attributes": "", "request_availability": "yes"}
    refused = await admin.submit(f"{url}/{stage_id}/edit",
                                 form | {"email": "rejection-standard"})  # wrong purpose
    assert refused.status_code == 422 and "active stage email templates" in refused.text
    saved = await admin.submit(f"{url}/{stage_id}/edit", form | {"email": "moved-to-screen"})
    assert saved.status_code == 303
    automation = await fetchval("SELECT automation FROM requisition_stages WHERE id = $1",
                                stage_id)
    assert json.loads(automation) == {"email": "moved-to-screen", "ask_scorecard": False,
                                      "request_availability": True}


async def test_a_reason_is_given_a_rejection_template(app):
    admin = await staff_browser(app, "admin@test.local", ["admin"])
    page = await admin.get("/backoffice/hiring-setup/reasons")
    assert "Rejection: not a fit right now" in page.text
    reason_id = await fetchval("SELECT id FROM rejection_reasons WHERE label = "
                               "'Failed assessment'")
    url = f"/backoffice/hiring-setup/reasons/{reason_id}/email"
    bad = await admin.submit(url, {"email_template": "moved-to-screen"})
    assert bad.status_code == 422 and "active rejection templates" in bad.text
    good = await admin.submit(url, {"email_template": "rejection-not-a-fit-now"})
    assert good.status_code == 303
    assert await fetchval("SELECT email_template FROM rejection_reasons WHERE id = $1",
                          reason_id) == "rejection-not-a-fit-now"


async def test_the_reject_dialog_sends_the_email_unless_unticked(app, mail, worker_burst):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    requisition = await create_requisition(title="Platform engineer")
    first = await create_application(requisition["id"], await person("ann@example.com"))
    second = await create_application(requisition["id"], await person("bob@example.com"))
    filled = await fetchval("SELECT id FROM rejection_reasons WHERE label = 'Position filled'")
    page = await recruiter.get(f"/backoffice/applications/{first['id']}")
    assert 'name="notify"' in page.text and "checked" in page.text
    sent = await recruiter.submit(f"/backoffice/applications/{first['id']}/reject",
                                  {"reason": str(filled), "notify": "yes"})
    quiet = await recruiter.submit(f"/backoffice/applications/{second['id']}/reject",
                                   {"reason": str(filled)})
    assert sent.status_code == quiet.status_code == 303
    await worker_burst()
    [message] = mail.find("ann@example.com")
    assert "Platform engineer" in message.subject
    assert mail.find("bob@example.com") == []


async def _fifty(app):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    requisition = await create_requisition(title="Frontend engineer")
    ids = [(await create_application(requisition["id"],
                                     await person(f"p{i}@example.com", f"Pat{i} Lee")))["id"]
           for i in range(50)]
    base = f"/backoffice/requisitions/{requisition['id']}/pipeline"
    return recruiter, ids, base


async def test_bulk_email_reaches_exactly_the_three_ticked_of_fifty(app, mail, worker_burst):
    recruiter, ids, base = await _fifty(app)
    page = await recruiter.get(base)
    assert '<option value="rejection-standard"' in page.text
    ticked = [ids[3], ids[30], ids[49]]
    form = [("action", "email"), ("template", "moved-to-interview"), ("batch", "c" * 32),
            *[("ids", str(i)) for i in ticked]]
    confirm = await recruiter.submit(f"{base}/bulk", form)
    assert confirm.status_code == 200 and "Email 3 candidates" in confirm.text
    assert "Hi Ada," in confirm.text and "Frontend engineer" in confirm.text
    assert await fetchval("SELECT count(*) FROM outbound_emails") == 0
    done = await recruiter.submit(f"{base}/bulk", [*form, ("confirmed", "1")])
    assert done.status_code == 303
    assert "3 emails queued." in (await recruiter.get(done.headers["location"])).text
    again = await recruiter.submit(f"{base}/bulk", [*form, ("confirmed", "1")])
    assert "0 emails queued. 3 not sent" in (await recruiter.get(again.headers["location"])).text
    await worker_burst()
    for i in (3, 30, 49):
        [message] = mail.find(f"p{i}@example.com")
        assert "Frontend engineer" in message.subject and f"Hi Pat{i}," in message.text_body
    assert sum(len(mail.find(f"p{i}@example.com")) for i in range(50)) == 3
    missing = await recruiter.submit(f"{base}/bulk", [("action", "email"),
                                                      ("ids", str(ids[0]))])
    assert missing.status_code == 422 and "Choose an email template" in missing.text


async def test_bulk_tag_tags_exactly_the_three_ticked_of_fifty(app):
    recruiter, ids, base = await _fifty(app)
    await recruiter.get(base)
    ticked = [ids[0], ids[7], ids[8]]
    done = await recruiter.submit(f"{base}/bulk", [
        ("action", "tag"), ("tags", "Relocating,  remote only"),
        *[("ids", str(i)) for i in ticked]])
    assert done.status_code == 303
    assert "3 candidates tagged." in (await recruiter.get(done.headers["location"])).text
    rows = await fetch("SELECT a.id, t.tag FROM person_tags t JOIN applications a "
                       "ON a.person = t.person ORDER BY a.id, t.tag")
    assert [(r["id"], r["tag"]) for r in rows] == [
        (i, tag) for i in ticked for tag in ("Relocating", "remote only")]
    page = await recruiter.get(f"/backoffice/applications/{ids[7]}")
    assert "remote only" in page.text
    empty = await recruiter.submit(f"{base}/bulk", [("action", "tag"), ("tags", ""),
                                                    ("ids", str(ids[1]))])
    assert empty.status_code == 422 and "Type a tag" in empty.text
