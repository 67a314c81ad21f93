"""Check-in and attendance pages over HTTP: who may use them, tickets, walk-ins, CSV upload."""

from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest

from domain.accounts import service as accounts
from domain.db import fetch, fetchval
from domain.events import service as events
from domain.events import tickets
from domain.people import service as people
from tests.events_support import START, create_event
from tests.fixtures import Browser

PASSWORD = "a-long-test-password"


async def staff(email: str, roles: list[str], clock) -> int:
    user = await accounts.create_user(email=email, full_name=email.split("@")[0].title(),
                                      roles=roles, password=PASSWORD, clock=clock)
    return user.id


async def signed_in_as(app, email: str) -> Browser:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 5000))
    client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    browser = Browser(client)
    await browser.get("/backoffice/login")
    response = await browser.submit("/backoffice/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 303, response.text
    return browser


async def register(email: str, clock, name: str = "Ann Smith") -> dict:
    person = await people.find_or_create(email=email, full_name=name, source="test",
                                         now=clock.now())
    return await events.register("meetup", person["id"], clock=clock, queue=None)


def ticket_path(registration_id: int) -> str:
    return urlsplit(tickets.ticket_url(registration_id)).path


@pytest.fixture
async def meetup(clock):
    event = await create_event(capacity=3)
    ann = await register("ann@example.com", clock)
    return event, ann


async def test_a_host_of_another_event_gets_404_on_every_route_and_changes_nothing(
        app, meetup, clock):
    event, ann = meetup
    await staff("other-host@test.local", ["event_host"], clock)
    browser = await signed_in_as(app, "other-host@test.local")
    base = f"/backoffice/events/{event['id']}"
    gets = [f"{base}/checkin", f"{base}/checkin?q=ann", f"{base}/attendance",
            f"{base}/roi/attended", ticket_path(ann["id"])]
    for path in gets:
        assert (await browser.client.get(path)).status_code == 404, path
    posts = [(f"{base}/checkin/{ann['id']}", {}), (f"{base}/checkin/scan",
             {"ticket": tickets.ticket_url(ann["id"])}),
             (f"{base}/checkin/walk-in", {"full_name": "W", "email": "w@example.com"}),
             (f"{base}/attendance/{ann['id']}/mark", {"attended": "yes"}),
             (f"{base}/attendance/close", {}), (ticket_path(ann["id"]), {})]
    for path, data in posts:
        assert (await browser.submit(path, data)).status_code == 404, path
    upload = await browser.client.post(f"{base}/attendance/import",
                                       data={"_csrf_token": browser.last_token},
                                       files={"file": ("a.csv", b"email\n", "text/csv")})
    assert upload.status_code == 404
    assert await fetchval("SELECT status FROM event_registrations WHERE id = $1",
                          ann["id"]) == "registered"
    assert await fetchval("SELECT count(*) FROM event_registrations") == 1
    await browser.client.aclose()


async def test_a_co_host_and_a_recruiter_may_use_every_page(app, meetup, clock, staff_user):
    event, ann = meetup
    cohost = await staff("cohost@test.local", ["event_host"], clock)
    await fetch("INSERT INTO event_hosts (event, staff, role, created_at) "
                "VALUES ($1, $2, 'co_host', now())", event["id"], cohost)
    base = f"/backoffice/events/{event['id']}"
    for email in ("cohost@test.local", staff_user.email):
        browser = await signed_in_as(app, email)
        for path in (f"{base}/checkin", f"{base}/attendance", f"{base}/roi/registered",
                     f"{base}/roi/hired", ticket_path(ann["id"])):
            response = await browser.get(path)
            assert response.status_code == 200, (email, path)
        await browser.client.aclose()


async def test_check_in_page_allows_the_camera_there_only(signed_in, meetup):
    event, _ = meetup
    page = await signed_in.get(f"/backoffice/events/{event['id']}/checkin")
    assert "camera=(self)" in page.headers["permissions-policy"]
    assert "worker-src 'self' blob:" in page.headers["content-security-policy"]
    assert "script-src 'self';" in page.headers["content-security-policy"]
    assert '<script src="/static/vendor/qr-scanner/qr-scanner.umd.min.js"' in page.text
    assert "<script>" not in page.text
    other = await signed_in.get(f"/backoffice/events/{event['id']}/attendance")
    assert "camera=()" in other.headers["permissions-policy"]
    assert "blob:" not in other.headers["content-security-policy"]


async def test_search_then_check_in_with_htmx_shows_who_and_when(signed_in, meetup, app, clock):
    event, ann = meetup
    app.state.clock = clock
    base = f"/backoffice/events/{event['id']}"
    await signed_in.get(f"{base}/checkin")
    found = await signed_in.get(f"{base}/checkin?q=Ann", headers={
        "hx-request": "true", "hx-target": "checkin-results"})
    assert "<html" not in found.text and "ann@example.com" in found.text
    assert f'action="{base}/checkin/{ann["id"]}"' in found.text
    headers = {"hx-request": "true", "x-csrftoken": signed_in.last_token}
    first = await signed_in.client.post(f"{base}/checkin/{ann['id']}", headers=headers)
    assert "Checked in" in first.text and "Ann Smith is checked in." in first.text
    assert 'hx-swap-oob="true"' in first.text and 'id="checkin-counts"' in first.text
    second = await signed_in.client.post(f"{base}/checkin/{ann['id']}", headers=headers)
    assert "Ann Smith is already checked in at 10:00 by Riley Recruiter." in second.text


async def test_ticket_get_changes_nothing_and_post_checks_in(signed_in, meetup):
    _, ann = meetup
    path = ticket_path(ann["id"])
    page = await signed_in.get(path)
    assert page.status_code == 200 and "Ann Smith" in page.text
    assert await fetchval("SELECT status FROM event_registrations WHERE id = $1",
                          ann["id"]) == "registered"
    assert await fetchval("SELECT count(*) FROM engagement_events "
                          "WHERE type = 'event_attended'") == 0
    done = await signed_in.submit(path, {})
    assert done.status_code == 200 and "Ann Smith is checked in." in done.text
    assert await fetchval("SELECT status FROM event_registrations WHERE id = $1",
                          ann["id"]) == "attended"
    again = await signed_in.get(path)
    assert "already checked in" in again.text


async def test_forged_ticket_is_an_explained_400(signed_in, meetup):
    response = await signed_in.get("/backoffice/events/tickets/not-a-real-ticket")
    assert response.status_code == 400
    assert "This ticket is not valid" in response.text
    real = ticket_path(meetup[1]["id"])
    tampered = real[:-3] + ("aaa" if not real.endswith("aaa") else "bbb")
    assert (await signed_in.get(tampered)).status_code == 400


async def test_ticket_links_need_sign_in(browser, meetup):
    response = await browser.get(ticket_path(meetup[1]["id"]))
    assert response.status_code == 303
    assert response.headers["location"].startswith("/backoffice/login?next=")


async def test_scanned_ticket_checks_in_and_foreign_tickets_are_refused(signed_in, meetup, clock):
    event, ann = meetup
    base = f"/backoffice/events/{event['id']}"
    await signed_in.get(f"{base}/checkin")
    done = await signed_in.submit(f"{base}/checkin/scan",
                                  {"ticket": tickets.ticket_url(ann["id"])})
    assert done.status_code == 200 and "Ann Smith is checked in." in done.text
    # With htmx, from the camera: the counts follow; no card (it may not be on the page).
    headers = {"hx-request": "true"}
    again = await signed_in.submit(f"{base}/checkin/scan",
                                   {"ticket": tickets.ticket_url(ann["id"])}, headers=headers)
    assert "already checked in" in again.text and 'id="checkin-counts"' in again.text
    assert "checkin-person-" not in again.text
    bad = await signed_in.submit(f"{base}/checkin/scan", {"ticket": "garbage"})
    assert bad.status_code == 200 and "This ticket is not valid" in bad.text
    other = await create_event("other", capacity=3)
    person = await people.find_or_create(email="zoe@example.com", full_name="Zoe",
                                         source="test", now=clock.now())
    theirs = await events.register("other", person["id"], clock=clock, queue=None)
    foreign = await signed_in.submit(f"{base}/checkin/scan",
                                     {"ticket": tickets.ticket_url(theirs["id"])})
    assert "This ticket is for another event." in foreign.text
    assert other["title"] not in foreign.text.split("checkin-result")[1][:400]


async def test_walk_in_form_errors_full_event_and_over_capacity(signed_in, meetup, clock):
    event, _ = meetup
    for n in (2, 3):
        await register(f"p{n}@example.com", clock, f"Person {n}")
    base = f"/backoffice/events/{event['id']}"
    page = await signed_in.get(f"{base}/checkin")
    assert "Admit over capacity" in page.text  # the event is full: the option is offered
    invalid = await signed_in.submit(f"{base}/checkin/walk-in",
                                     {"full_name": "", "email": "nope"})
    assert invalid.status_code == 422
    assert "Enter the person&#39;s name." in invalid.text and 'id="f-email-error"' in invalid.text
    full = await signed_in.submit(f"{base}/checkin/walk-in",
                                  {"full_name": "Wal K", "email": "walk@example.com"})
    assert full.status_code == 422 and "The event is full (3/3)." in full.text
    admitted = await signed_in.submit(f"{base}/checkin/walk-in", {
        "full_name": "Wal K", "email": "walk@example.com", "over_capacity": "yes"})
    assert admitted.status_code == 200 and "Wal K is checked in." in admitted.text
    assert await fetchval("SELECT taken FROM events WHERE id = $1", event["id"]) == 4


async def test_csv_upload_lists_row_errors_and_changes_nothing(signed_in, meetup):
    event, ann = meetup
    base = f"/backoffice/events/{event['id']}"
    await signed_in.get(f"{base}/attendance")
    data = (b"email,joined at,minutes\nann@example.com,2026-12-10 18:05,abc\n"
            b"ghost@example.com,2026-12-10 18:05,20\n")
    response = await signed_in.client.post(
        f"{base}/attendance/import", data={"_csrf_token": signed_in.last_token},
        files={"file": ("zoom.csv", data, "text/csv")})
    assert response.status_code == 422
    assert "Nothing was imported" in response.text
    assert "Row 2, column &#39;minutes&#39;: &#39;abc&#39; is not a whole number" in response.text
    assert "Row 3, column &#39;email&#39;: ghost@example.com is not registered" in response.text
    assert await fetchval("SELECT status FROM event_registrations WHERE id = $1",
                          ann["id"]) == "registered"

    good = b"email,joined at,minutes\nann@example.com,2026-12-10 18:05,20\n"
    applied = await signed_in.client.post(
        f"{base}/attendance/import", data={"_csrf_token": signed_in.last_token},
        files={"file": ("zoom.csv", good, "text/csv")})
    assert applied.status_code == 303
    page = await signed_in.get(f"{base}/attendance")
    assert "1 newly marked as attended" in page.text and "20 min" in page.text


async def test_upload_without_csrf_is_refused(signed_in, meetup):
    base = f"/backoffice/events/{meetup[0]['id']}"
    response = await signed_in.client.post(
        f"{base}/attendance/import", files={"file": ("a.csv", b"email\n", "text/csv")})
    assert response.status_code == 403


async def test_mark_by_hand_and_close_attendance(signed_in, meetup, clock, app):
    event, ann = meetup
    bob = await register("bob@example.com", clock, "Bob Jones")
    base = f"/backoffice/events/{event['id']}"
    page = await signed_in.get(f"{base}/attendance")
    assert "Attendance can be closed once the event has ended" in page.text
    marked = await signed_in.submit(f"{base}/attendance/{ann['id']}/mark",
                                    {"attended": "yes", "q": "ann"})
    assert marked.status_code == 303
    assert marked.headers["location"] == f"{base}/attendance?q=ann#registration-{ann['id']}"
    app.state.clock = clock
    clock.current = START + timedelta(hours=3)
    page = await signed_in.get(f"{base}/attendance")
    assert "Close attendance" in page.text
    closed = await signed_in.submit(f"{base}/attendance/close", {})
    assert closed.status_code == 303
    page = await signed_in.get(f"{base}/attendance")
    assert "Attendance closed: 1 no-shows recorded" in page.text
    assert await fetchval("SELECT status FROM event_registrations WHERE id = $1",
                          bob["id"]) == "no_show"
    again = await signed_in.submit(f"{base}/attendance/close", {})
    assert again.status_code == 303
    assert "already closed" in (await signed_in.get(f"{base}/attendance")).text


async def test_roi_stage_pages(signed_in, meetup):
    event, _ = meetup
    base = f"/backoffice/events/{event['id']}"
    registered = await signed_in.get(f"{base}/roi/registered")
    assert "Ann Smith" in registered.text and "Not tracked yet" not in registered.text
    hired = await signed_in.get(f"{base}/roi/hired")
    assert hired.status_code == 200 and "Ann Smith" not in hired.text
    assert (await signed_in.get(f"{base}/roi/nonsense")).status_code == 404


async def test_roles_without_event_rights_get_403_and_the_ticket_stays_out_of_the_audit_log(
        app, meetup, clock):
    _, ann = meetup
    await staff("hm@test.local", ["hiring_manager"], clock)
    browser = await signed_in_as(app, "hm@test.local")
    path = ticket_path(ann["id"])
    assert (await browser.client.get(path)).status_code == 403
    subjects = [row["subject"] for row in await fetch(
        "SELECT subject FROM audit_entries WHERE action = 'staff.permission_denied'")]
    assert subjects == ["/backoffice/events/tickets/{token}"]
    await browser.client.aclose()
