"""Event pages and registration through HTTP, like a browser."""

import json
import re
from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from domain.db import fetch
from domain.events import links
from tests.events_support import create_event, statuses

SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


async def _event(**overrides):
    return await create_event(starts_at=SOON, **overrides)


async def register(browser, name="Ann Smith", email="ann@example.com"):
    await browser.get("/events/meetup")
    return await browser.submit("/events/meetup/register",
                                {"full_name": name, "email": email})


async def test_list_shows_published_events_with_seats_left(browser):
    await _event(capacity=30)
    await create_event("draft-one", starts_at=SOON, status="draft")
    response = await browser.get("/events")
    assert response.status_code == 200
    assert "Backend meetup meetup" in response.text
    assert "30 seats left" in response.text
    assert "draft-one" not in response.text


async def test_event_page_has_json_ld_without_the_join_link(browser):
    await _event(capacity=30, kind="hybrid")
    response = await browser.get("/events/meetup")
    assert response.status_code == 200
    data = json.loads(JSON_LD.search(response.text).group(1))
    assert data["@type"] == "Event"
    assert data["name"] == "Backend meetup meetup"
    assert data["remainingAttendeeCapacity"] == 30
    assert data["eventAttendanceMode"].endswith("MixedEventAttendanceMode")
    assert datetime.fromisoformat(data["startDate"]) == SOON
    assert "secret-room" not in response.text


async def test_draft_event_page_is_a_404(browser):
    await create_event(starts_at=SOON, status="draft")
    assert (await browser.get("/events/meetup")).status_code == 404


async def test_guest_registers_once_and_is_not_subscribed(browser):
    event = await _event()
    first = await register(browser)
    assert first.status_code == 303
    shown = await browser.get(first.headers["location"])
    assert "Check your inbox" in shown.text
    again = await register(browser)
    assert again.status_code == 303
    assert len(await statuses(event["id"])) == 1
    assert (await fetch("SELECT count(*) AS n FROM consent_records"))[0]["n"] == 0


async def test_guest_form_errors_re_render(browser):
    await _event()
    response = await register(browser, name="", email="nope")
    assert response.status_code == 422
    assert "Enter your name" in response.text
    assert (await fetch("SELECT count(*) AS n FROM event_registrations"))[0]["n"] == 0


async def test_guest_page_does_not_reveal_who_is_registered(browser):
    event = await _event(capacity=1)
    await register(browser, email="first@example.com")
    await register(browser, email="second@example.com")
    again = await register(browser, email="first@example.com")
    shown = await browser.get(again.headers["location"])
    assert "Check your inbox" in shown.text
    assert "registered" not in shown.text.replace("registering", "")
    assert "waitlist-position" not in shown.text
    statuses_now = [row["status"] for row in await statuses(event["id"])]
    assert sorted(statuses_now) == ["registered", "waitlisted"]


async def test_signed_in_candidate_registers_and_cancels(candidate):
    event = await _event(capacity=5)
    await candidate.get("/events/meetup")
    response = await candidate.submit("/events/meetup/register", {})
    assert response.status_code == 303
    page = await candidate.get("/events/meetup")
    assert "You're registered" in page.text
    cancelled = await candidate.submit("/events/meetup/cancel", {})
    assert cancelled.status_code == 303
    assert [row["status"] for row in await statuses(event["id"])] == ["cancelled"]


async def test_signed_link_get_shows_and_post_cancels(browser):
    event = await _event()
    await register(browser)
    registration_id = (await fetch("SELECT id FROM event_registrations"))[0]["id"]
    path = f"/events/registrations/{links.registration_token(registration_id)}"
    shown = await browser.get(path)
    assert shown.status_code == 200 and "Cancel my registration" in shown.text
    assert [row["status"] for row in await statuses(event["id"])] == ["registered"]
    response = await browser.submit(f"{path}/cancel", {})
    assert response.status_code == 303
    assert [row["status"] for row in await statuses(event["id"])] == ["cancelled"]


async def test_forged_link_is_a_400(browser):
    await _event()
    await register(browser)
    token = links.registration_token(1)
    response = await browser.get(f"/events/registrations/{token[:-2]}xx")
    assert response.status_code == 400
    offer = await browser.get(f"/events/offers/{token[:-2]}xx")
    assert offer.status_code == 400


async def test_offer_link_accepts_the_seat(browser):
    event = await _event(capacity=1)
    await register(browser, email="first@example.com")
    await register(browser, email="second@example.com")
    rows = await fetch("SELECT id FROM event_registrations ORDER BY position")
    await browser.get(f"/events/registrations/{links.registration_token(rows[0]['id'])}")
    await browser.submit(
        f"/events/registrations/{links.registration_token(rows[0]['id'])}/cancel", {})
    path = f"/events/offers/{links.registration_token(rows[1]['id'])}"
    shown = await browser.get(path)
    assert "Take the seat" in shown.text
    response = await browser.submit(f"{path}/accept", {})
    assert response.status_code == 303
    assert [row["status"] for row in await statuses(event["id"])] == ["cancelled", "registered"]


async def test_calendar_download_parses(browser):
    event = await _event()
    response = await browser.get("/events/meetup/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    entry = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert str(entry["UID"]) == f"event-{event['id']}@talentloop"
    assert str(entry["DTSTART"].dt.tzinfo) == "Europe/Paris"
    assert entry["DTSTART"].dt == SOON
    assert "ORGANIZER" in entry
