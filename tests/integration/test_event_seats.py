"""Seats on PostgreSQL under concurrency (QUALITY.md V1-V4): no overbooking, ever."""

import asyncio
from datetime import timedelta

import pytest

from domain.db import fetch, fetchval
from domain.errors import Conflict, Invalid
from domain.events import service as events
from tests.events_support import create_event, person, statuses


async def _people(count: int, prefix: str = "p") -> list[int]:
    rows = await fetch(
        "INSERT INTO people (email, full_name, source, created_at, updated_at) "
        "SELECT $1 || n || '@example.com', 'Person ' || n, 'test', now(), now() "
        "FROM generate_series(1, $2) AS n ORDER BY n RETURNING id", prefix, count)
    return sorted(row["id"] for row in rows)


async def _taken(event_id: int) -> int:
    return int(await fetchval("SELECT taken FROM events WHERE id = $1", event_id))


async def test_500_concurrent_registrations_for_100_seats(clock):
    event = await create_event(capacity=100)
    people = await _people(500)
    results = await asyncio.gather(
        *(events.register("meetup", pid, clock=clock, queue=None) for pid in people))
    by_status = [r["status"] for r in results]
    assert by_status.count("registered") == 100
    assert by_status.count("waitlisted") == 400
    assert await _taken(event["id"]) == 100
    rows = await statuses(event["id"])
    waitlisted = [row["position"] for row in rows if row["status"] == "waitlisted"]
    assert len(waitlisted) == 400
    assert len(set(waitlisted)) == 400
    assert waitlisted == sorted(waitlisted)


async def test_parallel_double_submit_registers_once(clock):
    event = await create_event(capacity=10)
    pid = await person("ann@example.com")
    results = await asyncio.gather(
        *(events.register("meetup", pid, clock=clock, queue=None) for _ in range(50)))
    assert {r["id"] for r in results} == {results[0]["id"]}
    assert len(await statuses(event["id"])) == 1
    assert await _taken(event["id"]) == 1


async def test_50_concurrent_cancellations_promote_50_in_fifo_order(clock):
    event = await create_event(capacity=50)
    people = await _people(110)
    registrations = [await events.register("meetup", pid, clock=clock, queue=None)
                     for pid in people]
    seated = [r["id"] for r in registrations if r["status"] == "registered"]
    waiting = [r["person"] for r in registrations if r["status"] == "waitlisted"]
    await asyncio.gather(*(events.cancel(rid, clock=clock, queue=None) for rid in seated))
    rows = await statuses(event["id"])
    offered = [row["person"] for row in rows if row["status"] == "offered"]
    assert offered == waiting[:50]
    assert await _taken(event["id"]) == 50
    offers = await fetchval("SELECT count(*) FROM engagement_events WHERE type = 'event_offered'")
    assert offers == 50


async def test_expired_offer_passes_the_seat_on(clock):
    event = await create_event(capacity=1, offer_hours=6)
    first, second, third = [await person(f"{n}@example.com") for n in ("a", "b", "c")]
    seat = await events.register("meetup", first, clock=clock, queue=None)
    await events.register("meetup", second, clock=clock, queue=None)
    await events.register("meetup", third, clock=clock, queue=None)
    await events.cancel(seat["id"], clock=clock, queue=None)
    clock.advance(hours=5)
    assert await events.expire_offers(clock=clock, queue=None) == 0
    clock.advance(hours=2)
    assert await events.expire_offers(clock=clock, queue=None) == 1
    rows = {row["person"]: row["status"] for row in await statuses(event["id"])}
    assert rows == {first: "cancelled", second: "cancelled", third: "offered"}
    assert await _taken(event["id"]) == 1


async def test_accepting_an_offer_confirms_and_a_lapsed_one_is_refused(clock):
    await create_event(capacity=1, offer_hours=6)
    first, second = await person("a@example.com"), await person("b@example.com")
    seat = await events.register("meetup", first, clock=clock, queue=None)
    waiting = await events.register("meetup", second, clock=clock, queue=None)
    await events.cancel(seat["id"], clock=clock, queue=None)
    accepted = await events.accept_offer(waiting["id"], clock=clock, queue=None)
    assert accepted["status"] == "registered"
    clock.advance(hours=7)
    assert await events.expire_offers(clock=clock, queue=None) == 0


async def test_lowering_capacity_below_taken_is_refused_and_raising_offers(clock):
    event = await create_event(capacity=2)
    people = await _people(3)
    for pid in people:
        await events.register("meetup", pid, clock=clock, queue=None)
    with pytest.raises(Conflict):
        await events.set_capacity(event["id"], 1, clock=clock, queue=None)
    await events.set_capacity(event["id"], 3, clock=clock, queue=None)
    assert [row["status"] for row in await statuses(event["id"])] == [
        "registered", "registered", "offered"]
    assert await _taken(event["id"]) == 3


@pytest.mark.parametrize("overrides", [
    {"status": "draft"}, {"status": "cancelled"},
])
async def test_closed_events_refuse_registration(clock, overrides):
    await create_event(**overrides)
    with pytest.raises(Invalid):
        await events.register("meetup", await person("a@example.com"), clock=clock, queue=None)


async def test_registration_after_the_deadline_is_refused(clock):
    await create_event(deadline=clock.now() - timedelta(minutes=1))
    with pytest.raises(Invalid, match="closed"):
        await events.register("meetup", await person("a@example.com"), clock=clock, queue=None)


async def test_registering_is_recorded_but_is_not_marketing_consent(clock):
    await create_event()
    pid = await person("a@example.com")
    await events.register("meetup", pid, clock=clock, queue=None)
    kinds = await fetch("SELECT type FROM engagement_events WHERE person = $1", pid)
    assert [row["type"] for row in kinds] == ["event_registered"]
    assert await fetchval("SELECT count(*) FROM consent_records WHERE person = $1", pid) == 0


async def test_re_registering_after_cancelling_goes_to_the_back(clock):
    event = await create_event(capacity=1)
    first, second = await person("a@example.com"), await person("b@example.com")
    seat = await events.register("meetup", first, clock=clock, queue=None)
    await events.register("meetup", second, clock=clock, queue=None)
    await events.cancel(seat["id"], clock=clock, queue=None)
    again = await events.register("meetup", first, clock=clock, queue=None)
    assert again["status"] == "waitlisted"
    assert await _taken(event["id"]) == 1


async def test_erasing_an_attendee_frees_their_seat_for_the_waitlist(clock):
    from domain.privacy import service as privacy

    event = await create_event(capacity=1)
    ann, bob = await person("ann@example.com"), await person("bob@example.com")
    await events.register(event["slug"], ann, clock=clock, queue=None)
    await events.register(event["slug"], bob, clock=clock, queue=None)
    await privacy.erase_account(person_id=ann, clock=clock, queue=None)
    assert await fetchval("SELECT taken FROM events WHERE id = $1", event["id"]) == 1
    remaining = await statuses(event["id"])
    assert [(row["person"], row["status"]) for row in remaining] == [(bob, "offered")]


async def _habitual_no_show(email: str) -> int:
    """A person who registered for two past events and came to neither."""
    person_id = await person(email)
    for slug in ("past-1", "past-2"):
        past = await create_event(slug, status="published", capacity=None)
        await fetch("INSERT INTO event_registrations (event, person, status, created_at, "
                    "updated_at) VALUES ($1, $2, 'no_show', now(), now())",
                    past["id"], person_id)
    return person_id


@pytest.mark.parametrize("option", [True, False])
async def test_habitual_no_shows_wait_until_two_days_before_when_the_host_asks(clock, option):
    event = await create_event(capacity=5)
    await fetch("UPDATE events SET habitual_no_shows_waitlisted = $2 WHERE id = $1",
                event["id"], option)
    flaky = await _habitual_no_show("flaky@example.com")
    reliable = await person("reliable@example.com")
    held = await events.register("meetup", flaky, clock=clock, queue=None)
    seated = await events.register("meetup", reliable, clock=clock, queue=None)
    assert seated["status"] == "registered"
    if not option:
        assert held["status"] == "registered"
        return
    assert held["status"] == "waitlisted"
    await events.expire_offers(clock=clock, queue=None)  # the minute cron: not yet
    assert await _status(held["id"]) == "waitlisted"
    clock.current = event["starts_at"] - timedelta(hours=47)
    await events.expire_offers(clock=clock, queue=None)
    assert await _status(held["id"]) == "offered"
    assert await _taken(event["id"]) == 2


async def _status(registration_id: int) -> str:
    return str(await fetchval("SELECT status FROM event_registrations WHERE id = $1",
                              registration_id))
