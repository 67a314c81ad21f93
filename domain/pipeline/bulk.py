"""Bulk actions on an explicit selection of one requisition's applications.

Only the ids the recruiter ticked are touched, and only those that belong to this
requisition: anything else is reported back, never acted on. The whole selection goes
in one transaction through the set-based writer, so 1,000 moves are a handful of
statements rather than 1,000 round trips.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.audit import service as audit
from domain.db import fetch, transaction
from domain.errors import Invalid
from domain.hiring_emails import automation
from domain.people import tags
from domain.pipeline import transitions
from domain.pipeline.moves import DECISION_KINDS, reason_label, stage_of, stage_of_kind
from domain.pipeline.transitions import Change
from domain.ports import Clock, TaskQueue

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
                 *, keep, notify: bool = True, queue: TaskQueue | None = None) -> BulkResult:
    wanted = _selection(ids)
    rows = await transitions.lock(requisition_id, wanted)
    found = {row["id"] for row in rows}
    eligible = [row for row in rows if keep(row)]
    done = await transitions.write(eligible, change, notify=notify, queue=queue)
    return BulkResult(done=done, foreign=[i for i in wanted if i not in found],
                      skipped=sorted(found - set(done)))


async def move(requisition_id: int, ids: list[int], to_stage_id: int, *, by: str,
               clock: Clock, queue: TaskQueue | None = None) -> BulkResult:
    async with transaction():
        stage = await stage_of(requisition_id, to_stage_id)
        if stage["kind"] in DECISION_KINDS:
            raise Invalid("Reject, withdraw and hire have their own actions.",
                          {"to_stage": "Choose an open stage."})
        change = Change("moved", stage, by, clock.now())
        return await _apply(requisition_id, ids, change, keep=lambda row: (
            row["status"] == "active" and row["stage"] != stage["id"]), queue=queue)


async def reject(requisition_id: int, ids: list[int], reason_id: int | None, *, by: str,
                 note: str = "", clock: Clock, notify: bool = True,
                 queue: TaskQueue | None = None) -> BulkResult:
    async with transaction():
        label = await reason_label(reason_id, "company")
        stage = await stage_of_kind(requisition_id, "rejected")
        note = note.strip()[:1000]
        change = Change("rejected", stage, by, clock.now(),
                        f"{label} — {note}" if note else label, reason_id)
        return await _apply(requisition_id, ids, change,
                            keep=lambda row: row["status"] == "active", notify=notify,
                            queue=queue)


@dataclass(frozen=True)
class BulkEmailResult:
    queued: int
    # Selected, in this requisition, but not emailed: suppressed address, no address, or
    # already sent by this same action (a resubmitted form).
    skipped: int
    foreign: list[int] = field(default_factory=list)


async def _of_requisition(requisition_id: int, wanted: list[int]) -> list[dict]:
    return await fetch("SELECT id, person FROM applications WHERE id = ANY($1::int[]) "
                       "AND requisition = $2 ORDER BY id", wanted, requisition_id)


async def email(requisition_id: int, ids: list[int], template_key: str, *, batch: str,
                by: str, clock: Clock, queue: TaskQueue | None = None) -> BulkEmailResult:
    """Queue an active hiring email template to the candidates of exactly the selected
    applications. `batch` names this action (the form carries it), so submitting the
    same form twice queues nothing more."""
    wanted = _selection(ids)
    now = clock.now()
    async with transaction():
        template_id = await automation.active_template_id(template_key)
        if template_id is None:
            raise Invalid("Choose an active email template.",
                          {"template": "Choose an email template."})
        rows = await _of_requisition(requisition_id, wanted)
        found = [row["id"] for row in rows]
        queued = await automation.send({i: f"{batch}-{i}" for i in found}, template_id,
                                       stage_id=None, at=now, queue=queue, prefix="bulk")
        await audit.record(action="application.bulk_email", at=now, actor=by,
                           subject=f"requisition:{requisition_id}",
                           detail={"template": template_key, "applications": found,
                                   "queued": queued, "skipped": len(found) - queued})
    return BulkEmailResult(queued, len(found) - queued,
                           [i for i in wanted if i not in set(found)])


async def tag(requisition_id: int, ids: list[int], raw_tags: str, *, by: str,
              clock: Clock) -> tuple[int, list[int]]:
    """Tag the people of exactly the selected applications. Returns (people tagged,
    foreign ids ignored)."""
    wanted = _selection(ids)
    labels = tags.parse_tags(raw_tags)
    now = clock.now()
    async with transaction():
        rows = await _of_requisition(requisition_id, wanted)
        people = sorted({row["person"] for row in rows})
        added = await tags.add_tags(people, labels, by=by, at=now)
        await audit.record(action="application.bulk_tag", at=now, actor=by,
                           subject=f"requisition:{requisition_id}",
                           detail={"tags": labels, "applications": [r["id"] for r in rows],
                                   "people": people, "added": added})
    found = {row["id"] for row in rows}
    return len(people), [i for i in wanted if i not in found]
