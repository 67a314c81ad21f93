"""Bulk actions on an explicit selection of one requisition's applications.

Only the ids the recruiter ticked are touched, and only those that belong to this
requisition: anything else is reported back, never acted on. The whole selection goes
in one transaction through the set-based writer, so 1,000 moves are a handful of
statements rather than 1,000 round trips.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.db import transaction
from domain.errors import Invalid
from domain.pipeline import transitions
from domain.pipeline.moves import DECISION_KINDS, reason_label, stage_of, stage_of_kind
from domain.pipeline.transitions import Change
from domain.ports import Clock

MAX_SELECTION = 5000


@dataclass(frozen=True)
class BulkResult:
    done: list[int] = field(default_factory=list)
    # Ids not in this requisition (or gone): ignored.
    foreign: list[int] = field(default_factory=list)
    # In this requisition but not changeable (decided already, or already in the stage).
    skipped: list[int] = field(default_factory=list)


def _selection(ids: list[int]) -> list[int]:
    unique = sorted(set(ids))
    if not unique:
        raise Invalid("Tick at least one application.", {"ids": "Tick at least one."})
    if len(unique) > MAX_SELECTION:
        raise Invalid(f"Select at most {MAX_SELECTION} applications at a time.")
    return unique


async def _apply(requisition_id: int, ids: list[int], change: Change,
                 *, keep) -> BulkResult:
    wanted = _selection(ids)
    rows = await transitions.lock(requisition_id, wanted)
    found = {row["id"] for row in rows}
    eligible = [row for row in rows if keep(row)]
    done = await transitions.write(eligible, change)
    return BulkResult(done=done, foreign=[i for i in wanted if i not in found],
                      skipped=sorted(found - set(done)))


async def move(requisition_id: int, ids: list[int], to_stage_id: int, *, by: str,
               clock: Clock) -> BulkResult:
    async with transaction():
        stage = await stage_of(requisition_id, to_stage_id)
        if stage["kind"] in DECISION_KINDS:
            raise Invalid("Reject, withdraw and hire have their own actions.",
                          {"to_stage": "Choose an open stage."})
        change = Change("moved", stage, by, clock.now())
        return await _apply(requisition_id, ids, change, keep=lambda row: (
            row["status"] == "active" and row["stage"] != stage["id"]))


async def reject(requisition_id: int, ids: list[int], reason_id: int | None, *, by: str,
                 note: str = "", clock: Clock) -> BulkResult:
    async with transaction():
        label = await reason_label(reason_id, "company")
        stage = await stage_of_kind(requisition_id, "rejected")
        note = note.strip()[:1000]
        change = Change("rejected", stage, by, clock.now(),
                        f"{label} — {note}" if note else label, reason_id)
        return await _apply(requisition_id, ids, change,
                            keep=lambda row: row["status"] == "active")
