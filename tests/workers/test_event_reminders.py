"""Event reminders 24 h and 1 h before the start: the cron task, the real worker, the sink."""

import asyncio
import re
from datetime import timedelta
from email import message_from_bytes, policy

from domain.db import fetch
from domain.events import links, reminders, tickets
from domain.events import service as events
from tests.events_support import create_event, person
from workers.settings import WorkerSettings
from workers.tasks.event_reminders import send_event_reminders

MANAGE_LINK = re.compile(r"http://testserver/events/registrations/([\w.\-]+)")
TICKET_CODE = re.compile(r"Ticket code: ([\w.\-]+)")


async def run_cron(clock, queue, times: int = 1) -> int:
    """The cron task body, as arq runs it; `times` runs at once, like two workers."""
    ctx = {"clock": clock, "queue": queue}
    done = await asyncio.gather(*(send_event_reminders(ctx) for _ in range(times)))
    return sum(done)


async def reminders_queued() -> list[dict]:
    return await fetch("SELECT to_address, context->>'reminder' AS reminder, dedupe_key "
                       "FROM outbound_emails "
                       "WHERE template = 'event_reminder' ORDER BY id")


async def register(clock, queue, email: str, slug: str = "meetup") -> dict:
    return await events.register(slug, await person(email), clock=clock, queue=queue)


def test_reminder_task_is_a_unique_cron_job():
    assert send_event_reminders in WorkerSettings.functions
    jobs = [job for job in WorkerSettings.cron_jobs if job.coroutine is send_event_reminders]
    assert len(jobs) == 1 and jobs[0].unique


def test_windows_meet_without_overlap(clock):
    now = clock.now()
    assert reminders.windows(now) == [
        ("24h", now + timedelta(hours=1), now + timedelta(hours=24)),
        ("1h", now, now + timedelta(hours=1)),
    ]


async def test_each_reminder_goes_once_however_often_the_cron_runs(clock, queue, mail,
                                                                     worker_burst):
    start = clock.now() + timedelta(days=3)
    await create_event(starts_at=start)
    await register(clock, queue, "ann@example.com")
    assert await run_cron(clock, queue) == 0, "nothing due three days ahead"
    clock.current = start - timedelta(hours=23, minutes=58)
    assert await run_cron(clock, queue, times=2) == 1
    clock.advance(minutes=5)
    assert await run_cron(clock, queue, times=3) == 0
    clock.current = start - timedelta(minutes=57)
    assert await run_cron(clock, queue, times=2) == 1
    clock.advance(minutes=5)
    assert await run_cron(clock, queue) == 0
    await worker_burst()
    assert len(mail.find(to="ann@example.com", subject_contains="Coming up")) == 1
    assert len(mail.find(to="ann@example.com", subject_contains="Starting soon")) == 1
    assert [row["reminder"] for row in await reminders_queued()] == ["24h", "1h"]


async def test_only_registered_people_are_reminded(clock, queue):
    start = clock.now() + timedelta(days=3)
    await create_event(starts_at=start, capacity=2)
    await register(clock, queue, "ann@example.com")
    bob = await register(clock, queue, "bob@example.com")
    await register(clock, queue, "carl@example.com")  # waitlisted, then offered Bob's seat
    await register(clock, queue, "dora@example.com")  # waitlisted
    await events.cancel(bob["id"], clock=clock, queue=queue)
    clock.current = start - timedelta(hours=23)
    assert await run_cron(clock, queue) == 1
    clock.current = start - timedelta(minutes=30)
    assert await run_cron(clock, queue) == 1
    assert {row["to_address"] for row in await reminders_queued()} == {"ann@example.com"}


async def test_no_reminder_once_the_event_is_called_off(clock, queue):
    start = clock.now() + timedelta(days=3)
    event = await create_event(starts_at=start)
    await register(clock, queue, "ann@example.com")
    await fetch("UPDATE events SET status = 'cancelled' WHERE id = $1", event["id"])
    clock.current = start - timedelta(hours=23)
    assert await run_cron(clock, queue) == 0


async def test_none_once_the_event_has_started(clock, queue):
    start = clock.now() + timedelta(days=3)
    await create_event(starts_at=start)
    await register(clock, queue, "ann@example.com")
    clock.current = start
    assert await run_cron(clock, queue) == 0
    clock.advance(minutes=10)
    assert await run_cron(clock, queue) == 0
    assert await reminders_queued() == []


async def test_a_late_registrant_gets_the_1h_reminder_only(clock, queue):
    start = clock.now() + timedelta(hours=5)
    await create_event(starts_at=start)
    await register(clock, queue, "late@example.com")
    assert await run_cron(clock, queue) == 0, "no 'coming up' right after the confirmation"
    clock.current = start - timedelta(minutes=55)
    assert await run_cron(clock, queue) == 1
    assert [row["reminder"] for row in await reminders_queued()] == ["1h"]


async def test_a_time_change_makes_the_reminder_due_again(clock, queue, mail, worker_burst):
    start = clock.now() + timedelta(days=3)
    event = await create_event(starts_at=start)
    await register(clock, queue, "ann@example.com")
    clock.current = start - timedelta(hours=23)
    assert await run_cron(clock, queue) == 1
    await fetch("UPDATE events SET starts_at = starts_at - interval '2 hours', "
                "ends_at = ends_at - interval '2 hours', sequence = sequence + 1 "
                "WHERE id = $1", event["id"])
    assert await run_cron(clock, queue, times=2) == 1, "due again, for the new time"
    assert await run_cron(clock, queue) == 0
    keys = [row["dedupe_key"] for row in await reminders_queued()]
    assert len(set(keys)) == 2
    await worker_burst()
    sent = mail.find(to="ann@example.com", subject_contains="Coming up")
    assert len(sent) == 2
    # Rendered when sent, so both show the new time: 2026-11-05 09:00 UTC (10:00 in
    # Paris) moved two hours earlier.
    assert all("08:00 to 10:00" in message.text_body for message in sent)


async def test_reminder_email_carries_join_link_ticket_and_cancel_link(clock, queue, mail,
                                                                        worker_burst):
    start = clock.now() + timedelta(days=3)
    await create_event(starts_at=start, kind="hybrid")
    seat = await register(clock, queue, "ann@example.com")
    clock.current = start - timedelta(minutes=50)
    assert await run_cron(clock, queue) == 1
    await worker_burst()
    (message,) = mail.find(to="ann@example.com", subject_contains="Starting soon")
    assert "starts within the hour" in message.text_body
    assert "https://meet.example/secret-room" in message.text_body
    assert "https://meet.example/secret-room" in message.html_body
    token = MANAGE_LINK.search(message.text_body).group(1)
    assert links.registration_from_token(token) == seat["id"]
    code = TICKET_CODE.search(message.text_body).group(1)
    assert tickets.registration_from_ticket(code) == seat["id"]
    parsed = message_from_bytes(message.raw, policy=policy.default)
    images = [part for part in parsed.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 1
    assert f'src="cid:{images[0]["Content-ID"].strip("<>")}"' in message.html_body
    assert not [part for part in parsed.walk() if part.get_content_type() == "text/calendar"]


async def test_online_event_reminder_has_the_join_link_and_no_ticket(clock, queue, mail,
                                                                      worker_burst):
    start = clock.now() + timedelta(days=3)
    await create_event(starts_at=start, kind="virtual")
    await register(clock, queue, "ann@example.com")
    clock.current = start - timedelta(hours=20)
    assert await run_cron(clock, queue) == 1
    await worker_burst()
    (message,) = mail.find(to="ann@example.com", subject_contains="Coming up")
    assert "https://meet.example/secret-room" in message.text_body
    assert "Ticket code" not in message.text_body
    parsed = message_from_bytes(message.raw, policy=policy.default)
    assert not [part for part in parsed.walk() if part.get_content_type() == "image/png"]


async def test_a_reminder_queued_before_a_cancellation_is_not_sent(clock, queue, mail,
                                                                  worker_burst):
    start = clock.now() + timedelta(days=3)
    await create_event(starts_at=start)
    seat = await register(clock, queue, "late@example.com")
    clock.current = start - timedelta(hours=20)
    assert await run_cron(clock, queue) == 1
    await events.cancel(seat["id"], clock=clock, queue=queue)
    await worker_burst()
    rows = await fetch("SELECT state, last_error FROM outbound_emails "
                       "WHERE template = 'event_reminder'")
    assert rows == [{"state": "failed",
                     "last_error": "the registration no longer holds a seat; reminder not sent"}]
    subjects = [message.subject for message in mail.find(to="late@example.com")]
    assert not any(subject.startswith("Coming up") for subject in subjects), subjects
