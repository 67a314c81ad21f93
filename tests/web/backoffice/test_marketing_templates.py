"""Marketing email templates in the back office (MARKETING_CONTENT): create with per-field
errors, edit (version bump), archive, preview for a person, send a test to oneself.
Real app, database, worker and mail sink."""

from __future__ import annotations

import html

import pytest

from domain.consent import service as consent
from domain.db import fetch, fetchval
from domain.ports import SystemClock
from tests.events_support import person, staff_browser

pytestmark = pytest.mark.usefixtures("clean_state")
BASE = "/backoffice/campaigns/templates"
HTML_BODY = ('<p>Hi {{ first_name }},</p><p>Skills: {{ skills }}</p>'
             '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a> · {{ postal_address }}</p>')


def template_form(**overrides: str) -> dict:
    return {"name": "Monthly newsletter", "description": "Community news",
            "purpose": "event_emails", "subject": "News for {{ first_name }}",
            "html_body": HTML_BODY, "text_body": ""} | overrides


async def _create(browser) -> int:
    await browser.get(f"{BASE}/new")
    created = await browser.submit(f"{BASE}/new", template_form())
    assert created.status_code == 303, created.text
    return int(created.headers["location"].split("/")[-1].split("?")[0])


async def test_only_marketing_content_reaches_the_template_pages(app):
    marketing = await staff_browser(app, "mk@test.local", ["marketing"])
    template_id = await _create(marketing)
    for roles in (["event_host"], ["hiring_manager"]):
        other = await staff_browser(app, f"{roles[0]}@test.local", roles)
        for url in (BASE, f"{BASE}/new", f"{BASE}/{template_id}",
                    f"{BASE}/{template_id}/preview"):
            assert (await other.get(url)).status_code == 403, (roles, url)
        await other.get("/backoffice/account")
        for url, data in ((f"{BASE}/new", template_form(name="Other")),
                          (f"{BASE}/{template_id}", template_form(name="Changed")),
                          (f"{BASE}/{template_id}/archive", {"archived": "yes"}),
                          (f"{BASE}/{template_id}/test", {})):
            assert (await other.submit(url, data)).status_code == 403, (roles, url)
    row = (await fetch("SELECT * FROM marketing_templates WHERE id = $1", template_id))[0]
    assert (row["name"], row["archived_at"], row["version"]) == ("Monthly newsletter", None, 1)
    listing = await marketing.get(BASE)
    assert listing.status_code == 200 and 'href="/backoffice/campaigns/templates"' in listing.text


async def test_create_refuses_per_field_then_saves_and_edit_bumps_the_version(app):
    marketing = await staff_browser(app, "mk@test.local", ["marketing"])
    await marketing.get(f"{BASE}/new")
    refused = await marketing.submit(f"{BASE}/new", template_form(
        name="", purpose="job_processing", subject="Hi {{ ''.__class__ }}",
        html_body="<p>Hello {{ first_name }}</p>", text_body="{{ nope }}"))
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert "Give the template a name" in text
    assert "Choose which consent" in text
    assert "may not" in text  # the sandbox refused the attribute trick
    assert "must include the unsubscribe link {{ unsubscribe_url }}" in text
    assert "Unknown merge field {{ nope }}" in text
    assert await fetchval("SELECT count(*) FROM marketing_templates") == 0
    template_id = await _create(marketing)
    row = (await fetch("SELECT * FROM marketing_templates WHERE id = $1", template_id))[0]
    assert (row["version"], row["created_by"], row["text_is_custom"]) == (1, "mk@test.local",
                                                                          False)
    await marketing.get(f"{BASE}/{template_id}")
    edited = await marketing.submit(f"{BASE}/{template_id}", template_form(
        html_body=HTML_BODY + '<script>alert(1)</script><a href="javascript:x()">x</a>',
        text_body="Hi {{ first_name }}\n{{ unsubscribe_url }}\n{{ postal_address }}"))
    assert edited.status_code == 303
    after = (await fetch("SELECT * FROM marketing_templates WHERE id = $1", template_id))[0]
    assert after["version"] == 2 and after["text_is_custom"]
    assert "<script" not in after["html_body"] and "javascript:" not in after["html_body"]
    actions = [r["action"] for r in await fetch(
        "SELECT action FROM audit_entries WHERE subject = $1 ORDER BY id",
        f"marketing_template:{template_id}")]
    assert actions == ["marketing_template.created", "marketing_template.updated"]


async def test_archive_hides_the_template_until_restored(app):
    marketing = await staff_browser(app, "mk@test.local", ["marketing"])
    template_id = await _create(marketing)
    await marketing.get(BASE)
    assert (await marketing.submit(f"{BASE}/{template_id}/archive",
                                   {"archived": "yes"})).status_code == 303
    assert "Monthly newsletter" not in (await marketing.get(BASE)).text
    assert "Monthly newsletter" in (await marketing.get(f"{BASE}?archived=true")).text
    await marketing.submit(f"{BASE}/{template_id}/archive", {"archived": "no"})
    assert "Monthly newsletter" in (await marketing.get(BASE)).text


async def test_preview_for_a_person_escapes_names_and_flags_missing_consent(app):
    marketing = await staff_browser(app, "mk@test.local", ["marketing"])
    template_id = await _create(marketing)
    hostile = await person("evil@example.com", "<script>alert(1)</script> Smith")
    found = await marketing.get(f"{BASE}/{template_id}/preview?q=evil@example")
    assert f"preview?person={hostile}" in found.text
    page = await marketing.get(f"{BASE}/{template_id}/preview?person={hostile}")
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text
    assert 'sandbox=""' in page.text and "will skip them" in page.text
    frame = await marketing.get(f"{BASE}/{template_id}/preview/html?person={hostile}")
    assert frame.status_code == 200
    assert "sandbox" in frame.headers["content-security-policy"]
    assert "script-src" not in frame.headers["content-security-policy"]
    assert "<script>alert(1)" not in frame.text and "Hi &lt;script&gt;alert(1)" in frame.text
    assert "Acme" in frame.text  # inside the brand layout
    await consent.record(person_id=hostile, purpose="event_emails", scope="all",
                         text_id=None, action="given", method="web_form",
                         at=SystemClock().now())
    consented = await marketing.get(f"{BASE}/{template_id}/preview?person={hostile}")
    assert "will skip them" not in consented.text


async def test_send_test_goes_to_the_staff_member_only(app, mail, worker_burst):
    marketing = await staff_browser(app, "mk@test.local", ["marketing"])
    template_id = await _create(marketing)
    ann = await person("ann@example.com", "Ann Smith")
    await marketing.get(f"{BASE}/{template_id}/preview?person={ann}")
    sent = await marketing.submit(f"{BASE}/{template_id}/test", {"person": str(ann)})
    assert sent.status_code == 303 and "notice=test_sent" in sent.headers["location"]
    await worker_burst()
    [message] = mail.find("mk@test.local")
    assert message.subject == "[Test] News for Ann"
    assert "Hi Ann," in message.text_body and "Hi Ann," in message.html_body
    assert mail.find("ann@example.com") == []
    assert await fetchval("SELECT count(*) FROM audit_entries "
                          "WHERE action = 'marketing_template.test_sent'") == 1


async def test_a_name_with_line_breaks_adds_no_header_to_the_test_email(app, mail,
                                                                         worker_burst):
    marketing = await staff_browser(app, "mk@test.local", ["marketing"])
    await marketing.get(f"{BASE}/new")
    created = await marketing.submit(f"{BASE}/new", template_form(subject="For {{ full_name }}"))
    template_id = int(created.headers["location"].split("/")[-1].split("?")[0])
    sneaky = await person("sneaky@example.com", "Ann\r\nBcc: victim@example.com")
    await marketing.get(f"{BASE}/{template_id}/preview?person={sneaky}")
    await marketing.submit(f"{BASE}/{template_id}/test", {"person": str(sneaky)})
    await worker_burst()
    [message] = mail.find("mk@test.local")
    assert message.envelope_to == ("mk@test.local",)
    assert not [value for name, value in message.headers if name.lower() == "bcc"]
    assert message.subject == "[Test] For Ann Bcc: victim@example.com"  # one line
    assert mail.find("victim@example.com") == []


async def test_test_emails_are_limited_to_ten_an_hour_with_sample_data(app, mail,
                                                                       worker_burst):
    marketing = await staff_browser(app, "mk@test.local", ["marketing"])
    template_id = await _create(marketing)
    await marketing.get(f"{BASE}/{template_id}/preview")
    for _ in range(10):
        sent = await marketing.submit(f"{BASE}/{template_id}/test", {})
        assert "notice=test_sent" in sent.headers["location"]
    refused = await marketing.submit(f"{BASE}/{template_id}/test", {})
    assert "notice=test_limited" in refused.headers["location"]
    await worker_burst()
    messages = mail.find("mk@test.local")
    assert len(messages) == 10
    assert messages[0].subject == "[Test] News for Ada"  # the sample person
