"""Check-in, walk-ins, attendance by hand and by CSV, closing, history and ROI, on real
PostgreSQL. After every operation `events.taken` equals the registrations holding a seat."""

import asyncio
import codecs
from datetime import timedelta

import pytest

from domain.db import fetch, fetchval
from domain.errors import Conflict, Invalid
from domain.events import attendance, attendance_close, history, roi, rules
from domain.events import service as events
from domain.events.attendance import EventFull
from domain.events.attendance_import import ImportRejected, import_attendance
from domain.people import service as people
from tests.events_support import START, create_event, person

AFTER_END = START + timedelta(hours=3)


async def assert_taken_invariant(event_id: int) -> None:
    taken = await fetchval("SELECT taken FROM events WHERE id = $1", event_id)
    holding = await fetchval("SELECT count(*) FROM event_registrations WHERE event = $1 "
                             "AND status = ANY($2::varchar[])", event_id,
                             list(rules.SEAT_STATUSES))
    assert taken == holding


async def registered(email: str, clock, slug: str = "meetup") -> dict:
    found = await people.find_or_create(email=email, full_name=email.split("@")[0].title(),
                                        source="test", now=clock.now())
    return await events.register(slug, found["id"], clock=clock, queue=None)


async def status_of(registration_id: int) -> str:
    return await fetchval("SELECT status FROM event_registrations WHERE id = $1",
                          registration_id)


async def engagement_count(kind: str) -> int:
    return int(await fetchval("SELECT count(*) FROM engagement_events WHERE type = $1", kind))


# --- check-in -----------------------------------------------------------------------

async def test_twenty_concurrent_scans_of_one_ticket_check_in_once(clock):
    event = await create_event(capacity=5)
    ann = await registered("ann@example.com", clock)
    results = await asyncio.gather(*(attendance.check_in(ann["id"], by="door@test.local",
                                                         clock=clock) for _ in range(20)))
    outcomes = [r.outcome for r in results]
    assert outcomes.count("checked_in") == 1
    assert outcomes.count("already") == 19
    assert "already checked in at 10:00" in results[outcomes.index("already")].message
    assert await engagement_count("event_attended") == 1
    row = (await fetch("SELECT status, checked_in_at, checked_in_by FROM event_registrations "
                       "WHERE id = $1", ann["id"]))[0]
    assert row == {"status": "attended", "checked_in_at": clock.now(),
                   "checked_in_by": "door@test.local"}
    await assert_taken_invariant(event["id"])


async def test_already_checked_in_names_who_and_when_in_the_event_time_zone(clock, staff_user):
    await create_event(capacity=5)
    ann = await registered("ann@example.com", clock)
    await attendance.check_in(ann["id"], by=staff_user.email, clock=clock)
    again = await attendance.check_in(ann["id"], by="other@test.local", clock=clock)
    # 09:00 UTC is 10:00 in Paris, where the event happens.
    assert again.outcome == "already"
    assert again.message == "Ann is already checked in at 10:00 by Riley Recruiter."


async def test_check_in_refuses_waitlisted_offered_and_cancelled_with_the_reason(clock):
    event = await create_event(capacity=1)
    first = await registered("first@example.com", clock)
    offered = await registered("offered@example.com", clock)
    waiting = await registered("waiting@example.com", clock)
    await events.cancel(first["id"], clock=clock, queue=None)
    expected = {first["id"]: "cancelled their registration",
                offered["id"]: "offered a seat but has not accepted",
                waiting["id"]: "on the waiting list"}
    for registration_id, reason in expected.items():
        result = await attendance.check_in(registration_id, by="door@test.local", clock=clock)
        assert result.outcome == "refused"
        assert reason in result.message
    assert await engagement_count("event_attended") == 0
    await assert_taken_invariant(event["id"])


# --- walk-ins -----------------------------------------------------------------------

async def test_walk_in_when_full_is_refused_unless_admitted_over_capacity(clock):
    event = await create_event(capacity=2)
    await registered("a@example.com", clock)
    await registered("b@example.com", clock)
    with pytest.raises(EventFull, match=r"The event is full \(2/2\)\."):
        await attendance.walk_in(event["id"], email="Walk@Example.com", full_name="Wal K",
                                 by="door@test.local", admit_over_capacity=False, clock=clock)
    assert await fetchval("SELECT count(*) FROM people WHERE email = 'walk@example.com'") == 0
    await assert_taken_invariant(event["id"])

    result = await attendance.walk_in(event["id"], email="Walk@Example.com",
                                      full_name="Wal K", by="door@test.local",
                                      admit_over_capacity=True, clock=clock)
    assert result.outcome == "checked_in"
    assert result.registration["source"] == "walk_in"
    assert result.registration["status"] == "attended"
    assert await fetchval("SELECT taken FROM events WHERE id = $1", event["id"]) == 3
    audit = await fetch("SELECT actor, subject, detail FROM audit_entries "
                        "WHERE action = 'events.walk_in_over_capacity'")
    assert len(audit) == 1 and audit[0]["actor"] == "door@test.local"
    assert audit[0]["subject"] == f"event:{event['id']}"
    await assert_taken_invariant(event["id"])


async def test_walk_in_reuses_the_persons_registration(clock):
    event = await create_event(capacity=2)
    ann = await registered("ann@example.com", clock)
    await registered("bob@example.com", clock)
    waiting = await registered("cy@example.com", clock)
    result = await attendance.walk_in(event["id"], email="ann@example.com", full_name="Ann",
                                      by="door@test.local", admit_over_capacity=False,
                                      clock=clock)
    assert result.registration["id"] == ann["id"] and result.outcome == "checked_in"
    again = await attendance.walk_in(event["id"], email="ann@example.com", full_name="Ann",
                                     by="door@test.local", admit_over_capacity=False,
                                     clock=clock)
    assert again.outcome == "already"
    # Waitlisted and the event full: refused; after a raise in capacity, admitted.
    with pytest.raises(EventFull):
        await attendance.walk_in(event["id"], email="cy@example.com", full_name="Cy",
                                 by="door@test.local", admit_over_capacity=False, clock=clock)
    await fetch("UPDATE events SET capacity = 3 WHERE id = $1", event["id"])
    admitted = await attendance.walk_in(event["id"], email="cy@example.com", full_name="Cy",
                                        by="door@test.local", admit_over_capacity=False,
                                        clock=clock)
    assert admitted.registration["id"] == waiting["id"]
    assert admitted.registration["status"] == "attended"
    await assert_taken_invariant(event["id"])
    # Registering at the door is not marketing consent.
    assert await fetchval("SELECT count(*) FROM consent_records") == 0


async def test_walk_in_checks_fields(clock):
    event = await create_event(capacity=2)
    with pytest.raises(Invalid) as caught:
        await attendance.walk_in(event["id"], email="not-an-email", full_name="  ",
                                 by="door@test.local", admit_over_capacity=False, clock=clock)
    assert set(caught.value.errors) == {"email", "full_name"}


# --- by hand ------------------------------------------------------------------------

async def test_marking_by_hand_before_and_after_closing(clock):
    event = await create_event(capacity=5, kind="virtual")
    ann = await registered("ann@example.com", clock)
    assert (await attendance.mark(ann["id"], attended=True, by="h@test.local",
                                  clock=clock)).outcome == "checked_in"
    await attendance.mark(ann["id"], attended=False, by="h@test.local", clock=clock)
    assert await status_of(ann["id"]) == "registered"
    clock.current = AFTER_END
    await attendance_close.close_attendance(event["id"], clock=clock)
    assert await status_of(ann["id"]) == "no_show"
    await attendance.mark(ann["id"], attended=True, by="h@test.local", clock=clock)
    assert await status_of(ann["id"]) == "attended"
    await attendance.mark(ann["id"], attended=False, by="h@test.local", clock=clock)
    assert await status_of(ann["id"]) == "no_show"
    await assert_taken_invariant(event["id"])


# --- closing ------------------------------------------------------------------------

async def test_close_attendance_marks_no_shows_and_releases_holds_once(clock):
    event = await create_event(capacity=3)
    came = await registered("came@example.com", clock)
    absent = await registered("absent@example.com", clock)
    leaving = await registered("leaving@example.com", clock)
    offered = await registered("offered@example.com", clock)
    waiting = await registered("waiting@example.com", clock)
    await events.cancel(leaving["id"], clock=clock, queue=None)
    assert await status_of(offered["id"]) == "offered"
    await attendance.check_in(came["id"], by="door@test.local", clock=clock)
    with pytest.raises(Conflict, match="once the event has ended"):
        await attendance_close.close_attendance(event["id"], clock=clock)

    clock.current = AFTER_END
    closed = await attendance_close.close_attendance(event["id"], clock=clock, by="h@test.local")
    assert (closed.no_shows, closed.offers_released, closed.waitlist_closed) == (1, 1, 1)
    statuses = {rid: await status_of(rid) for rid in
                (came["id"], absent["id"], offered["id"], waiting["id"])}
    assert statuses == {came["id"]: "attended", absent["id"]: "no_show",
                        offered["id"]: "cancelled", waiting["id"]: "cancelled"}
    assert await engagement_count("event_no_show") == 1
    assert await fetchval("SELECT attendance_closed_at FROM events WHERE id = $1",
                          event["id"]) == AFTER_END
    await assert_taken_invariant(event["id"])
    # The waitlist cron must not offer the released seat for an event that is over.
    await events.expire_offers(clock=clock, queue=None)
    assert await fetchval("SELECT count(*) FROM event_registrations WHERE status = 'offered'") == 0

    clock.advance(hours=1)
    again = await attendance_close.close_attendance(event["id"], clock=clock)
    assert again.already and again.closed_at == AFTER_END
    assert await engagement_count("event_no_show") == 1
    await assert_taken_invariant(event["id"])


async def test_two_thousand_registrants_close_in_one_go(clock):
    event = await create_event(capacity=None)
    people = await fetch(
        "INSERT INTO people (email, full_name, source, created_at, updated_at) "
        "SELECT 'p' || n || '@example.com', 'Person ' || n, 'test', now(), now() "
        "FROM generate_series(1, 2000) AS n RETURNING id")
    await fetch("INSERT INTO event_registrations (event, person, status, created_at, updated_at) "
                "SELECT $1, id, 'registered', now(), now() FROM unnest($2::int[]) AS id",
                event["id"], [row["id"] for row in people])
    await fetch("UPDATE events SET taken = 2000 WHERE id = $1", event["id"])
    clock.current = AFTER_END
    closed = await attendance_close.close_attendance(event["id"], clock=clock)
    assert closed.no_shows == 2000
    assert await engagement_count("event_no_show") == 2000
    await assert_taken_invariant(event["id"])


async def test_cron_closes_in_person_events_sooner_than_virtual_ones(clock):
    in_person = await create_event("door", capacity=5)
    virtual = await create_event("online", capacity=5, kind="virtual")
    await registered("ann@example.com", clock, "door")
    await registered("ann@example.com", clock, "online")
    clock.current = in_person["ends_at"] + timedelta(hours=7)
    assert await attendance_close.close_due(clock=clock) == 1
    clock.current = virtual["ends_at"] + timedelta(hours=49)
    assert await attendance_close.close_due(clock=clock) == 1
    assert await attendance_close.close_due(clock=clock) == 0
    assert await history.no_show_counts([await person_id("ann@example.com")]) == {
        await person_id("ann@example.com"): 2}


async def person_id(email: str) -> int:
    return int(await fetchval("SELECT id FROM people WHERE email = $1", email))


# --- history ------------------------------------------------------------------------

async def test_no_show_history(clock):
    for slug in ("one", "two"):
        await create_event(slug, capacity=5)
        await registered("ann@example.com", clock, slug)
    bob = await person("bob@example.com")
    ann = await person_id("ann@example.com")
    assert not await history.is_habitual_no_show(ann)
    clock.current = AFTER_END
    for slug in ("one", "two"):
        event_id = await fetchval("SELECT id FROM events WHERE slug = $1", slug)
        await attendance_close.close_attendance(event_id, clock=clock)
    assert await history.no_show_counts([ann, bob]) == {ann: 2, bob: 0}
    assert await history.is_habitual_no_show(ann)
    assert not await history.is_habitual_no_show(ann, threshold=3)
    assert await history.no_show_counts([]) == {}


# --- CSV import ---------------------------------------------------------------------

async def virtual_event_with(clock, *emails: str) -> dict:
    event = await create_event(capacity=10, kind="virtual")
    for email in emails:
        await registered(email, clock)
    return event


async def snapshot(event_id: int) -> list[dict]:
    return await fetch("SELECT id, status, joined_at, attended_minutes FROM "
                       "event_registrations WHERE event = $1 ORDER BY id", event_id)


async def test_csv_errors_are_listed_by_row_and_column_and_nothing_changes(clock):
    event = await virtual_event_with(clock, "ann@example.com", "bob@example.com")
    before = await snapshot(event["id"])
    data = (b"Email,Joined at,Minutes\n"
            b"ann@example.com,2026-12-10 17:02,45\n"
            b"bob@example.com,yesterday,50\n"
            b"\n"
            b"ann@example.com,2026-12-10 17:30,abc\n"
            b"zed@example.com,2026-12-10 17:05,-3\n"
            b"bob@example.com,03/04/2026 17:00,5\n")
    with pytest.raises(ImportRejected) as caught:
        await import_attendance(event["id"], data, by="h@test.local", clock=clock)
    problems = caught.value.problems
    assert "Row 3, column 'Joined at': 'yesterday' is not a date and time" in problems[0]
    assert "Row 5, column 'Minutes': 'abc' is not a whole number" in problems
    assert "Row 6, column 'Email': zed@example.com is not registered for this event" \
        in problems[2]
    assert "Row 6, column 'Minutes': '-3' is negative" in problems[3]
    assert "Row 7, column 'Joined at': '03/04/2026 17:00' could be day/month" in problems[4]
    assert await snapshot(event["id"]) == before
    assert await engagement_count("event_attended") == 0


async def test_csv_with_bom_semicolons_and_header_variants_applies(clock):
    event = await virtual_event_with(clock, "ann@example.com", "bob@example.com",
                                     "cy@example.com")
    text = ("User Email;Join Time;Duration (Minutes)\r\n"
            "ANN@example.com;2026-12-10T18:02:00+01:00;40\r\n"
            "bob@example.com;12/10/2026 06:05:00 PM;30\r\n"
            "ann@example.com;2026-12-10 18:30;15\r\n")
    result = await import_attendance(event["id"], codecs.BOM_UTF8 + text.encode(),
                                     by="h@test.local", clock=clock)
    assert (result.rows, result.people, result.newly_attended) == (3, 2, 2)
    rows = {row["email"]: row for row in await fetch(
        "SELECT p.email, r.status, r.joined_at, r.attended_minutes FROM event_registrations r "
        "JOIN people p ON p.id = r.person WHERE r.event = $1", event["id"])}
    assert rows["ann@example.com"]["status"] == "attended"
    assert rows["ann@example.com"]["attended_minutes"] == 55  # two sessions added up
    assert rows["ann@example.com"]["joined_at"] == START + timedelta(minutes=2)
    assert rows["bob@example.com"]["joined_at"] == START + timedelta(minutes=5)  # Paris time
    assert rows["cy@example.com"]["status"] == "registered"
    assert await engagement_count("event_attended") == 2
    await assert_taken_invariant(event["id"])
    # Importing again updates without a second timeline entry.
    again = await import_attendance(event["id"], text.encode(), by="h@test.local", clock=clock)
    assert (again.newly_attended, again.updated) == (0, 2)
    assert await engagement_count("event_attended") == 2


async def test_csv_from_teams_utf16_tabs_after_closing_turns_no_shows_into_attendees(clock):
    event = await virtual_event_with(clock, "ann@example.com")
    clock.current = START + timedelta(days=3)
    await attendance_close.close_attendance(event["id"], clock=clock)
    text = "Email\tFirst Join\tMinutes\nann@example.com\t12/10/26, 5:03:12 PM\t61\n"
    await import_attendance(event["id"], codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
                            by="h@test.local", clock=clock)
    assert await status_of((await snapshot(event["id"]))[0]["id"]) == "attended"
    await assert_taken_invariant(event["id"])


@pytest.mark.parametrize(("data", "message"), [
    (b"", "The file is empty."),
    (b"name,minutes\nAnn,4\n", "'email', 'joined at' not found (found 'name', 'minutes')"),
    (b"email,joined at,minutes\n", "has a header but no attendance rows"),
    (b"x" * (5 * 1024 * 1024 + 1), "the limit is 5 MB"),
    (b"email,joined at,minutes\n" + b"a@example.com,2026-12-10 17:00,1\n" * 20_001,
     "more than 20,000 rows"),
])
async def test_csv_file_problems_are_explained(clock, data, message):
    event = await virtual_event_with(clock, "a@example.com")
    with pytest.raises(ImportRejected) as caught:
        await import_attendance(event["id"], data, by="h@test.local", clock=clock)
    assert message in caught.value.problems[0]


# --- ROI ----------------------------------------------------------------------------

async def test_funnel_counts_people_behind_each_stage(clock, community):
    event = await create_event(capacity=5)
    ann = await registered("ann@example.com", clock)
    bob = await registered("bob@example.com", clock)
    gone = await registered("gone@example.com", clock)
    await events.cancel(gone["id"], clock=clock, queue=None)
    await attendance.check_in(ann["id"], by="door@test.local", clock=clock)
    await attendance.check_in(bob["id"], by="door@test.local", clock=clock)
    await fetch("INSERT INTO community_memberships (person, community, status, requested_at, "
                "confirmed_at) VALUES ($1, $2, 'confirmed', $3, $3)",
                ann["person"], community["id"], clock.now() + timedelta(days=1))
    funnel = {stage.key: stage for stage in await roi.funnel(event["id"])}
    assert funnel["registered"].count == 3  # the one who cancelled had held a seat
    assert funnel["attended"].count == 2 and funnel["attended"].percent == 67
    assert [p["email"] for p in funnel["joined"].people] == ["ann@example.com"]
    assert funnel["applied"].tracked and funnel["applied"].count == 0

    # Ann applies after the event and is hired; Bob had applied before registering.
    from tests.jobs_support import create_application, create_requisition

    requisition = await create_requisition()
    hired = await create_application(requisition["id"], ann["person"])
    await fetch("UPDATE applications SET status = 'hired', applied_at = $2 WHERE id = $1",
                hired["id"], clock.now() + timedelta(days=2))
    before = await create_application(requisition["id"], bob["person"])
    await fetch("UPDATE applications SET applied_at = $2 WHERE id = $1",
                before["id"], clock.now() - timedelta(days=30))
    funnel = {stage.key: stage for stage in await roi.funnel(event["id"])}
    assert [p["email"] for p in funnel["applied"].people] == ["ann@example.com"]
    assert funnel["hired"].count == 1 and funnel["hired"].percent == 100
