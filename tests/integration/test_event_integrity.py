"""V4: the hourly recount repairs `events.taken` that disagrees with the registrations,
leaves correct events alone, and runs safely alongside registrations."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

from domain.db import execute, fetch, fetchval
from domain.events import integrity
from domain.events import service as events
from tests.events_support import create_event, statuses


async def _people(count: int, prefix: str = "p") -> list[int]:
    rows = await fetch(
        "INSERT INTO people (email, full_name, source, created_at, updated_at) "
        "SELECT $1 || n || '@example.com', 'Person ' || n, 'test', now(), now() "
        "FROM generate_series(1, $2) AS n ORDER BY n RETURNING id", prefix, count)
    return sorted(row["id"] for row in rows)


async def _register_all(slug: str, people: list[int], clock) -> None:
    for pid in people:
        await events.register(slug, pid, clock=clock, queue=None)


async def _taken(event_id: int) -> int:
    return int(await fetchval("SELECT taken FROM events WHERE id = $1", event_id))


async def _corrupt(event_id: int, taken: int) -> None:
    """What a manual SQL fix or a partial restore could leave behind."""
    await execute("UPDATE events SET taken = $2 WHERE id = $1", event_id, taken)


async def _audit_entries() -> list[dict]:
    return await fetch("SELECT action, actor, subject, detail::text AS detail "
                       "FROM audit_entries WHERE action = 'events.seats_recounted' ORDER BY id")


async def test_a_count_too_high_is_repaired_with_an_audit_entry_and_a_warning(clock, caplog):
    event = await create_event(capacity=3)
    people = await _people(5)
    await _register_all("meetup", people, clock)
    await events.cancel((await _registration(event["id"], people[0]))["id"], clock=clock,
                        queue=None)  # seat 1 goes to the first in line: 3 held, 1 waiting
    await _corrupt(event["id"], 3 + 1)

    with caplog.at_level(logging.WARNING, logger="domain.events.integrity"):
        repairs = await integrity.check_all(clock=clock, queue=None)

    assert [(r.event_id, r.was, r.counted, r.offered) for r in repairs] == [
        (event["id"], 4, 3, 0)]
    assert await _taken(event["id"]) == 3
    [entry] = await _audit_entries()
    assert (entry["actor"], entry["subject"]) == (integrity.ACTOR, f"event:{event['id']}")
    assert '"taken_was": 4' in entry["detail"]
    assert '"taken_now": 3' in entry["detail"]
    assert "taken was 4, 3 registrations hold a seat" in caplog.text


async def test_a_count_too_low_is_repaired_so_no_seat_is_sold_twice(clock):
    event = await create_event(capacity=3)
    people = await _people(4)
    await _register_all("meetup", people[:3], clock)
    await _corrupt(event["id"], 1)  # two held seats look free

    [repair] = await integrity.check_all(clock=clock, queue=None)

    assert (repair.was, repair.counted, repair.offered) == (1, 3, 0)
    late = await events.register("meetup", people[3], clock=clock, queue=None)
    assert late["status"] == "waitlisted"
    assert await _taken(event["id"]) == 3
    assert len(await _audit_entries()) == 1


async def test_seats_found_free_by_the_repair_are_offered_in_queue_order(clock):
    event = await create_event(capacity=2)
    people = await _people(4)
    await _register_all("meetup", people, clock)  # 2 registered, 2 waiting
    await execute("UPDATE event_registrations SET status = 'cancelled' WHERE person = $1",
                  people[0])  # cancelled behind the service's back: taken still says 2

    [repair] = await integrity.check_all(clock=clock, queue=None)

    assert (repair.was, repair.counted, repair.offered) == (2, 1, 1)
    assert [(row["person"], row["status"]) for row in await statuses(event["id"])] == [
        (people[0], "cancelled"), (people[1], "registered"), (people[2], "offered"),
        (people[3], "waitlisted")]
    assert await _taken(event["id"]) == 2


async def test_consistent_events_are_left_untouched(clock):
    full = await create_event("full", capacity=2)
    await create_event("open", capacity=None)
    people = await _people(3)
    await _register_all("full", people, clock)
    await _register_all("open", people[:2], clock)
    before = await fetch("SELECT id, taken, updated_at, xmin::text AS version FROM events "
                         "ORDER BY id")

    assert await integrity.check_all(clock=clock, queue=None) == []
    assert await integrity.recount(full["id"], clock=clock, queue=None) is None

    assert await fetch("SELECT id, taken, updated_at, xmin::text AS version FROM events "
                       "ORDER BY id") == before  # not even rewritten
    assert await _audit_entries() == []


async def test_only_published_events_that_have_not_ended_are_checked(clock):
    ended = await create_event("ended", capacity=5,
                               starts_at=datetime(2026, 10, 1, 17, 0, tzinfo=UTC))
    draft = await create_event("draft", capacity=5, status="draft")
    for event in (ended, draft):
        await _corrupt(event["id"], 4)

    assert await integrity.mismatched_events(clock.now()) == []
    assert await integrity.check_all(clock=clock, queue=None) == []
    # Asked directly, the recount still repairs any event.
    assert (await integrity.recount(ended["id"], clock=clock, queue=None)).counted == 0


async def test_recounting_during_200_registrations_neither_deadlocks_nor_miscounts(clock):
    event = await create_event(capacity=120)
    people = await _people(200)
    finished: list[float] = []

    async def register(pid: int, delay: float) -> dict:
        await asyncio.sleep(delay)  # spread over ~1 s so recounts land among them
        registration = await events.register("meetup", pid, clock=clock, queue=None)
        finished.append(time.monotonic())
        return registration

    async def recount_until(done: asyncio.Future) -> list[tuple[float, float]]:
        rounds = []
        for _ in range(10_000):  # bounded; ends when the registrations are all in
            if done.done():
                break
            began = time.monotonic()
            repairs.extend(await integrity.check_all(clock=clock, queue=None))
            repairs.append(await integrity.recount(event["id"], clock=clock, queue=None))
            rounds.append((began, time.monotonic()))
        return rounds

    repairs: list = []
    registering = asyncio.ensure_future(asyncio.gather(
        *(register(pid, n * 0.005) for n, pid in enumerate(people))))
    rounds = await asyncio.wait_for(
        asyncio.gather(recount_until(registering), recount_until(registering)), timeout=60)
    results = await registering

    # Recounts overlapped the registrations: some round began before the last one finished
    # and ended after the first one did. (Not "strictly between two of them": on a loaded
    # machine a round can wait on the event lock for most of the burst, and the point is
    # that they ran together without a deadlock or a wrong count, not how they interleaved.)
    assert any(began < max(finished) and end > min(finished)
               for began, end in rounds[0] + rounds[1])
    assert [r for r in repairs if r is not None] == []
    assert [r["status"] for r in results].count("registered") == 120
    assert await _taken(event["id"]) == 120
    assert await _audit_entries() == []


async def _registration(event_id: int, person_id: int) -> dict:
    rows = await fetch("SELECT id FROM event_registrations WHERE event = $1 AND person = $2",
                       event_id, person_id)
    return rows[0]


async def test_the_recount_is_an_hourly_unique_cron_task():
    from workers.settings import WorkerSettings
    from workers.tasks import event_integrity

    assert event_integrity.recount_event_seats in WorkerSettings.functions
    [job] = [j for j in WorkerSettings.cron_jobs if j.name.endswith("recount_event_seats")]
    assert job.unique
    assert (job.minute, job.hour) == ({23}, None)
