"""Nurture sequences in the back office (CAMPAIGNS_MANAGE): the step editor's operations,
per-field errors, create / edit (versions), live / pause / archive, manual enrolment and
enrolment actions, the audit trail, and the recruiter's own task list."""

from __future__ import annotations

import html

import pytest

from domain.db import fetch, fetchval
from domain.ports import SystemClock
from tests.events_support import staff_browser
from tests.sequences_support import HTML, consenting

pytestmark = pytest.mark.usefixtures("clean_state")
BASE = "/backoffice/sequences"


def form(**overrides: str) -> dict:
    return {"name": "Welcome nurture", "purpose": "community_emails",
            "consent_scope": "engineering", "owner": "mk@test.local",
            "exit_applied": "yes", "exit_replied": "yes", "step_count": "3",
            "steps-0-key": "hello", "steps-0-type": "email", "steps-0-subject": "Hi",
            "steps-0-html_body": HTML, "steps-0-next": "call",
            "steps-1-key": "call", "steps-1-type": "task", "steps-1-kind": "call",
            "steps-1-title": "Call them", "steps-1-due_days": "2", "steps-1-next": "end",
            "steps-2-key": "end", "steps-2-type": "end", "op": "save"} | overrides


async def _create(browser) -> int:
    await browser.get(f"{BASE}/new")
    created = await browser.submit(f"{BASE}/new", form())
    assert created.status_code == 303, created.text
    return int(created.headers["location"].split("/")[-1].split("?")[0])


async def test_only_campaign_managers_reach_the_sequence_pages(app):
    marketing = await staff_browser(app, "mk@test.local", ["marketing"])
    sequence_id = await _create(marketing)
    other = await staff_browser(app, "host@test.local", ["event_host"])
    for url in (BASE, f"{BASE}/new", f"{BASE}/{sequence_id}",
                f"{BASE}/{sequence_id}/enrollments"):
        assert (await other.get(url)).status_code == 403, url
    await other.get("/backoffice/account")
    for url, data in ((f"{BASE}/new", form(name="Other")),
                      (f"{BASE}/{sequence_id}", form(name="Changed")),
                      (f"{BASE}/{sequence_id}/state", {"action": "activate"}),
                      (f"{BASE}/{sequence_id}/enrol", {"source": "person", "person": "1"})):
        assert (await other.submit(url, data)).status_code == 403, url
    assert await fetchval("SELECT name FROM sequences") == "Welcome nurture"
    assert (await other.get("/backoffice/tasks")).status_code == 200
    listing = await marketing.get(BASE)
    assert listing.status_code == 200 and "Welcome nurture" in listing.text


async def test_editor_operations_rerender_without_saving(app):
    marketing = await staff_browser(app, "mk@test.local", ["marketing"])
    await marketing.get(f"{BASE}/new")
    added = await marketing.submit(f"{BASE}/new", form(op="add:", new_type="wait"))
    assert added.status_code == 200 and 'name="steps-3-amount"' in added.text
    moved = await marketing.submit(f"{BASE}/new", form(op="up:1"))
    assert moved.text.index('value="call"') < moved.text.index('value="hello"')
    removed = await marketing.submit(f"{BASE}/new", form(op="remove:1"))
    assert 'name="steps-2-key"' not in removed.text
    assert await fetchval("SELECT count(*) FROM sequences") == 0


async def test_copying_a_template_into_an_email_step(app):
    from domain.db import execute
    await execute("INSERT INTO marketing_templates (name, purpose, subject, html_body, "
                  "created_at, updated_at) VALUES ('News', 'community_emails', "
                  "'From the template', $1, now(), now())", HTML)
    template_id = await fetchval("SELECT id FROM marketing_templates")
    marketing = await staff_browser(app, "mk@test.local", ["marketing"])
    await marketing.get(f"{BASE}/new")
    copied = await marketing.submit(f"{BASE}/new", form(
        op="copy:0", copy_template=str(template_id), **{"steps-0-subject": ""}))
    assert 'value="From the template"' in copied.text


async def test_bad_steps_are_refused_per_field(app):
    marketing = await staff_browser(app, "mk@test.local", ["marketing"])
    await marketing.get(f"{BASE}/new")
    refused = await marketing.submit(f"{BASE}/new", form(**{
        "name": "", "steps-0-html_body": "<p>no footer</p>", "steps-1-next": "nowhere"}))
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert "Give the sequence a name" in text
    assert "unsubscribe" in text and 'id="f-steps-0"' in text
    assert "nowhere" in text
    looped = await marketing.submit(f"{BASE}/new", form(**{"steps-1-next": "hello"}))
    assert looped.status_code == 422 and "loop" in looped.text
    assert await fetchval("SELECT count(*) FROM sequences") == 0


async def test_lifecycle_enrolment_versions_and_audit(app):
    marketing = await staff_browser(app, "mk@test.local", ["marketing"])
    sequence_id = await _create(marketing)
    page = await marketing.get(f"{BASE}/{sequence_id}")
    assert page.status_code == 200 and 'value="Call them"' in page.text
    ann = await consenting("ann@example.com", SystemClock())
    refused = await marketing.submit(f"{BASE}/{sequence_id}/enrol",
                                     {"source": "person", "person": str(ann)})
    assert refused.status_code == 422 and "live" in refused.text
    assert (await marketing.submit(f"{BASE}/{sequence_id}/state",
                                   {"action": "activate"})).status_code == 303
    search = await marketing.get(f"{BASE}/{sequence_id}/enrollments?q=ann")
    assert "ann@example.com" in search.text
    done = await marketing.submit(f"{BASE}/{sequence_id}/enrol",
                                  {"source": "person", "person": str(ann)})
    assert done.status_code == 303 and "enrolled=1" in done.headers["location"]
    enrollment = await fetchval("SELECT id FROM sequence_enrollments WHERE person = $1", ann)
    listing = await marketing.get(f"{BASE}/{sequence_id}/enrollments")
    assert "Ann Smith" in listing.text and "hello (v1)" in listing.text
    assert (await marketing.submit(f"{BASE}/enrollments/{enrollment}/pause",
                                   {})).status_code == 303
    assert await fetchval("SELECT state FROM sequence_enrollments") == "paused"
    await marketing.submit(f"{BASE}/enrollments/{enrollment}/resume", {})
    assert await fetchval("SELECT state FROM sequence_enrollments") == "active"
    saved = await marketing.submit(f"{BASE}/{sequence_id}",
                                   form(**{"steps-1-title": "Call them soon"}))
    assert saved.status_code == 303
    assert await fetchval("SELECT live_version FROM sequences") == 2
    page = await marketing.get(f"{BASE}/{sequence_id}")
    assert "Version 1" in page.text and "Migrate enrolled people" in page.text
    await marketing.submit(f"{BASE}/{sequence_id}/migrate", {})
    assert await fetchval("SELECT version FROM sequence_enrollments") == 2
    await marketing.submit(f"{BASE}/enrollments/{enrollment}/exit", {})
    await marketing.submit(f"{BASE}/{sequence_id}/state", {"action": "archive"})
    actions = [r["action"] for r in await fetch(
        "SELECT action FROM audit_entries WHERE action LIKE 'sequence.%' ORDER BY id")]
    assert actions == ["sequence.created", "sequence.activated", "sequence.people_enrolled",
                       "sequence.enrollment_paused", "sequence.enrollment_resumed",
                       "sequence.version_saved", "sequence.enrollments_migrated",
                       "sequence.enrollment_exited", "sequence.archived"]


async def test_my_tasks_lists_only_mine_and_marks_done(app):
    rita = await staff_browser(app, "rita@test.local", ["recruiter"])
    other = await staff_browser(app, "otto@test.local", ["recruiter"])
    ann = await consenting("ann@example.com", SystemClock())
    from domain.db import execute
    await execute("INSERT INTO recruiter_tasks (person, kind, title, assignee, created_at) "
                  "VALUES ($1, 'call', 'Call Ann back', 'rita@test.local', now())", ann)
    task = await fetchval("SELECT id FROM recruiter_tasks")
    assert "Call Ann back" in (await rita.get("/backoffice/tasks")).text
    assert "Call Ann back" not in (await other.get("/backoffice/tasks")).text
    assert (await other.submit(f"/backoffice/tasks/{task}/done", {})).status_code == 404
    assert (await rita.submit(f"/backoffice/tasks/{task}/done", {})).status_code == 303
    assert await fetchval("SELECT done_by FROM recruiter_tasks") == "rita@test.local"
    assert "no open tasks" in (await rita.get("/backoffice/tasks")).text


async def test_the_candidate_page_lists_their_enrolments(app):
    from domain.sequences import enrolment
    from tests.sequences_support import live_sequence
    clock = SystemClock()
    rita = await staff_browser(app, "rita@test.local", ["recruiter"])
    ann = await consenting("ann@example.com", clock)
    sequence_id = await live_sequence([{"key": "w", "type": "wait", "amount": 1,
                                        "unit": "weeks", "window": "", "next": "done"},
                                       {"key": "done", "type": "end"}], clock,
                                      name="Autumn nurture")
    await enrolment.enrol(sequence_id, [ann], reason="t", now=clock.now())
    detail = await rita.get(f"/backoffice/candidates/{ann}")
    assert detail.status_code == 200
    assert "Nurture sequences" in detail.text and "Autumn nurture" in detail.text
    assert "Active at w" in detail.text
