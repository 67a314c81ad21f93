"""Availability requests against the real database: one open request per application and
stage however often (or concurrently) they are asked for, a constant number of statements
for a bulk move, the candidate's answer stored in UTC with the recruiters told, and the
email's signed link through the real worker."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime

import pytest

from domain.accounts import service as accounts
from domain.consent import service as consent
from domain.db import fetch, fetchval
from domain.errors import Conflict
from domain.interviews import availability, links
from domain.interviews import availability_rules as rules
from domain.mail import service as mail_service
from domain.outbox import service as outbox
from tests.events_support import person
from tests.jobs_support import create_application, create_requisition, stages

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def _world(count: int = 3, clock=None) -> dict:
    staff = await accounts.create_user(email="rec@corp.test", full_name="Rita Recruiter",
                                       roles=["recruiter"], password="a-long-test-password",
                                       clock=clock)
    requisition = await create_requisition(members={staff.id: "recruiter"})
    applications = [await create_application(requisition["id"],
                                             await person(f"c{n}@example.com", f"Cand {n}"),
                                             stage="Interview") for n in range(count)]
    stage_id = (await stages(requisition["id"]))["Interview"]
    return {"staff": staff, "requisition": requisition, "stage": stage_id,
            "applications": [a["id"] for a in applications]}


class StatementCounter:
    """Counts the statements the availability code sends (our own fetch, wrapped, not
    replaced: every statement still runs against the database)."""

    def __init__(self, monkeypatch) -> None:
        self.count = 0
        for module in (availability, mail_service, outbox, consent):
            original = module.fetch

            async def counted(sql, *args, _original=original):
                self.count += 1
                return await _original(sql, *args)

            monkeypatch.setattr(module, "fetch", counted)


async def test_a_bulk_request_takes_the_same_statements_for_3_or_60(clock, monkeypatch):
    w = await _world(63, clock)
    counter = StatementCounter(monkeypatch)
    small = await availability.request_many(w["applications"][:3], stage_id=w["stage"],
                                            by="automation", now=NOW)
    small_count, counter.count = counter.count, 0
    big = await availability.request_many(w["applications"][3:], stage_id=w["stage"],
                                          by="automation", now=NOW)
    assert len(small) == 3 and len(big) == 60
    assert counter.count == small_count <= 6
    assert await fetchval("SELECT count(*) FROM outbound_emails "
                          "WHERE template = 'availability_request'") == 63
    assert await fetchval("SELECT count(*) FROM outbox_messages") == 63
    assert await fetchval("SELECT count(*) FROM audit_entries "
                          "WHERE action = 'interview.availability_requested'") == 63
    assert await fetchval("SELECT count(*) FROM engagement_events "
                          "WHERE type = 'availability_requested'") == 63


async def test_only_applications_without_an_open_request_get_one(clock, queue):
    w = await _world(3, clock)
    first, second, third = w["applications"]
    assert len(await availability.request_many([first], stage_id=w["stage"], by="a@b.c",
                                               now=NOW, queue=queue)) == 1
    await fetch("UPDATE applications SET status = 'rejected' WHERE id = $1", third)
    created = await availability.request_many([first, second, third, second],
                                              stage_id=w["stage"], by="a@b.c", now=NOW)
    assert len(created) == 1
    assert await fetchval("SELECT application FROM availability_requests WHERE id = $1",
                          created[0]) == second
    assert await availability.request_many([], stage_id=w["stage"], by="x", now=NOW) == []
    with pytest.raises(Conflict):
        await availability.request_one(first, by="rec@corp.test", now=NOW)
    with pytest.raises(Conflict):
        await availability.request_one(third, by="rec@corp.test", now=NOW)
    # A submitted or cancelled request is not open: asking again is allowed.
    await availability.cancel(created[0], by="rec@corp.test", now=NOW)
    again = await availability.request_one(second, by="rec@corp.test", now=NOW)
    assert await fetchval("SELECT stage FROM availability_requests WHERE id = $1",
                          again) == w["stage"]


async def test_two_bulk_moves_at_once_open_one_request_each(clock):
    w = await _world(5, clock)
    results = await asyncio.gather(*(
        availability.request_many(w["applications"], stage_id=w["stage"], by="automation",
                                  now=NOW) for _ in range(2)))
    assert sorted(len(r) for r in results) == [0, 5]
    assert await fetchval("SELECT count(*) FROM availability_requests") == 5
    assert await fetchval("SELECT count(*) FROM outbound_emails") == 5


async def test_the_profile_zone_is_kept_and_suppressed_addresses_get_no_mail(clock):
    w = await _world(2, clock)
    first, second = w["applications"]
    person_id = await fetchval("SELECT person FROM applications WHERE id = $1", first)
    await fetch("INSERT INTO profiles (person, time_zone, updated_at) VALUES ($1, "
                "'America/New_York', now())", person_id)
    blocked = await fetchval("SELECT p.email FROM people p JOIN applications a "
                             "ON a.person = p.id WHERE a.id = $1", second)
    await fetch("INSERT INTO suppressions (email_hash, reason, created_at) "
                "VALUES ($1, 'hard_bounce', now())",
                consent.suppression.email_hash(blocked))
    await availability.request_many([first, second], stage_id=w["stage"], by="automation",
                                    now=NOW)
    zones = await fetch("SELECT application, time_zone FROM availability_requests "
                        "ORDER BY application")
    assert [z["time_zone"] for z in zones] == ["America/New_York", ""]
    assert [r["to_address"] for r in await fetch("SELECT to_address FROM outbound_emails")] \
        == ["c0@example.com"]


def _answer(zone: str, *rows: tuple[str, str, str]) -> rules.Availability:
    raw = {"time_zone": zone, "note": "Mornings are best."}
    for index, (day, start, end) in enumerate(rows, start=1):
        raw |= {f"date-{index}": day, f"from-{index}": start, f"to-{index}": end}
    answer, errors = rules.parse_availability(raw, now=NOW)
    assert not errors, errors
    assert answer is not None
    return answer


async def test_the_answer_is_stored_in_utc_and_the_recruiters_are_told(clock, queue, mail,
                                                                      worker_burst):
    w = await _world(1, clock)
    (request_id,) = await availability.request_many(w["applications"], stage_id=w["stage"],
                                                    by="automation", now=NOW, queue=queue)
    await worker_burst()
    (asked,) = mail.find(to="c0@example.com", subject_contains="When can you interview")
    url = links.availability_url(request_id).split("/interviews/availability/")[0]
    match = re.search(re.escape(url) + r"/interviews/availability/([\w.\-]+)", asked.text_body)
    assert match and links.availability_request_from_token(match.group(1)) == request_id
    # New York is UTC-5 in November: 09:00-12:00 there is 14:00-17:00 UTC.
    answer = _answer("America/New_York", ("2026-11-05", "09:00", "12:00"),
                     ("2026-11-04", "16:30", "18:00"))
    await availability.submit(request_id, answer, clock=clock, queue=queue)
    row = (await fetch("SELECT * FROM availability_requests WHERE id = $1", request_id))[0]
    windows = json.loads(row["windows"]) if isinstance(row["windows"], str) else row["windows"]
    assert row["status"] == "submitted" and row["submitted_at"] == NOW
    assert row["time_zone"] == "America/New_York" and row["note"] == "Mornings are best."
    assert [datetime.fromisoformat(w_["starts_at"]) for w_ in windows] == [
        datetime(2026, 11, 4, 21, 30, tzinfo=UTC), datetime(2026, 11, 5, 14, 0, tzinfo=UTC)]
    assert datetime.fromisoformat(windows[1]["ends_at"]) == datetime(2026, 11, 5, 17, 0,
                                                                     tzinfo=UTC)
    assert await fetchval("SELECT count(*) FROM audit_entries "
                          "WHERE action = 'interview.availability_submitted'") == 1
    assert await fetchval("SELECT count(*) FROM engagement_events "
                          "WHERE type = 'availability_submitted'") == 1
    await worker_burst()
    (told,) = mail.find(to="rec@corp.test", subject_contains="Availability received")
    assert "Thu 5 Nov 2026, 09:00 to 12:00 (America/New_York)" in told.text_body
    assert f"/backoffice/applications/{w['applications'][0]}" in told.text_body
    with pytest.raises(Conflict, match="already sent"):
        await availability.submit(request_id, answer, clock=clock, queue=queue)
    # The scheduler sees the windows in their own zone.
    (shown,) = await availability.submitted_windows(w["applications"][0], "Europe/Paris")
    assert shown["windows"][1][0].strftime("%d %H:%M %Z") == "05 15:00 CET"


async def test_a_cancelled_request_takes_no_answer(clock):
    w = await _world(1, clock)
    (request_id,) = await availability.request_many(w["applications"], stage_id=w["stage"],
                                                    by="automation", now=NOW)
    await availability.cancel(request_id, by="rec@corp.test", now=NOW)
    with pytest.raises(Conflict, match="no longer need"):
        await availability.submit(request_id, _answer("UTC", ("2026-11-05", "09:00",
                                                               "10:00")),
                                  clock=clock, queue=None)
    with pytest.raises(Conflict):
        await availability.cancel(request_id, by="rec@corp.test", now=NOW)


async def test_scheduling_or_a_decision_closes_an_unanswered_request(clock):
    from domain.interviews import service as interviews
    from domain.interviews.rules import InterviewDraft

    w = await _world(2, clock)
    scheduled, rejected = w["applications"]
    first, second = await availability.request_many(w["applications"], stage_id=w["stage"],
                                                    by="automation", now=NOW)
    draft = InterviewDraft(title="Technical interview", panelists=[w["staff"].id],
                           duration_minutes=60, time_zone="UTC", location="Room 4",
                           join_url="", starts_at=datetime(2026, 11, 9, 10, tzinfo=UTC),
                           slots=[])
    await interviews.schedule(scheduled, draft, by=w["staff"], clock=clock, queue=None)
    assert await fetchval("SELECT status FROM availability_requests WHERE id = $1",
                          first) == "cancelled"
    await fetch("UPDATE applications SET status = 'rejected' WHERE id = $1", rejected)
    answer = _answer("UTC", ("2026-11-05", "09:00", "10:00"))
    for request_id in (first, second):
        with pytest.raises(Conflict, match="no longer need"):
            await availability.submit(request_id, answer, clock=clock, queue=None)
    assert await fetchval("SELECT count(*) FROM availability_requests "
                          "WHERE status = 'cancelled'") == 2
    assert await fetchval("SELECT count(*) FROM outbound_emails "
                          "WHERE template = 'availability_submitted'") == 0
