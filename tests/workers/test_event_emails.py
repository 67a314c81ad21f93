"""Event emails through the real worker into the sink, with the calendar invitation."""

import re
from email import message_from_bytes, policy

from icalendar import Calendar

from domain.events import service as events
from domain.events import ticket_codes, tickets
from settings import get_settings
from tests.events_support import create_event, person
from workers.settings import WorkerSettings


def _invite(message) -> tuple[str, Calendar]:
    parsed = message_from_bytes(message.raw, policy=policy.default)
    parts = [part for part in parsed.walk() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1, "exactly one calendar attachment"
    part = parts[0]
    assert part.get_filename() == "invite.ics"
    return part.get_param("method"), Calendar.from_ical(part.get_payload(decode=True))


def test_offer_expiry_task_is_registered():
    names = {function.__name__ for function in WorkerSettings.functions}
    assert "expire_event_offers" in names


async def test_confirmation_carries_a_request_invite(clock, queue, mail, worker_burst):
    event = await create_event()
    await events.register("meetup", await person("ann@example.com"), clock=clock, queue=queue)
    await worker_burst()
    messages = mail.find(to="ann@example.com", subject_contains="registered")
    assert len(messages) == 1
    method, calendar = _invite(messages[0])
    assert method == "REQUEST" and str(calendar["METHOD"]) == "REQUEST"
    entry = calendar.walk("VEVENT")[0]
    assert str(entry["UID"]) == f"event-{event['id']}@talentloop"
    assert str(entry["DTSTART"].dt.tzinfo) == "Europe/Paris"
    assert str(entry["ATTENDEE"]) == "mailto:ann@example.com"
    assert "secret-room" in messages[0].text_body, "confirmed people get the join link"
    assert re.search(r"/events/registrations/[\w.\-]+", messages[0].text_body)


async def test_cancel_sends_a_cancel_invite_and_the_offer(clock, queue, mail, worker_burst):
    event = await create_event(capacity=1)
    seat = await events.register("meetup", await person("ann@example.com"), clock=clock,
                                 queue=queue)
    await events.register("meetup", await person("bob@example.com"), clock=clock, queue=queue)
    await worker_burst()
    waitlisted = mail.find(to="bob@example.com", subject_contains="waitlist")
    assert "number 1" in waitlisted[0].text_body  # the place when the email is written
    await events.cancel(seat["id"], clock=clock, queue=queue)
    await worker_burst()
    cancelled = mail.find(to="ann@example.com", subject_contains="cancelled")
    method, calendar = _invite(cancelled[0])
    assert method == "CANCEL"
    assert str(calendar.walk("VEVENT")[0]["UID"]) == f"event-{event['id']}@talentloop"
    offer = mail.find(to="bob@example.com", subject_contains="seat is free")
    assert re.search(r"/events/offers/[\w.\-]+", offer[0].text_body)
    assert "secret-room" not in offer[0].text_body


async def test_confirmation_carries_the_ticket_as_an_inline_qr(clock, queue, mail,
                                                                worker_burst):
    await create_event()
    seat = await events.register("meetup", await person("ann@example.com"), clock=clock,
                                 queue=queue)
    await worker_burst()
    (message,) = mail.find(to="ann@example.com", subject_contains="registered")
    parsed = message_from_bytes(message.raw, policy=policy.default)
    (related,) = [part for part in parsed.walk()
                  if part.get_content_type() == "multipart/related"]
    html_part, image = related.get_payload()
    assert html_part.get_content_type() == "text/html"
    assert image.get_content_type() == "image/png"
    assert image.get_content_disposition() == "inline"
    assert f'src="cid:{image["Content-ID"].strip("<>")}"' in message.html_body
    code = re.search(r"Ticket code: ([\w.\-]+)", message.text_body).group(1)
    assert tickets.registration_from_ticket(code) == seat["id"]
    # No QR decoder is installed: the attached image must be exactly the code segno makes
    # for the ticket URL the text names.
    url = f"{get_settings().base_url}{tickets.TICKET_PATH}{code}"
    assert image.get_payload(decode=True) == ticket_codes.qr_png(url)
    assert _invite(message)[0] == "REQUEST", "the invitation is still attached"


async def test_waitlisted_people_get_no_ticket_nor_join_link(clock, queue, mail,
                                                               worker_burst):
    await create_event(capacity=1)
    await events.register("meetup", await person("ann@example.com"), clock=clock, queue=queue)
    await events.register("meetup", await person("bob@example.com"), clock=clock, queue=queue)
    await worker_burst()
    (waitlisted,) = mail.find(to="bob@example.com", subject_contains="waitlist")
    parsed = message_from_bytes(waitlisted.raw, policy=policy.default)
    assert not [part for part in parsed.walk() if part.get_content_maintype() == "image"]
    assert "Ticket code" not in waitlisted.text_body
    assert "secret-room" not in waitlisted.text_body + waitlisted.html_body


async def test_a_waitlist_email_written_after_a_seat_was_offered_gives_no_stale_place(
        clock, queue, mail, worker_burst):
    await create_event(capacity=1)
    seat = await events.register("meetup", await person("ann@example.com"), clock=clock,
                                 queue=queue)
    await events.register("meetup", await person("bob@example.com"), clock=clock, queue=queue)
    await events.cancel(seat["id"], clock=clock, queue=queue)  # Bob is offered the seat
    await worker_burst()
    (waitlisted,) = mail.find(to="bob@example.com", subject_contains="waitlist")
    assert "You are on the waitlist." in waitlisted.text_body
    assert "number" not in waitlisted.text_body
