"""Campaigns in the back office: the form with per-field errors, the eligibility forecast,
submit → approval by someone else → schedule, edits returning to draft, the CSV audience
with its row report, sends in doubt, and the marketing settings. Real app and database."""

from __future__ import annotations

import html
import re

import pytest

from domain.consent import service as consent
from domain.db import fetch, fetchval
from domain.ports import SystemClock
from tests.events_support import person, staff_browser

pytestmark = pytest.mark.usefixtures("clean_state")
BASE = "/backoffice/campaigns"
HTML_BODY = ('<p>Hi {{ first_name }}, join us.</p>'
             '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a> · {{ postal_address }}</p>')


async def marketing_template() -> int:
    return int(await fetchval(
        "INSERT INTO marketing_templates (name, purpose, subject, html_body, created_at, "
        "updated_at) VALUES ('Invite', 'community_emails', 'Hello {{ first_name }}', $1, "
        "now(), now()) RETURNING id", HTML_BODY))


def campaign_form(template: int, **overrides) -> dict:
    return {"name": "Winter meetup", "template": str(template), "audience_kind": "community",
            "community_slug": "engineering", "exclude_applicants": "on", "send_mode": "now",
            "zone_mode": "fixed", "time_zone": "Europe/Paris", "window_start": "",
            "window_end": ""} | overrides


async def create(browser, template: int, **overrides) -> int:
    await browser.get(f"{BASE}/new")
    created = await browser.submit(f"{BASE}/new", campaign_form(template, **overrides))
    assert created.status_code == 303, created.text
    return int(created.headers["location"].split("/")[-1].split("?")[0])


async def member(email: str, community_id: int, *, consent_given: bool = True) -> int:
    pid = await person(email)
    await fetch("INSERT INTO community_memberships (person, community, status, interests, "
                "requested_at) VALUES ($1, $2, 'confirmed', '{}', now())", pid, community_id)
    if consent_given:
        await consent.record(person_id=pid, purpose="community_emails", scope="engineering",
                             text_id=None, action="given", method="test",
                             at=SystemClock().now())
    return pid


async def test_the_form_re_renders_with_every_error_and_saves_nothing(app, community):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    template = await marketing_template()
    await recruiter.get(f"{BASE}/new")
    response = await recruiter.submit(f"{BASE}/new", campaign_form(
        template, name="", audience_kind="pool", pool_id="", time_zone="Nowhere/City",
        window_start="20", window_end="8", send_mode="later", send_at="soon",
        rate_per_minute="lots"))
    assert response.status_code == 422
    for field in ("name", "pool_id", "time_zone", "window_start", "send_at",
                  "rate_per_minute"):
        assert f'id="f-{field}-error"' in response.text, field
    assert await fetchval("SELECT count(*) FROM campaigns") == 0
    # A body without the unsubscribe link is refused like in templates.
    response = await recruiter.submit(f"{BASE}/new", campaign_form(
        template, subject="Hi", html_body="<p>No footer</p>"))
    assert response.status_code == 422 and 'id="f-html_body-error"' in response.text


async def test_author_submits_someone_else_approves_then_it_is_scheduled(app, community):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    approver = await staff_browser(app, "mk@test.local", ["marketing"])
    template = await marketing_template()
    await member("ann@example.com", community["id"])
    await member("bob@example.com", community["id"], consent_given=False)
    campaign_id = await create(recruiter, template)

    page = await recruiter.get(f"{BASE}/{campaign_id}")
    assert page.status_code == 200 and "Submit for approval" in page.text
    forecast = await recruiter.get(f"{BASE}/{campaign_id}/eligibility")
    assert re.search(r"<strong>1</strong> of 2 people", forecast.text), forecast.text
    assert "No consent for this purpose" in forecast.text

    await recruiter.submit(f"{BASE}/{campaign_id}/submit", {})
    assert await fetchval("SELECT state FROM campaigns WHERE id = $1", campaign_id) == \
        "submitted"
    # A recruiter has no approval rights; the author cannot approve their own.
    assert (await recruiter.get(f"{BASE}/{campaign_id}/approve")).status_code == 403
    screen = await approver.get(f"{BASE}/{campaign_id}/approve")
    assert screen.status_code == 200
    assert "Approve revision 1" in screen.text and "<strong>1</strong> of 2" in screen.text
    approved = await approver.submit(f"{BASE}/{campaign_id}/approve", {"revision": "1"})
    assert approved.status_code == 303
    row = (await fetch("SELECT * FROM campaigns WHERE id = $1", campaign_id))[0]
    assert (row["state"], row["approved_revision"], row["approved_by"]) == (
        "approved", 1, "mk@test.local")

    await recruiter.get(f"{BASE}/{campaign_id}")
    scheduled = await recruiter.submit(f"{BASE}/{campaign_id}/schedule", {})
    assert scheduled.status_code == 303
    assert await fetchval("SELECT state FROM campaigns WHERE id = $1", campaign_id) == \
        "scheduled"
    # Scheduled, not yet sending: an edit still returns it to draft without approval.
    await recruiter.get(f"{BASE}/{campaign_id}/edit")
    saved = await recruiter.submit(f"{BASE}/{campaign_id}/edit", campaign_form(
        template, name="Winter meetup (v2)", subject="Hello again",
        html_body=HTML_BODY))
    assert saved.status_code == 303
    row = (await fetch("SELECT * FROM campaigns WHERE id = $1", campaign_id))[0]
    assert (row["state"], row["revision"], row["approved_revision"]) == ("draft", 2, None)


async def test_an_approval_of_a_revision_that_moved_on_is_refused(app, community):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    approver = await staff_browser(app, "mk@test.local", ["marketing"])
    template = await marketing_template()
    campaign_id = await create(recruiter, template)
    await recruiter.get(f"{BASE}/{campaign_id}")
    await recruiter.submit(f"{BASE}/{campaign_id}/submit", {})
    await approver.get(f"{BASE}/{campaign_id}/approve")  # the approver looks at revision 1
    await recruiter.get(f"{BASE}/{campaign_id}/edit")
    await recruiter.submit(f"{BASE}/{campaign_id}/edit", campaign_form(
        template, subject="Changed", html_body=HTML_BODY))
    await recruiter.get(f"{BASE}/{campaign_id}")
    await recruiter.submit(f"{BASE}/{campaign_id}/submit", {})
    stale = await approver.submit(f"{BASE}/{campaign_id}/approve", {"revision": "1"})
    assert stale.status_code == 409 and "changed after you opened it" in stale.text
    assert await fetchval("SELECT approved_revision FROM campaigns WHERE id = $1",
                          campaign_id) is None
    rejected = await approver.submit(f"{BASE}/{campaign_id}/reject", {"reason": ""})
    assert rejected.status_code == 422 and 'id="f-reason-error"' in rejected.text
    rejected = await approver.submit(f"{BASE}/{campaign_id}/reject",
                                     {"reason": "Subject too vague"})
    assert rejected.status_code == 303
    assert await fetchval("SELECT state FROM campaigns WHERE id = $1", campaign_id) == "draft"
    page = await recruiter.get(f"{BASE}/{campaign_id}")
    assert "Sent back by mk@test.local" in page.text and "Subject too vague" in page.text
    await recruiter.submit(f"{BASE}/{campaign_id}/submit", {})
    assert "Sent back by" not in (await recruiter.get(f"{BASE}/{campaign_id}")).text


async def test_csv_audience_upload_reports_rows_and_keeps_nothing_when_invalid(app, community):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    template = await marketing_template()
    campaign_id = await create(recruiter, template)
    ann = await person("ann@example.com")
    await recruiter.get(f"{BASE}/{campaign_id}/edit")
    token = [("_csrf_token", recruiter.last_token)]
    bad = await recruiter.client.post(
        f"{BASE}/{campaign_id}/audience", data=dict(token),
        files={"file": ("people.csv", b"EMAIL\nann@example.com\nnot an email\n", "text/csv")})
    assert bad.status_code == 422
    assert "Row 3, column email" in html.unescape(bad.text)
    assert await fetchval("SELECT count(*) FROM campaign_csv_people") == 0
    good = await recruiter.client.post(
        f"{BASE}/{campaign_id}/audience", data=dict(token),
        files={"file": ("people.csv", b"Email\nANN@example.com\nzed@example.com\n",
                        "text/csv")})
    assert good.status_code == 200
    text = html.unescape(good.text)
    assert "2 rows read, 1 people matched" in text and "Row 3, column email: zed@" in text
    assert await fetchval("SELECT person FROM campaign_csv_people") == ann
    assert await fetchval("SELECT audience_kind FROM campaigns WHERE id = $1",
                          campaign_id) == "csv"


async def test_sends_in_doubt_are_decided_by_an_approver(app, community):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    approver = await staff_browser(app, "mk@test.local", ["marketing"])
    template = await marketing_template()
    campaign_id = await create(recruiter, template)
    ann = await person("ann@example.com")
    await fetch("UPDATE campaigns SET state = 'sending', approved_revision = revision "
                "WHERE id = $1", campaign_id)
    send_id = await fetchval(
        "INSERT INTO marketing_sends (campaign, person, state, claimed_at, created_at) "
        "VALUES ($1, $2, 'in_doubt', now(), now()) RETURNING id", campaign_id, ann)
    assert (await recruiter.get(f"{BASE}/{campaign_id}/in-doubt")).status_code == 403
    page = await approver.get(f"{BASE}/{campaign_id}")
    assert "Sends in doubt (1)" in page.text
    listing = await approver.get(f"{BASE}/{campaign_id}/in-doubt")
    assert "ann@example.com" in listing.text
    refused = await approver.submit(f"{BASE}/{campaign_id}/in-doubt", {"decision": "sent"})
    assert refused.status_code == 422
    decided = await approver.submit(f"{BASE}/{campaign_id}/in-doubt",
                                    {"send": str(send_id), "decision": "sent"})
    assert decided.status_code == 303
    assert await fetchval("SELECT state FROM marketing_sends WHERE id = $1", send_id) == "sent"


async def test_marketing_settings_are_for_admins(app):
    admin = await staff_browser(app, "admin@test.local", ["admin"])
    marketing = await staff_browser(app, "mk@test.local", ["marketing"])
    assert (await marketing.get(f"{BASE}/settings")).status_code == 403
    await admin.get(f"{BASE}/settings")
    bad = await admin.submit(f"{BASE}/settings", {"cap_messages": "0", "cap_days": "x"})
    assert bad.status_code == 422 and 'id="f-cap_messages-error"' in bad.text
    saved = await admin.submit(f"{BASE}/settings", {"cap_messages": "3", "cap_days": "14"})
    assert saved.status_code == 303
    assert (await fetch("SELECT cap_messages, cap_days FROM marketing_settings"))[0] == {
        "cap_messages": 3, "cap_days": 14}
    not_paused = await admin.submit(f"{BASE}/settings/lift-pause", {})
    assert not_paused.status_code == 409
    await fetch("UPDATE marketing_settings SET paused_at = now(), "
                "paused_reason = 'complaint rate 0.4%'")
    page = await admin.get(f"{BASE}/settings")
    assert "complaint rate 0.4%" in page.text
    lifted = await admin.submit(f"{BASE}/settings/lift-pause", {})
    assert lifted.status_code == 303
    assert await fetchval("SELECT paused_at FROM marketing_settings") is None
    assert await fetchval("SELECT count(*) FROM audit_entries WHERE action LIKE "
                          "'marketing_settings.%'") == 2
