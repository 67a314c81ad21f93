"""Event emails through the real worker into the sink, with the calendar invitation."""

import re
from email import message_from_bytes, policy

from icalendar import Calendar

from domain.events import service as events
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
    await events.cancel(seat["id"], clock=clock, queue=queue)
    await worker_burst()
    cancelled = mail.find(to="ann@example.com", subject_contains="cancelled")
    method, calendar = _invite(cancelled[0])
    assert method == "CANCEL"
    assert str(calendar.walk("VEVENT")[0]["UID"]) == f"event-{event['id']}@talentloop"
    waitlisted = mail.find(to="bob@example.com", subject_contains="waitlist")
    assert "number 1" in waitlisted[0].text_body
    offer = mail.find(to="bob@example.com", subject_contains="seat is free")
    assert re.search(r"/events/offers/[\w.\-]+", offer[0].text_body)
    assert "secret-room" not in offer[0].text_body
