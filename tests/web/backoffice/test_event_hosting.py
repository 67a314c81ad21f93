"""Hosting events in the back office: create, edit, publish, call off, co-hosts, who may
see what, registrants list and CSV, messages. Real app, database, mail outbox."""

from __future__ import annotations

import csv
import io
import re

import pytest

from domain.db import fetch
from tests.events_support import event_form, staff_browser

pytestmark = pytest.mark.usefixtures("clean_state")


async def _create(browser, **overrides) -> int:
    await browser.get("/backoffice/events/new")
    response = await browser.submit("/backoffice/events/new", event_form(**overrides))
    assert response.status_code == 303, response.text
    return int(re.search(r"/backoffice/events/(\d+)", response.headers["location"]).group(1))


async def _publish(browser, event_id: int) -> None:
    await browser.get(f"/backoffice/events/{event_id}")
    response = await browser.submit(f"/backoffice/events/{event_id}/publish", {})
    assert response.status_code == 303


async def test_a_host_creates_and_publishes_an_event(app, browser):
    host = await staff_browser(app, "host@test.local", ["event_host"])
    assert (await host.get("/backoffice/")).headers["location"] == "/backoffice/events"
    event_id = await _create(host)
    event = (await fetch("SELECT * FROM events WHERE id = $1", event_id))[0]
    assert event["status"] == "draft" and event["slug"] == "platform-engineering-evening"
    assert event["starts_at"].isoformat() == "2027-01-20T17:30:00+00:00"  # 18:30 Paris
    owner = await fetch("SELECT role FROM event_hosts WHERE event = $1", event_id)
    assert [row["role"] for row in owner] == ["owner"]
    assert (await browser.get(f"/events/{event['slug']}")).status_code == 404  # a draft
    await _publish(host, event_id)
    page = await browser.get(f"/events/{event['slug']}")
    assert page.status_code == 200 and "<strong>Talks</strong>" in page.text
    assert "Your current role" in page.text and "Frontend" in page.text


async def test_bad_event_forms_re_render_with_field_errors_and_create_nothing(app):
    host = await staff_browser(app, "host@test.local", ["event_host"])
    await host.get("/backoffice/events/new")
    response = await host.submit("/backoffice/events/new", event_form(
        title="", ends_at="2027-01-20T17:00", join_url="javascript:alert(1)",
        **{"questions-0-choices": "Only one"}))
    assert response.status_code == 422
    for message in ("Give the event a title.", "The end must be after the start.",
                    "Enter a full https:// link.", "Give 2 to 20 choices"):
        assert message in response.text
    assert await fetch("SELECT id FROM events") == []


async def test_add_another_question_keeps_what_was_typed(app):
    host = await staff_browser(app, "host@test.local", ["event_host"])
    await host.get("/backoffice/events/new")
    response = await host.submit("/backoffice/events/new",
                                 event_form(add_question="yes", title="Typed title"))
    assert response.status_code == 200
    assert 'value="Typed title"' in response.text and "Question 2" in response.text
    assert await fetch("SELECT id FROM events") == []


async def test_hosts_see_only_their_own_events_on_every_route(app, clock):
    owner = await staff_browser(app, "owner@test.local", ["event_host"])
    other = await staff_browser(app, "other@test.local", ["event_host"])
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    marketing = await staff_browser(app, "mkt@test.local", ["marketing"])
    event_id = await _create(owner)
    await _publish(owner, event_id)
    registration = await _register_guest(app, "platform-engineering-evening", "a@example.com")
    gets = ["", "/edit", "/registrations", "/registrations.csv", "/message"]
    posts = ["/edit", "/publish", "/call-off", "/cohosts", "/registrations",
             f"/registrations/{registration}/cancel", "/message"]
    listing = await other.get("/backoffice/events")
    assert "Platform engineering evening" not in listing.text
    await other.get("/backoffice/events")  # a CSRF token from a page they can see
    for suffix in gets:
        assert (await other.get(f"/backoffice/events/{event_id}{suffix}")).status_code == 404
        assert (await recruiter.get(f"/backoffice/events/{event_id}{suffix}")).status_code \
            == 200, suffix
    for suffix in posts:
        response = await other.submit(f"/backoffice/events/{event_id}{suffix}",
                                      {"email": "x@test.local"})
        assert response.status_code == 404, suffix
    assert (await marketing.get("/backoffice/events")).status_code == 403
    # Nothing the other host posted changed anything.
    event = (await fetch("SELECT status FROM events WHERE id = $1", event_id))[0]
    assert event["status"] == "published"
    assert (await fetch("SELECT status FROM event_registrations WHERE id = $1",
                        registration))[0]["status"] == "registered"
    # Once added as a co-host, they can.
    await owner.get(f"/backoffice/events/{event_id}")
    added = await owner.submit(f"/backoffice/events/{event_id}/cohosts",
                               {"email": "other@test.local"})
    assert added.status_code == 303
    assert (await other.get(f"/backoffice/events/{event_id}/registrations")).status_code == 200


async def _register_guest(app, slug: str, email: str, name: str = "Ann Smith",
                          role: str = "Backend") -> int:
    import httpx

    from tests.fixtures import Browser

    transport = httpx.ASGITransport(app=app, client=("198.51.100.4", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        guest = Browser(client)
        await guest.get(f"/events/{slug}")
        response = await guest.submit(f"/events/{slug}/register", {
            "full_name": name, "email": email, "answer-q1": role})
        assert response.status_code == 303, response.text
    rows = await fetch("SELECT r.id FROM event_registrations r JOIN people p "
                       "ON p.id = r.person WHERE p.email = $1", email)
    return int(rows[0]["id"])


async def test_registration_questions_are_required_checked_and_stored(app, browser):
    host = await staff_browser(app, "host@test.local", ["event_host"])
    await _publish(host, await _create(host))
    await browser.get("/events/platform-engineering-evening")
    missing = await browser.submit("/events/platform-engineering-evening/register",
                                   {"full_name": "Ann", "email": "ann@example.com"})
    assert missing.status_code == 422 and "Answer this question." in missing.text
    forged = await browser.submit("/events/platform-engineering-evening/register", {
        "full_name": "Ann", "email": "ann@example.com", "answer-q1": "Astronaut"})
    assert forged.status_code == 422 and "Choose one of the options." in forged.text
    assert await fetch("SELECT id FROM event_registrations") == []
    await _register_guest(app, "platform-engineering-evening", "ann@example.com",
                          role="Data")
    rows = await fetch("SELECT answers::text AS answers, source FROM event_registrations")
    assert rows == [{"answers": '{"q1": "Data"}', "source": "guest"}]


async def test_registrations_list_search_and_formula_safe_csv(app):
    host = await staff_browser(app, "host@test.local", ["event_host"])
    event_id = await _create(host)
    await _publish(host, event_id)
    await _register_guest(app, "platform-engineering-evening", "evil@example.com",
                          name="=HYPERLINK(\"http://x\")")
    await _register_guest(app, "platform-engineering-evening", "bob@example.com", name="Bob")
    await _register_guest(app, "platform-engineering-evening", "cy@example.com", name="Cy")
    page = await host.get(f"/backoffice/events/{event_id}/registrations?q=bob")
    assert "bob@example.com" in page.text and "cy@example.com" not in page.text
    waiting = await host.get(f"/backoffice/events/{event_id}/registrations?status=waitlisted")
    assert "cy@example.com" in waiting.text and "bob@example.com" not in waiting.text
    export = await host.get(f"/backoffice/events/{event_id}/registrations.csv")
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.text)))
    assert rows[0][-1] == "Your current role" and len(rows) == 4
    evil = next(row for row in rows if row[1] == "evil@example.com")
    assert evil[0] == "'=HYPERLINK(\"http://x\")"


async def test_manual_add_and_cancel_move_the_waiting_list(app):
    host = await staff_browser(app, "host@test.local", ["event_host"])
    event_id = await _create(host, capacity="1", **{"questions-0-label": ""})
    await _publish(host, event_id)
    await host.get(f"/backoffice/events/{event_id}/registrations")
    for name in ("First", "Second"):
        response = await host.submit(f"/backoffice/events/{event_id}/registrations",
                                     {"full_name": name, "email": f"{name.lower()}@example.com"})
        assert response.status_code == 303
    bad = await host.submit(f"/backoffice/events/{event_id}/registrations",
                            {"full_name": "", "email": "not-an-address"})
    assert bad.status_code == 422 and "Enter their name" in bad.text
    rows = await fetch("SELECT r.id, r.status, r.source, p.email FROM event_registrations r "
                       "JOIN people p ON p.id = r.person ORDER BY r.id")
    assert [(r["status"], r["source"]) for r in rows] == [("registered", "manual"),
                                                          ("waitlisted", "manual")]
    await host.get(f"/backoffice/events/{event_id}/registrations")
    cancelled = await host.submit(
        f"/backoffice/events/{event_id}/registrations/{rows[0]['id']}/cancel", {})
    assert cancelled.status_code == 303
    statuses = await fetch("SELECT status FROM event_registrations ORDER BY id")
    assert [r["status"] for r in statuses] == ["cancelled", "offered"]


async def test_changing_the_time_sends_updated_invitations(app):
    host = await staff_browser(app, "host@test.local", ["event_host"])
    event_id = await _create(host, **{"questions-0-label": ""})
    await _publish(host, event_id)
    await _register_guest(app, "platform-engineering-evening", "ann@example.com")
    await host.get(f"/backoffice/events/{event_id}/edit")
    same = await host.submit(f"/backoffice/events/{event_id}/edit",
                             event_form(description="New words", **{"questions-0-label": ""}))
    assert same.status_code == 303
    assert await _templates() == ["event_confirmed"]  # a description is not a calendar change
    moved = await host.submit(f"/backoffice/events/{event_id}/edit", event_form(
        starts_at="2027-01-21T18:30", ends_at="2027-01-21T21:00", **{"questions-0-label": ""}))
    assert moved.status_code == 303 and "saved_notified" in moved.headers["location"]
    assert await _templates() == ["event_confirmed", "event_updated"]
    event = (await fetch("SELECT sequence FROM events WHERE id = $1", event_id))[0]
    assert event["sequence"] == 1
    lower = await host.submit(f"/backoffice/events/{event_id}/edit",
                              event_form(capacity="0", **{"questions-0-label": ""}))
    assert lower.status_code == 422


async def _templates() -> list[str]:
    rows = await fetch("SELECT template FROM outbound_emails ORDER BY id")
    return [row["template"] for row in rows]


async def test_capacity_below_seats_taken_is_refused_with_a_field_error(app):
    host = await staff_browser(app, "host@test.local", ["event_host"])
    event_id = await _create(host, **{"questions-0-label": ""})
    await _publish(host, event_id)
    for email in ("a@example.com", "b@example.com"):
        await _register_guest(app, "platform-engineering-evening", email)
    await host.get(f"/backoffice/events/{event_id}/edit")
    response = await host.submit(f"/backoffice/events/{event_id}/edit",
                                 event_form(capacity="1", **{"questions-0-label": ""}))
    assert response.status_code == 422
    assert "2 seats are already taken" in response.text
    assert (await fetch("SELECT capacity FROM events"))[0]["capacity"] == 2


async def test_calling_off_cancels_everyone_and_tells_them(app):
    host = await staff_browser(app, "host@test.local", ["event_host"])
    event_id = await _create(host, capacity="1", **{"questions-0-label": ""})
    await _publish(host, event_id)
    for email in ("a@example.com", "b@example.com"):
        await _register_guest(app, "platform-engineering-evening", email)
    await host.get(f"/backoffice/events/{event_id}")
    response = await host.submit(f"/backoffice/events/{event_id}/call-off",
                                 {"reason": "The venue flooded."})
    assert response.status_code == 303
    event = (await fetch("SELECT status, taken FROM events"))[0]
    assert event == {"status": "cancelled", "taken": 0}
    statuses = await fetch("SELECT status FROM event_registrations")
    assert {row["status"] for row in statuses} == {"cancelled"}
    assert (await _templates()).count("event_called_off") == 2
    audit = await fetch("SELECT action FROM audit_entries WHERE action LIKE 'event.%' "
                        "ORDER BY id")
    assert [row["action"] for row in audit] == ["event.created", "event.published",
                                                "event.cancelled"]


async def test_messaging_registrants_skips_suppressed_addresses(app):
    from domain.privacy import suppression

    host = await staff_browser(app, "host@test.local", ["event_host"])
    event_id = await _create(host, capacity="5", **{"questions-0-label": ""})
    await _publish(host, event_id)
    for email in ("a@example.com", "b@example.com"):
        await _register_guest(app, "platform-engineering-evening", email)
    await fetch("INSERT INTO suppressions (email_hash, reason, created_at) "
                "VALUES ($1, 'bounce', now())", suppression.email_hash("b@example.com"))
    page = await host.get(f"/backoffice/events/{event_id}/message?follow_up=attended")
    assert "Thank you for coming to Platform engineering evening" in page.text
    empty = await host.submit(f"/backoffice/events/{event_id}/message",
                              {"audience": "registered", "subject": "", "body": ""})
    assert empty.status_code == 422 and "Write a subject." in empty.text
    sent = await host.submit(f"/backoffice/events/{event_id}/message", {
        "audience": "registered", "subject": "Parking", "body": "Use the back entrance."})
    assert sent.status_code == 303 and sent.headers["location"].endswith("sent=1")
    rows = await fetch("SELECT to_address FROM outbound_emails WHERE template = "
                       "'event_message'")
    assert [row["to_address"] for row in rows] == ["a@example.com"]


async def test_events_are_listed_on_the_communities_they_are_promoted_to(app, browser,
                                                                       community):
    host = await staff_browser(app, "host@test.local", ["event_host"])
    event_id = await _create(host, communities=str(community["id"]))
    before = await browser.get(f"/communities/{community['slug']}")
    assert "Platform engineering evening" not in before.text  # still a draft
    await _publish(host, event_id)
    after = await browser.get(f"/communities/{community['slug']}")
    assert "Platform engineering evening" in after.text
    unknown = await host.submit("/backoffice/events/new", event_form(communities="999999"))
    assert unknown.status_code == 422 and "Choose communities from the list." in unknown.text
