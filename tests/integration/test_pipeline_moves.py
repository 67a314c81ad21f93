"""Pipeline actions against the real database: one transition, audit entry and timeline
event per action; row locks serialise concurrent moves; stale moves and overfilling hires
are refused; bulk actions touch exactly the selection."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from domain.db import engine, fetch, fetchval
from domain.errors import Conflict, Invalid
from domain.pipeline import board, bulk, moves
from tests.events_support import person
from tests.jobs_support import create_application, create_requisition, stages

pytestmark = pytest.mark.usefixtures("clean_state")


async def reason(label: str = "Skills do not match", by: str = "company",
                 active: bool = True) -> int:
    return int(await fetchval(
        "INSERT INTO rejection_reasons (label, by, email_template, is_active, created_at) "
        "VALUES ($1, $2, '', $3, now()) RETURNING id", label, by, active))


async def one_application(slug: str = "backend-engineer") -> tuple[dict, dict, dict]:
    requisition = await create_requisition(slug)
    application = await create_application(requisition["id"],
                                           await person(f"ann@{slug}.example"))
    return requisition, application, await stages(requisition["id"])


async def written(application_id: int) -> tuple[list[dict], list[dict], list[dict]]:
    transitions = await fetch("SELECT * FROM stage_transitions WHERE application = $1 "
                              "AND kind <> 'applied' ORDER BY id", application_id)
    audit = await fetch("SELECT * FROM audit_entries WHERE subject = $1 ORDER BY id",
                        f"application:{application_id}")
    events = await fetch("SELECT type FROM engagement_events ORDER BY id")
    return transitions, audit, events


async def current(application_id: int) -> dict:
    return (await fetch("SELECT * FROM applications WHERE id = $1", application_id))[0]


async def test_a_move_writes_one_transition_one_audit_entry_and_a_timeline_event(clock):
    _, application, stage = await one_application()
    clock.advance(days=3)
    await moves.move(application["id"], stage["Screen"], by="rec@test.local", clock=clock)
    transitions, audit, events = await written(application["id"])
    assert [(t["from_stage"], t["to_stage"], t["kind"], t["by"], t["at"])
            for t in transitions] == [(stage["Applied"], stage["Screen"], "moved",
                                       "rec@test.local", clock.now())]
    assert [(a["action"], a["actor"]) for a in audit] == [("application.moved",
                                                           "rec@test.local")]
    assert [e["type"] for e in events] == ["application_stage_changed"]
    row = await current(application["id"])
    assert row["stage"] == stage["Screen"] and row["stage_entered_at"] == clock.now()
    assert row["last_action_at"] == clock.now()


async def test_reject_needs_an_active_company_reason_and_lands_in_the_rejected_stage(clock):
    _, application, stage = await one_application()
    candidate_side = await reason("Took another job", by="candidate")
    retired = await reason("Old reason", active=False)
    for bad in (None, candidate_side, retired):
        with pytest.raises(Invalid, match="reason"):
            await moves.reject(application["id"], bad, by="rec@test.local", clock=clock)
    chosen = await reason()
    await moves.reject(application["id"], chosen, by="rec@test.local", note="Junior",
                       clock=clock)
    row = await current(application["id"])
    assert (row["status"], row["stage"], row["rejection_reason"], row["decided_at"]) == \
        ("rejected", stage["Rejected"], chosen, clock.now())
    transitions, audit, events = await written(application["id"])
    assert [(t["kind"], t["reason"]) for t in transitions] == \
        [("rejected", "Skills do not match — Junior")]
    assert len(audit) == 1 and [e["type"] for e in events] == ["application_rejected"]


async def test_withdraw_and_reopen_each_write_one_transition(clock):
    _, application, stage = await one_application()
    await moves.move(application["id"], stage["Interview"], by="rec@test.local", clock=clock)
    with pytest.raises(Invalid, match="reason"):
        await moves.withdraw_for_candidate(application["id"], await reason(), by="r",
                                           clock=clock)
    await moves.withdraw_for_candidate(application["id"], await reason("Took another job",
                                                                       by="candidate"),
                                       by="rec@test.local", clock=clock)
    assert (await current(application["id"]))["status"] == "withdrawn"
    with pytest.raises(Invalid, match="reopen it"):
        await moves.move(application["id"], stage["Screen"], by="rec@test.local", clock=clock)
    await moves.reopen(application["id"], by="rec@test.local", clock=clock)
    row = await current(application["id"])
    assert (row["status"], row["stage"], row["decided_at"]) == ("active", stage["Applied"],
                                                                None)
    transitions, audit, _ = await written(application["id"])
    assert [t["kind"] for t in transitions] == ["moved", "withdrawn", "reopened"]
    assert [a["action"] for a in audit] == ["application.moved", "application.withdrawn",
                                            "application.reopened"]


async def test_illegal_moves_are_refused_with_a_clear_message(clock):
    _, application, stage = await one_application()
    other = await create_requisition("designer")
    foreign = (await stages(other["id"]))["Screen"]
    with pytest.raises(Invalid, match="not one of this requisition's stages"):
        await moves.move(application["id"], foreign, by="r", clock=clock)
    with pytest.raises(Invalid, match="Use Hire"):
        await moves.move(application["id"], stage["Hired"], by="r", clock=clock)
    with pytest.raises(Invalid, match="already in"):
        await moves.move(application["id"], stage["Applied"], by="r", clock=clock)
    await moves.reject(application["id"], await reason(), by="r", clock=clock)
    with pytest.raises(Invalid, match="rejected; reopen it"):
        await moves.move(application["id"], stage["Screen"], by="r", clock=clock)
    with pytest.raises(Invalid, match="rejected; reopen it"):
        await moves.hire(application["id"], by="r", clock=clock)
    transitions, _, _ = await written(application["id"])
    assert [t["kind"] for t in transitions] == ["rejected"]


async def test_a_stale_move_is_refused(clock):
    _, application, stage = await one_application()
    await moves.move(application["id"], stage["Screen"], by="a", clock=clock,
                     expected_from=stage["Applied"])
    with pytest.raises(Conflict, match="moved this application meanwhile"):
        await moves.move(application["id"], stage["Interview"], by="b", clock=clock,
                         expected_from=stage["Applied"])
    assert (await current(application["id"]))["stage"] == stage["Screen"]


async def test_concurrent_moves_of_one_application_wait_for_the_row_lock(clock):
    _, application, stage = await one_application()
    conn = await engine().get_new_connection()
    try:
        holder = conn.transaction()
        await holder.start()
        await conn.execute("SELECT 1 FROM applications WHERE id = $1 FOR UPDATE",
                           application["id"])
        first = asyncio.create_task(moves.move(application["id"], stage["Screen"], by="a",
                                               clock=clock))
        second = asyncio.create_task(moves.move(application["id"], stage["Interview"],
                                                by="b", clock=clock))
        await asyncio.sleep(0.3)
        assert not first.done() and not second.done()  # both wait for the lock
        await holder.commit()
        await asyncio.gather(first, second)
    finally:
        await conn.close()
    transitions, _, _ = await written(application["id"])
    # Serialised: the second move starts where the first one ended.
    assert transitions[1]["from_stage"] == transitions[0]["to_stage"]
    assert {t["to_stage"] for t in transitions} == {stage["Screen"], stage["Interview"]}


async def test_two_concurrent_hires_for_one_opening_make_one_hire_and_close(clock):
    requisition = await create_requisition()
    first = await create_application(requisition["id"], await person("a@example.com"))
    second = await create_application(requisition["id"], await person("b@example.com"))
    results = await asyncio.gather(
        moves.hire(first["id"], by="r", clock=clock),
        moves.hire(second["id"], by="r", clock=clock), return_exceptions=True)
    assert sorted(type(result).__name__ for result in results) == ["Conflict", "NoneType"]
    row = (await fetch("SELECT * FROM requisitions WHERE id = $1", requisition["id"]))[0]
    assert (row["filled"], row["status"], row["close_reason"]) == (1, "closed", "filled")
    hired = await fetch("SELECT id FROM applications WHERE status = 'hired'")
    assert len(hired) == 1
    assert await fetchval("SELECT count(*) FROM stage_transitions WHERE kind = 'hired'") == 1
    assert await fetchval("SELECT count(*) FROM audit_entries "
                          "WHERE action = 'application.hired'") == 1


async def test_bulk_move_of_3_of_50_touches_exactly_3(clock):
    requisition = await create_requisition()
    other = await create_requisition("designer")
    stage = await stages(requisition["id"])
    ids = [(await create_application(requisition["id"],
                                     await person(f"p{i}@example.com")))["id"]
           for i in range(50)]
    stranger = (await create_application(other["id"], await person("x@example.com")))["id"]
    chosen = [ids[3], ids[17], ids[41]]
    result = await bulk.move(requisition["id"], [*chosen, stranger], stage["Screen"],
                             by="rec@test.local", clock=clock)
    assert (result.done, result.foreign, result.skipped) == (chosen, [stranger], [])
    moved = await fetch("SELECT id FROM applications WHERE stage = $1 ORDER BY id",
                        stage["Screen"])
    assert [row["id"] for row in moved] == chosen
    assert await fetchval("SELECT array_agg(application ORDER BY application) FROM "
                          "stage_transitions WHERE kind = 'moved'") == chosen
    assert await fetchval("SELECT count(*) FROM audit_entries "
                          "WHERE action = 'application.moved'") == 3
    assert await fetchval("SELECT count(*) FROM engagement_events") == 3


async def test_bulk_reject_skips_decided_ones_and_needs_a_reason(clock):
    requisition = await create_requisition()
    ids = [(await create_application(requisition["id"],
                                     await person(f"p{i}@example.com")))["id"]
           for i in range(4)]
    chosen = await reason()
    await moves.reject(ids[0], chosen, by="r", clock=clock)
    with pytest.raises(Invalid, match="reason"):
        await bulk.reject(requisition["id"], ids[:3], None, by="r", clock=clock)
    result = await bulk.reject(requisition["id"], ids[:3], chosen, by="r", clock=clock)
    assert (result.done, result.skipped) == (ids[1:3], [ids[0]])
    assert await fetchval("SELECT count(*) FROM stage_transitions "
                          "WHERE kind = 'rejected'") == 3
    assert (await current(ids[3]))["status"] == "active"


async def test_time_in_stage_derives_from_the_transitions(clock):
    requisition, application, stage = await one_application()
    await fetch("UPDATE stage_transitions SET at = $1", clock.now())
    clock.advance(days=2)
    await moves.move(application["id"], stage["Screen"], by="r", clock=clock)
    clock.advance(days=4)
    medians = await board.median_days(requisition["id"], now=clock.now())
    assert medians[stage["Applied"]] == 2.0 and medians[stage["Screen"]] == 4.0
    listed = (await board.page(requisition["id"])).rows[0]
    assert listed["stage_since"] == clock.now() - timedelta(days=4)
