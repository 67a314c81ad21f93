"""Hiring emails against the real database, worker, Redis and mail sink: stage-entry and
rejection emails sent once per candidate, scorecard and availability requests on entering
a stage, bulk email and tag on exactly the selection, and templates checked in a sandbox."""

from __future__ import annotations

import json

import pytest

from domain.accounts import service as accounts
from domain.consent import service as consent
from domain.db import fetch, fetchval
from domain.errors import Invalid
from domain.hiring_emails import automation, rendering
from domain.hiring_emails import service as hiring_emails
from domain.interviews import availability
from domain.mail import service as mail_service
from domain.outbox import service as outbox
from domain.pipeline import bulk, moves, silver, transitions
from tests.events_support import person
from tests.jobs_support import create_application, create_requisition, stages
from tests.silver_support import scored

pytestmark = pytest.mark.usefixtures("clean_state")


async def set_automation(requisition_id: int, stage: str, **automation_: object) -> int:
    stage_id = (await stages(requisition_id))[stage]
    await fetch("UPDATE requisition_stages SET automation = $2::jsonb WHERE id = $1",
                stage_id, json.dumps({"email": "", "ask_scorecard": False,
                                      "request_availability": False} | automation_))
    return stage_id


async def applicants(requisition_id: int, count: int, stage: str = "Applied",
                     first: int = 0) -> list[int]:
    return [(await create_application(requisition_id,
                                      await person(f"cand{n}@example.com", f"Cand{n} Doe"),
                                      stage=stage))["id"] for n in range(first, first + count)]


async def reason_id(label: str) -> int:
    return int(await fetchval("SELECT id FROM rejection_reasons WHERE label = $1", label))


async def emails(template: str = "hiring_email") -> list[dict]:
    return await fetch("SELECT * FROM outbound_emails WHERE template = $1 ORDER BY id",
                       template)


class StatementCounter:
    """Counts the statements sent through our own `fetch` (wrapped, not replaced: every
    statement still runs against the database)."""

    def __init__(self, monkeypatch) -> None:
        self.count = 0
        for module in (transitions, automation, mail_service, outbox, consent, bulk, moves,
                       availability):
            original = module.fetch

            async def counted(sql, *args, _original=original):
                self.count += 1
                return await _original(sql, *args)

            monkeypatch.setattr(module, "fetch", counted)


async def test_entering_a_stage_emails_each_candidate_once_with_their_name_and_job(
        clock, queue, mail, worker_burst):
    requisition = await create_requisition(title="Data engineer")
    stage_id = await set_automation(requisition["id"], "Screen", email="moved-to-screen")
    application = (await applicants(requisition["id"], 1))[0]
    await moves.move(application, stage_id, by="rec@test.local", clock=clock, queue=queue)
    await worker_burst()
    [message] = mail.find("cand0@example.com")
    assert "Data engineer" in message.subject
    assert "Hi Cand0," in message.text_body and "Data engineer" in message.html_body
    assert "/account/applications" in message.html_body
    await worker_burst()  # a second run (or a task run twice) sends nothing more
    await outbox.relay_pending(queue, now=clock.now())
    await worker_burst()
    assert len(mail.find("cand0@example.com")) == 1
    assert [e["state"] for e in await emails()] == ["sent"]


async def test_a_bulk_move_emails_every_candidate_in_a_constant_number_of_statements(
        clock, monkeypatch):
    requisition = await create_requisition()
    stage_id = await set_automation(requisition["id"], "Interview",
                                    email="moved-to-interview")
    ids = await applicants(requisition["id"], 33)
    counter = StatementCounter(monkeypatch)
    await bulk.move(requisition["id"], ids[:3], stage_id, by="rec@test.local", clock=clock)
    small, counter.count = counter.count, 0
    result = await bulk.move(requisition["id"], ids[3:], stage_id, by="rec@test.local",
                             clock=clock)
    assert len(result.done) == 30
    assert counter.count == small
    sent = await emails()
    assert len(sent) == 33 and len({e["dedupe_key"] for e in sent}) == 33
    assert {json.loads(e["context"])["application_id"] for e in sent} == set(ids)


async def test_leaving_and_entering_again_sends_again_but_a_deactivated_template_not(clock):
    requisition = await create_requisition()
    screen = await set_automation(requisition["id"], "Screen", email="moved-to-screen")
    stage = await stages(requisition["id"])
    application = (await applicants(requisition["id"], 1))[0]
    await moves.move(application, screen, by="rec", clock=clock)
    await moves.move(application, stage["Offer"], by="rec", clock=clock)
    await moves.move(application, screen, by="rec", clock=clock)
    assert len(await emails()) == 2  # one per entry into Screen
    await fetch("UPDATE hiring_email_templates SET is_active = false "
                "WHERE key = 'moved-to-screen'")
    await moves.move(application, stage["Offer"], by="rec", clock=clock)
    await moves.move(application, screen, by="rec", clock=clock)
    assert len(await emails()) == 2


async def test_a_rejection_sends_the_reasons_template_unless_unticked(
        clock, queue, mail, worker_burst):
    requisition = await create_requisition(title="Site reliability engineer")
    first, second = await applicants(requisition["id"], 2)
    filled = await reason_id("Position filled")
    await silver.reject_one(first, filled, ticked=[], by="rec", clock=clock, queue=queue)
    await silver.reject_one(second, filled, ticked=[], by="rec", clock=clock, notify=False,
                            queue=queue)
    await worker_burst()
    [message] = mail.find("cand0@example.com")
    assert "Site reliability engineer" in message.subject
    assert "position has now been filled" in message.text_body
    assert mail.find("cand1@example.com") == []


async def test_a_bulk_rejection_emails_the_selection_and_not_when_unticked(clock):
    requisition = await create_requisition()
    ids = await applicants(requisition["id"], 4)
    standard = await reason_id("Other candidate chosen")
    await bulk.reject(requisition["id"], ids[:2], standard, by="rec", clock=clock)
    await bulk.reject(requisition["id"], ids[2:], standard, by="rec", clock=clock,
                      notify=False)
    sent = await emails()
    assert sorted(json.loads(e["context"])["application_id"] for e in sent) == ids[:2]
    no_template = int(await fetchval(
        "INSERT INTO rejection_reasons (label, by, email_template, is_active, created_at) "
        "VALUES ('Quiet', 'company', '', true, now()) RETURNING id"))
    other = (await applicants(requisition["id"], 1, first=10))[0]
    await moves.reject(other, no_template, by="rec", clock=clock)
    assert len(await emails()) == 2


async def test_suppressed_addresses_get_no_hiring_email(clock):
    requisition = await create_requisition()
    stage_id = await set_automation(requisition["id"], "Screen", email="moved-to-screen")
    ids = await applicants(requisition["id"], 2)
    await fetch("INSERT INTO suppressions (email_hash, reason, created_at) "
                "VALUES ($1, 'hard_bounce', now())",
                consent.suppression.email_hash("cand1@example.com"))
    await bulk.move(requisition["id"], ids, stage_id, by="rec", clock=clock)
    assert [e["to_address"] for e in await emails()] == ["cand0@example.com"]


async def test_ask_scorecard_emails_the_team_members_who_have_not_submitted(
        clock, queue, mail, worker_burst):
    people = {}
    for name in ("ann", "bob", "cid", "dan"):
        people[name] = await accounts.create_user(
            email=f"{name}@corp.test", full_name=f"{name.title()} Staff", roles=["recruiter"],
            password="a-long-test-password", clock=clock)
    requisition = await create_requisition(members={people["ann"].id: "recruiter",
                                                    people["bob"].id: "hiring_manager",
                                                    people["cid"].id: "hiring_manager"})
    stage_id = await set_automation(requisition["id"], "Interview", ask_scorecard=True)
    stage = await stages(requisition["id"])
    application = (await applicants(requisition["id"], 1, stage="Interview"))[0]
    await scored(application, [3], author=people["bob"].id)  # bob already submitted here
    await fetch("UPDATE staff_users SET is_active = false WHERE id = $1", people["cid"].id)
    await moves.move(application, stage["Screen"], by="rec", clock=clock)
    await moves.move(application, stage_id, by="rec", clock=clock, queue=queue)
    await worker_burst()
    asked = await emails("stage_scorecard_request")
    assert [e["to_address"] for e in asked] == ["ann@corp.test"]  # not bob, cid nor dan
    [message] = mail.find("ann@corp.test")
    assert f"/backoffice/applications/{application}/scorecard" in message.text_body
    assert "Cand0 Doe" in message.subject


async def test_request_availability_opens_one_request_per_application(clock):
    requisition = await create_requisition()
    stage_id = await set_automation(requisition["id"], "Interview",
                                    request_availability=True)
    ids = await applicants(requisition["id"], 3)
    await bulk.move(requisition["id"], ids, stage_id, by="rec@test.local", clock=clock)
    requests = await fetch("SELECT application, stage FROM availability_requests "
                           "ORDER BY application")
    assert [(r["application"], r["stage"]) for r in requests] == [(i, stage_id) for i in ids]
    assert len(await emails("availability_request")) == 3


async def test_bulk_email_goes_to_exactly_the_selected_three_of_fifty(clock):
    requisition = await create_requisition()
    other = await create_requisition("other-job")
    ids = await applicants(requisition["id"], 50)
    foreign = (await create_application(other["id"], await person("x@example.com")))["id"]
    chosen = [ids[4], ids[17], ids[42]]
    result = await bulk.email(requisition["id"], [*chosen, foreign], "rejection-standard",
                              batch="a" * 32, by="rec@test.local", clock=clock)
    assert (result.queued, result.skipped, result.foreign) == (3, 0, [foreign])
    again = await bulk.email(requisition["id"], chosen, "rejection-standard",
                             batch="a" * 32, by="rec@test.local", clock=clock)
    assert (again.queued, again.skipped) == (0, 3)  # the same form sent twice
    sent = await emails()
    assert sorted(json.loads(e["context"])["application_id"] for e in sent) == chosen
    [entry] = await fetch("SELECT detail FROM audit_entries "
                          "WHERE action = 'application.bulk_email' ORDER BY id LIMIT 1")
    assert json.loads(entry["detail"])["applications"] == chosen
    with pytest.raises(Invalid):
        await bulk.email(requisition["id"], chosen, "no-such-template", batch="b" * 32,
                         by="rec", clock=clock)


async def test_bulk_tag_tags_exactly_the_selected_three_of_fifty(clock):
    requisition = await create_requisition()
    ids = await applicants(requisition["id"], 50)
    chosen = [ids[0], ids[25], ids[49]]
    tagged, foreign = await bulk.tag(requisition["id"], [*chosen, 999_999],
                                     "Relocating, python meetup", by="rec", clock=clock)
    assert (tagged, foreign) == (3, [999_999])
    rows = await fetch("SELECT a.id FROM person_tags t JOIN applications a "
                       "ON a.person = t.person WHERE lower(t.tag) = 'relocating' ORDER BY a.id")
    assert [r["id"] for r in rows] == chosen
    assert await fetchval("SELECT count(*) FROM person_tags") == 6
    assert await fetchval("SELECT count(*) FROM audit_entries "
                          "WHERE action = 'application.bulk_tag'") == 1
    with pytest.raises(Invalid) as error:
        await bulk.tag(requisition["id"], chosen, " , ", by="rec", clock=clock)
    assert "tags" in error.value.errors


def _form(**overrides: str) -> dict:
    return {"key": "hello", "name": "Hello", "purpose": "general",
            "subject": "Hello {{ first_name }}", "body": "About {{ job_title }}."} | overrides


@pytest.mark.parametrize(("body", "field", "words"), [
    ("Hi {{ frist_name }}", "body", "frist_name"),
    ("Hi {{ first_name }", "body", "syntax error"),
    ("{% if %}", "body", "syntax error"),
    ("{{ ''.__class__ }}", "body", "__class__"),
    ("{{ job_title.__class__.__mro__ }}", "body", "__class__"),
    ("{{ 'x' * 1000000000 }}", "body", "limited"),
])
async def test_a_broken_template_is_refused_naming_the_problem(body, field, words):
    with pytest.raises(Invalid) as error:
        hiring_emails.parse(_form(body=body), new=True)
    assert words in error.value.errors[field]


async def test_unknown_fields_in_the_subject_are_refused_too():
    with pytest.raises(Invalid) as error:
        hiring_emails.parse(_form(subject="For {{ salary }}", key="Bad Key"), new=True)
    assert "salary" in error.value.errors["subject"]
    assert "key" in error.value.errors


def test_merge_values_cannot_inject_markup_or_links():
    values = rendering.SAMPLE_CONTEXT | {"first_name": "<b>Eve</b> [x](https://evil.test)"}
    rendered = rendering.render("Hi {{ first_name }}", "Hi **{{ first_name }}**, see "
                                "[jobs]({{ job_url }}).", values)
    assert "<b>" not in rendered.html and "&lt;b&gt;Eve&lt;/b&gt;" in rendered.html
    assert 'href="https://evil.test"' not in rendered.html
    assert 'href="https://jobs.example.com/jobs/backend-engineer"' in rendered.html
    assert rendered.text.startswith("Hi **<b>Eve</b> [x](https://evil.test)**")
    assert rendered.subject == "Hi <b>Eve</b> [x](https://evil.test)"


async def test_the_seeded_templates_render_and_are_wired_to_stages_and_reasons():
    for template in await hiring_emails.templates():
        assert hiring_emails.parse(template, new=True).key == template["key"]
    wired = await fetch("SELECT label, email_template FROM rejection_reasons "
                        "WHERE email_template <> '' ORDER BY label")
    assert {r["label"] for r in wired} >= {"Position filled", "Skills mismatch"}
    stage_emails = await fetch("SELECT s.name, s.automation->>'email' AS email "
                               "FROM template_stages s WHERE s.automation->>'email' <> ''")
    assert {(r["name"], r["email"]) for r in stage_emails} == {
        ("Screen", "moved-to-screen"), ("Interview", "moved-to-interview")}
