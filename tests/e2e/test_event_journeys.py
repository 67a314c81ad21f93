"""Recruiting events in a real browser, end to end, each step checked from both sides:
a host creates an event with a required question and publishes it; a candidate registers
and gets the confirmation email (its .ics invitation read back with icalendar, its QR
ticket decoded with zxing-cpp) and their ticket page; a full event's seat passes to the
waiting list when someone cancels through their email link; the host checks people in
by search and by scanning a ticket, closes attendance after the event, and a recruiter
reads it all on the candidates' timelines; and a host cannot open someone else's event.
"""

from __future__ import annotations

import re
import struct
import zlib
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from icalendar import Calendar
from playwright.async_api import Page, expect

from domain.db import fetch, fetchval
from tests.e2e.conftest import StaffLogin
from tests.e2e.pages import (
    EventOverviewPage,
    EventPage,
    EventsPage,
    EventTicketPage,
    LoginPage,
    PersonPage,
    RegistrationLinkPage,
    SeatOfferPage,
    StaffLoginPage,
    TicketCheckInPage,
)
from tests.e2e.test_candidate_account import sign_in_by_email

pytestmark = pytest.mark.e2e

ZONE = "Europe/Paris"
TICKET_PATH = "/backoffice/events/tickets/"


# -- people and events ----------------------------------------------------------------------


async def staff_login(email: str, name: str, role: str) -> StaffLogin:
    from domain.accounts import service as accounts
    from domain.ports import SystemClock

    login = StaffLogin(email, "a-long-test-password", name)
    await accounts.create_user(email=email, full_name=name, roles=[role],
                               password=login.password, clock=SystemClock())
    return login


@pytest.fixture
async def host() -> StaffLogin:
    return await staff_login("hana.host@test.local", "Hana Host", "event_host")


async def person(email: str, name: str) -> int:
    from domain.people import service as people
    from domain.ports import SystemClock

    found = await people.find_or_create(email=email, full_name=name, source="test",
                                        now=SystemClock().now())
    return int(found["id"])


def local_times(days_ahead: int = 10) -> tuple[datetime, datetime]:
    """An evening some days ahead, in the event's zone, to the minute."""
    day = datetime.now(ZoneInfo(ZONE)) + timedelta(days=days_ahead)
    start = day.replace(hour=18, minute=30, second=0, microsecond=0)
    return start, start + timedelta(hours=2, minutes=30)


async def published_event(host_email: str, title: str, *, capacity: int | None) -> dict:
    """What the host's form and Publish button make (the first journey does it in the
    browser), for journeys that start from a published event."""
    from domain.accounts.service import Staff
    from domain.events import hosting
    from domain.events.drafts import parse_draft
    from domain.ports import SystemClock

    start, end = local_times()
    draft, errors = parse_draft({
        "title": title, "description": "Talks and pizza.", "kind": "in_person",
        "time_zone": ZONE, "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": end.strftime("%Y-%m-%dT%H:%M"), "venue": "Acme HQ, Paris",
        "capacity": "" if capacity is None else str(capacity), "offer_hours": "48",
    }, known_communities=set())
    assert draft is not None, errors
    [row] = await fetch("SELECT id, email, full_name, roles FROM staff_users WHERE email = $1",
                        host_email)
    staff = Staff(row["id"], row["email"], row["full_name"], tuple(row["roles"]))
    event = await hosting.create_event(draft, by=staff, clock=SystemClock())
    await hosting.publish(event["id"], by=staff, clock=SystemClock())
    return {"id": event["id"], "slug": event["slug"], "title": title}


async def registration_id(slug: str, email: str) -> int:
    return int(await fetchval(
        "SELECT r.id FROM event_registrations r JOIN events e ON e.id = r.event "
        "JOIN people p ON p.id = r.person WHERE e.slug = $1 AND p.email = $2", slug, email))


async def signed_in_staff(pages, login: StaffLogin, lands_on: str = "Events") -> Page:
    staff = await pages.new()
    await StaffLoginPage(staff).sign_in(login.email, login.password, lands_on=lands_on)
    return staff


# -- email: the invitation, the ticket and the links ------------------------------------------


def parsed(stored) -> EmailMessage:
    raw = stored.raw.split(b"\n", 1)[1]  # drop the sink's X-Envelope-To line
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def invitation(message: EmailMessage) -> Calendar:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_payload(decode=True))


def inline_image(message: EmailMessage, content_id: str) -> bytes:
    [part] = [p for p in message.walk() if p.get("Content-ID") == f"<{content_id}>"]
    assert part.get_content_type() == "image/png"
    assert part.get_content_disposition() == "inline"
    return part.get_payload(decode=True)


def link(text: str, base_url: str, path: str) -> str:
    match = re.search(re.escape(base_url + path) + r"[A-Za-z0-9_.\-]+", text or "")
    assert match, f"no {path}… link in the email:\n{text}"
    return match.group(0)


# -- QR codes: a PNG (the email's, or a screenshot) decoded the way a phone camera would ------


def _png_chunks(png: bytes):
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position = 8
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position:position + 8])
        yield kind, png[position + 8:position + 8 + length]
        position += 12 + length


def _unfilter(raw: bytes, height: int, stride: int, bpp: int) -> list[bytearray]:
    """PNG's per-line filters (RFC 2083 §6) undone."""
    lines, previous, position = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[position], bytearray(raw[position + 1:position + 1 + stride])
        position += 1 + stride
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                guess = left + up - corner
                near = min((abs(guess - left), 0, left), (abs(guess - up), 1, up),
                           (abs(guess - corner), 2, corner))[2]
                line[i] = (line[i] + near) & 255
        lines.append(line)
        previous = line
    return lines


def grey_pixels(png: bytes) -> tuple[int, int, bytes]:
    """Width, height and one grey byte per pixel of a non-interlaced PNG: segno's 1-bit
    greyscale and Chromium's 8-bit RGB(A) screenshots are the two kinds met here."""
    chunks = list(_png_chunks(png))
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert interlace == 0 and (depth == 8 or colour == 0), (depth, colour)
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    stride = (width * depth * channels + 7) // 8
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    grey = bytearray()
    for line in _unfilter(raw, height, stride, max(1, depth * channels // 8)):
        if depth == 8:
            grey += bytes(line[x * channels] for x in range(width))  # red (or grey) channel
        else:
            top = (1 << depth) - 1
            for x in range(width):
                bit = x * depth
                value = (line[bit // 8] >> (8 - depth - bit % 8)) & top
                grey.append(value * 255 // top)
    return width, height, bytes(grey)


def read_qr(png: bytes) -> str:
    width, height, grey = grey_pixels(png)
    found = zxingcpp.read_barcodes(memoryview(grey).cast("B", (height, width)),
                                   formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1, f"{len(found)} QR codes in the image"
    return found[0].text


def ticket_registration(url: str, base_url: str) -> int:
    """The registration a scanned ticket URL names (verified like the server does)."""
    from domain.events import tickets

    assert url.startswith(base_url + TICKET_PATH), url
    return tickets.registration_from_ticket(tickets.token_from_scan(url))


# -- 1. a host publishes an event; a candidate registers and gets their ticket -----------------


async def test_host_publishes_an_event_and_a_candidate_registers_with_a_ticket(
        pages, live_server, host, wait_for_email):
    from settings import get_settings

    title = "Platform engineering evening"
    start, end = local_times()
    staff = await signed_in_staff(pages, host)
    form = await EventsPage(staff).new_event()
    await form.fill(title=title, description="**Talks** on our platform, then pizza.",
                    kind="In person", time_zone=ZONE, starts=f"{start:%Y-%m-%dT%H:%M}",
                    ends=f"{end:%Y-%m-%dT%H:%M}", venue="Acme HQ, Paris", capacity=1)
    await form.ask(1, "Your current role", kind="Choice",
                   choices=("Backend", "Frontend", "Data"), required=True)
    overview = await form.create(title)
    await expect(overview.status_card).to_contain_text("Draft: not on the careers site yet.")
    await overview.publish()
    [event] = await fetch("SELECT id, slug FROM events WHERE title = $1", title)
    await expect(overview.status_card.get_by_role(
        "link", name=f"/events/{event['slug']}")).to_be_visible()

    await person("ada@example.com", "Ada Lovelace")
    candidate = await pages.new()
    await sign_in_by_email(candidate, live_server, wait_for_email, "ada@example.com")
    portal = await EventPage(candidate).open(event["slug"], title)
    await portal.register()  # the required question left unanswered
    await expect(portal.register_card.get_by_text("Answer this question.").first).to_be_visible()
    await portal.register({"Your current role": "Data"})
    await expect(portal.status).to_have_text("You're registered. See you there!")

    # The confirmation email: the calendar invitation and the QR ticket.
    message = parsed((await wait_for_email("ada@example.com", f"You're registered: {title}"))[0])
    calendar = invitation(message)
    assert str(calendar["METHOD"]) == "REQUEST"
    [entry] = calendar.walk("VEVENT")
    assert str(entry["UID"]) == f"event-{event['id']}@talentloop"
    assert entry["DTSTART"].params["TZID"] == ZONE
    assert entry.decoded("DTSTART") == start and entry.decoded("DTEND") == end
    assert entry.decoded("DTSTART").utcoffset() == start.utcoffset()
    sender = get_settings().mail_from.rsplit("<", 1)[-1].rstrip(">")
    assert str(entry["ORGANIZER"]) == f"mailto:{sender}"
    assert str(entry["ATTENDEE"]) == "mailto:ada@example.com"
    assert str(entry["SUMMARY"]) == title
    html = message.get_body(preferencelist=("html",)).get_content()
    assert 'src="cid:ticket-qr@talentloop"' in html
    ada = await registration_id(event["slug"], "ada@example.com")
    emailed = read_qr(inline_image(message, "ticket-qr@talentloop"))
    assert ticket_registration(emailed, live_server.base_url) == ada

    # Their ticket page shows a QR code for the same registration.
    await portal.ticket_link.click()
    ticket = EventTicketPage(candidate)
    await expect(ticket.heading(title)).to_be_visible()
    shown = read_qr(await ticket.qr_code(title).screenshot())
    assert ticket_registration(shown, live_server.base_url) == ada

    # The host sees the seat taken and the answer.
    await staff.reload()
    await expect(overview.stat("Seats taken")).to_have_text("1 / 1")
    await expect(staff.get_by_text("Full: new registrations join the waiting list.")) \
        .to_be_visible()
    registrations = await overview.registrations()
    row = registrations.row("Ada Lovelace")
    await expect(row).to_contain_text("Registered")
    await expect(row).to_contain_text("Your current role")
    await expect(row).to_contain_text("Data")


# -- 2. a full event: the seat someone gives up goes to the waiting list ------------------------


async def test_a_freed_seat_goes_to_the_first_person_waiting(pages, live_server, host,
                                                            wait_for_email):
    event = await published_event(host.email, "Design critique night", capacity=1)
    title, slug = event["title"], event["slug"]
    ada, grace = await pages.new(), await pages.new()
    await (await EventPage(ada).open(slug, title)).register_as_guest(
        "Ada Lovelace", "ada@example.com")
    await (await EventPage(grace).open(slug, title)).register_as_guest(
        "Grace Hopper", "grace@example.com")
    confirmed = (await wait_for_email("ada@example.com", f"You're registered: {title}"))[0]
    waiting = (await wait_for_email("grace@example.com", f"You're on the waitlist: {title}"))[0]
    assert "You are number 1 on the waitlist." in waiting.text_body

    # Grace's own page (from her email) says she is waiting.
    await RegistrationLinkPage(grace).open(
        link(waiting.text_body, live_server.base_url, "/events/registrations/"), title)
    await expect(RegistrationLinkPage(grace).status).to_contain_text(
        "You're number 1 on the waitlist")

    # Ada cannot come: she cancels with the link in her confirmation email.
    manage = await RegistrationLinkPage(ada).open(
        link(confirmed.text_body, live_server.base_url, "/events/registrations/"), title)
    await expect(manage.qr_code(title)).to_be_visible()
    await manage.cancel()
    await expect(manage.qr_code(title)).to_have_count(0)
    await wait_for_email("ada@example.com", f"Registration cancelled: {title}")

    # Grace is offered the seat, takes it, and is registered with a ticket.
    offer = (await wait_for_email("grace@example.com", f"A seat is free: {title}"))[0]
    seat = await SeatOfferPage(grace).open(
        link(offer.text_body, live_server.base_url, "/events/offers/"), title)
    registered = await seat.take_seat()
    await expect(registered.qr_code(title)).to_be_visible()
    await wait_for_email("grace@example.com", f"You're registered: {title}")

    # The host sees who holds the seat now.
    staff = await signed_in_staff(pages, host)
    overview = await EventOverviewPage(staff).open(event["id"], title)
    await expect(overview.stat("Seats taken")).to_have_text("1 / 1")
    await expect(overview.stat("Waiting")).to_have_text("0")
    await expect(overview.stat("Cancelled")).to_have_text("1")
    registrations = await overview.registrations()
    await expect(registrations.row("Grace Hopper")).to_contain_text("Registered")
    await expect(registrations.row("Ada Lovelace")).to_contain_text("Cancelled")


# -- 3. the door, closing attendance, and the timelines -----------------------------------------


async def test_check_in_by_search_and_by_ticket_then_no_shows_on_the_timelines(
        pages, live_server, host, recruiter):
    from domain.events import links
    from domain.events import service as events
    from domain.ports import SystemClock

    event = await published_event(host.email, "Data and dinner meetup", capacity=10)
    title, slug = event["title"], event["slug"]
    people = {"Ada Lovelace": "ada@example.com", "Grace Hopper": "grace@example.com",
              "Alan Turing": "alan@example.com"}
    ids = {}
    for name, email in people.items():
        ids[name] = await person(email, name)
        await events.register(slug, ids[name], clock=SystemClock(), queue=None)

    registrations = {name: await registration_id(slug, email)
                     for name, email in people.items()}

    def own_page(name: str) -> str:
        """The signed link their emails carry."""
        token = links.registration_token(registrations[name])
        return f"{live_server.base_url}/events/registrations/{token}"

    # Grace shows the ticket on her phone; the host's camera reads the QR code.
    grace = await RegistrationLinkPage(await pages.new()).open(own_page("Grace Hopper"), title)
    scanned = read_qr(await grace.qr_code(title).screenshot())
    assert ticket_registration(scanned, live_server.base_url) == registrations["Grace Hopper"]

    staff = await signed_in_staff(pages, host)
    overview = await EventsPage(staff).open_event(title)
    door = await overview.check_in()
    await expect(door.counts).to_contain_text("0 checked in · 3 still expected")
    matches = await door.search("Ada")
    await expect(matches.get_by_role("listitem")).to_have_count(1)
    await door.check_in("Ada Lovelace")
    await expect(door.counts).to_contain_text("1 checked in · 2 still expected")

    ticket = await TicketCheckInPage(staff).open(scanned, "Grace Hopper")
    await ticket.check_in("Grace Hopper")
    await grace.page.reload()
    await expect(grace.status).to_have_text("Thanks for coming.")

    # The evening is over (its times moved into the past); the host closes attendance.
    await fetch("UPDATE events SET starts_at = now() - interval '3 hours', "
                "ends_at = now() - interval '1 hour' WHERE id = $1", event["id"])
    await staff.goto(f"/backoffice/events/{event['id']}")
    attendance = await EventOverviewPage(staff).attendance()
    await attendance.close()
    await expect(attendance.page.get_by_role("status").filter(has_text="Attendance closed")) \
        .to_contain_text("1 no-shows recorded")
    await expect(attendance.count("Attended")).to_have_text("2")
    await expect(attendance.count("No-shows")).to_have_text("1")
    alan = await RegistrationLinkPage(await pages.new()).open(own_page("Alan Turing"), title)
    await expect(alan.status).to_have_text("We missed you at this event.")

    # A recruiter reads it on each person's timeline.
    desk = await pages.new()
    await LoginPage(desk).sign_in(recruiter.email, recruiter.password)
    detail = re.compile(r"event:\s*" + re.escape(slug))
    for name, came in (("Ada Lovelace", True), ("Grace Hopper", True), ("Alan Turing", False)):
        timeline = await PersonPage(desk).open(ids[name], name)
        await expect(timeline.timeline_entry("Registered for an event")).to_contain_text(detail)
        outcome = "Attended an event" if came else "Did not attend an event"
        await expect(timeline.timeline_entry(outcome)).to_contain_text(detail)
        absent = "Did not attend an event" if came else "Attended an event"
        await expect(timeline.timeline_entry(absent)).to_have_count(0)


# -- 4. hosts manage only their own events ------------------------------------------------------


async def test_a_host_gets_not_found_for_an_event_they_do_not_host(pages, live_server, host):
    from domain.events import service as events
    from domain.events import tickets
    from domain.ports import SystemClock

    event = await published_event(host.email, "Acme hack day", capacity=None)
    ada = await person("ada@example.com", "Ada Lovelace")
    await events.register(event["slug"], ada, clock=SystemClock(), queue=None)
    ticket = TICKET_PATH + tickets.ticket_token(await registration_id(event["slug"],
                                                                      "ada@example.com"))
    other = await staff_login("olu.other@test.local", "Olu Other", "event_host")
    staff = await signed_in_staff(pages, other)
    await expect(staff.get_by_role("link", name=event["title"])).to_have_count(0)
    for path in (f"/backoffice/events/{event['id']}",
                 f"/backoffice/events/{event['id']}/registrations", ticket):
        response = await staff.goto(path)
        assert response is not None and response.status == 404, path
        await expect(staff.get_by_role("heading", level=1)).not_to_have_text(event["title"])
        await expect(staff.get_by_text("Ada Lovelace")).to_have_count(0)
    # Their own host still gets in.
    owner = await signed_in_staff(pages, host)
    await EventOverviewPage(owner).open(event["id"], event["title"])
