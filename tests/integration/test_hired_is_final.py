"""A hire cannot be undone: a hired application is refused, with a message that says so,
by reopen, move, reject, withdraw and a second hire, and skipped by the bulk actions.
Reopening a rejected silver medalist keeps the mark."""

from __future__ import annotations

import pytest

from domain.db import fetch, fetchval
from domain.errors import Invalid
from domain.pipeline import bulk, moves
from tests.events_support import person
from tests.jobs_support import create_application, create_requisition, stages

pytestmark = pytest.mark.usefixtures("clean_state")


async def _reason(by: str = "company") -> int:
    return int(await fetchval(
        "INSERT INTO rejection_reasons (label, by, email_template, is_active, created_at) "
        "VALUES ('Not this time (' || $1 || ')', $1, '', true, now()) RETURNING id", by))


async def test_a_hired_application_cannot_be_reopened_moved_or_rejected(clock):
    requisition = await create_requisition()
    requisition_id = requisition["id"]
    await fetch("UPDATE requisitions SET openings = 2 WHERE id = $1", requisition_id)
    hired = (await create_application(requisition_id, await person("ann@example.com"),
                                      "Offer"))["id"]
    other = (await create_application(requisition_id, await person("bob@example.com", "Bob"),
                                      "Offer"))["id"]
    await moves.hire(hired, by="rita@corp.test", clock=clock)
    stage = await stages(requisition_id)
    company, candidate = await _reason(), await _reason("candidate")
    refusals = [
        moves.reopen(hired, by="rita@corp.test", clock=clock),
        moves.move(hired, stage["Interview"], by="rita@corp.test", clock=clock),
        moves.reject(hired, company, by="rita@corp.test", clock=clock),
        moves.withdraw_for_candidate(hired, candidate, by="rita@corp.test", clock=clock),
        moves.hire(hired, by="rita@corp.test", clock=clock),
    ]
    for attempt in refusals:
        with pytest.raises(Invalid, match="was hired: a hire cannot be undone"):
            await attempt
    moved = await bulk.move(requisition_id, [hired, other], stage["Interview"],
                            by="rita@corp.test", clock=clock)
    assert moved.done == [other] and moved.skipped == [hired]
    rejected = await bulk.reject(requisition_id, [hired, other], company,
                                 by="rita@corp.test", clock=clock, notify=False)
    assert rejected.done == [other] and rejected.skipped == [hired]
    row = (await fetch("SELECT status, stage FROM applications WHERE id = $1", hired))[0]
    assert row["status"] == "hired" and row["stage"] == stage["Hired"]
    assert await fetchval("SELECT filled FROM requisitions WHERE id = $1",
                          requisition_id) == 1
    assert await fetchval("SELECT count(*) FROM stage_transitions WHERE application = $1",
                          hired) == 2  # applied, hired: nothing after


async def test_reopening_a_silver_medalist_keeps_the_mark(clock):
    requisition = await create_requisition()
    application = (await create_application(requisition["id"],
                                            await person("ann@example.com"), "Interview"))["id"]
    await moves.reject(application, await _reason(), by="rita@corp.test", clock=clock,
                       notify=False)
    await fetch("UPDATE applications SET silver_medalist = true WHERE id = $1", application)
    await moves.reopen(application, by="rita@corp.test", note="Back in the running",
                       clock=clock)
    row = (await fetch("SELECT status, silver_medalist FROM applications WHERE id = $1",
                       application))[0]
    assert row["status"] == "active" and row["silver_medalist"] is True
