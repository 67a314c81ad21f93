"""A signed-in person's ticket page, and the ticket on the signed registration page."""

from datetime import UTC, datetime, timedelta

from domain.db import fetch
from domain.events import links
from domain.events import service as events
from domain.ports import SystemClock
from tests.events_support import create_event, person

SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
QR = '<svg role="img" aria-label="Ticket QR code for Backend meetup meetup"'


async def _register_signed_in(candidate, slug: str = "meetup"):
    await candidate.get(f"/events/{slug}")
    response = await candidate.submit(f"/events/{slug}/register", {})
    assert response.status_code == 303


async def _register(email: str, slug: str = "meetup") -> dict:
    return await events.register(slug, await person(email, "Bob Other"), clock=SystemClock(),
                                 queue=None)


async def test_own_ticket_shows_the_qr_and_the_event(candidate):
    await create_event(starts_at=SOON)
    await _register_signed_in(candidate)
    event_page = await candidate.get("/events/meetup")
    assert 'href="/events/meetup/ticket"' in event_page.text
    response = await candidate.get("/events/meetup/ticket")
    assert response.status_code == 200
    assert QR in response.text
    assert "Cam Candidate" in response.text
    assert "Acme HQ, Paris" in response.text
    assert "/static/css/tickets.css" in response.text
    assert "secret-room" in response.text, "a registered person gets the join link"
    assert (await candidate.get("/static/css/tickets.css")).status_code == 200


async def test_someone_elses_ticket_is_a_404(candidate):
    await create_event(starts_at=SOON)
    await _register("bob@example.com")
    response = await candidate.get("/events/meetup/ticket")
    assert response.status_code == 404
    assert "Bob Other" not in response.text
    assert "<svg role=\"img\"" not in response.text


async def test_not_signed_in_goes_to_sign_in(browser):
    await create_event(starts_at=SOON)
    response = await browser.get("/events/meetup/ticket")
    assert response.status_code == 303
    assert response.headers["location"] == "/account/sign-in?next=/events/meetup/ticket"


async def test_waitlisted_has_no_ticket(candidate):
    await create_event(starts_at=SOON, capacity=1)
    await _register("bob@example.com")
    await _register_signed_in(candidate)
    event_page = await candidate.get("/events/meetup")
    assert "waitlist" in event_page.text
    assert "/events/meetup/ticket" not in event_page.text
    response = await candidate.get("/events/meetup/ticket")
    assert response.status_code == 404
    assert "secret-room" not in response.text


async def test_cancelled_registration_has_no_ticket(candidate):
    await create_event(starts_at=SOON)
    await _register_signed_in(candidate)
    await candidate.submit("/events/meetup/cancel", {})
    assert (await candidate.get("/events/meetup/ticket")).status_code == 404


async def test_online_event_shows_how_to_join_without_a_qr(candidate):
    await create_event(starts_at=SOON, kind="virtual")
    await _register_signed_in(candidate)
    response = await candidate.get("/events/meetup/ticket")
    assert response.status_code == 200
    assert "How to join" in response.text
    assert "https://meet.example/secret-room" in response.text
    assert "<svg role=\"img\"" not in response.text


async def test_signed_registration_page_shows_the_ticket_only_with_a_seat(browser):
    await create_event(starts_at=SOON, capacity=1)
    seat = await _register("ann@example.com")
    waiting = await _register("bob@example.com")
    shown = await browser.get(f"/events/registrations/{links.registration_token(seat['id'])}")
    assert QR in shown.text
    assert "secret-room" in shown.text
    other = await browser.get(
        f"/events/registrations/{links.registration_token(waiting['id'])}")
    assert other.status_code == 200
    assert "<svg role=\"img\"" not in other.text
    assert "secret-room" not in other.text


async def test_ticket_is_gone_once_the_event_is_called_off(candidate):
    event = await create_event(starts_at=SOON)
    await _register_signed_in(candidate)
    await fetch("UPDATE events SET status = 'cancelled' WHERE id = $1", event["id"])
    assert (await candidate.get("/events/meetup/ticket")).status_code == 404
