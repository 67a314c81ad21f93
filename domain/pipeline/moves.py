"""Staff actions on one application: move, reject, withdraw, hire, reopen.

Each runs in its own transaction with the application row locked (SELECT … FOR UPDATE),
so two people acting on the same application are served one after the other, and each
writes exactly one stage transition, one audit entry and one timeline event
(`domain.pipeline.transitions`). A board card carries the stage it was shown in
(`expected_from`): if someone moved the application since, the move is refused rather
than silently applied to a state the mover never saw.
"""

from __future__ import annotations

from domain.db import fetch, transaction
from domain.errors import Conflict, Invalid, NotFound
from domain.pipeline import transitions
from domain.pipeline.transitions import Change
from domain.ports import Clock, TaskQueue

# Stages reached only through their own action (a reason, or the openings count).
DECISION_KINDS = ("rejected", "withdrawn", "hired")
STALE = "Someone moved this application meanwhile; the page now shows where it is."


async def requisition_of(application_id: int) -> int:
    rows = await fetch("SELECT requisition FROM applications WHERE id = $1", application_id)
    if not rows:
        raise NotFound("There is no such application.")
    return int(rows[0]["requisition"])


async def _locked(application_id: int) -> dict:
    requisition_id = await requisition_of(application_id)
    rows = await transitions.lock(requisition_id, [application_id])
    if not rows:
        raise NotFound("There is no such application.")
    return rows[0]


async def stage_of(requisition_id: int, stage_id: int) -> dict:
    rows = await fetch("SELECT id, name, kind, requisition, automation "
                       "FROM requisition_stages WHERE id = $1", stage_id)
    if not rows or rows[0]["requisition"] != requisition_id:
        raise Invalid("That stage is not one of this requisition's stages.",
                      {"to_stage": "Choose one of this requisition's stages."})
    return rows[0]


async def stage_of_kind(requisition_id: int, kind: str) -> dict:
    rows = await fetch("SELECT id, name, kind, requisition, automation "
                       "FROM requisition_stages "
                       "WHERE requisition = $1 AND kind = $2 ORDER BY position LIMIT 1",
                       requisition_id, kind)
    if not rows:
        raise Invalid(f"This requisition has no '{kind}' stage; add one on its Stages tab.")
    return rows[0]


async def reason_label(reason_id: int | None, by: str) -> str:
    """The label of an active reason from the managed list for this side (company or
    candidate); free text is never accepted as a reason."""
    rows = await fetch("SELECT label FROM rejection_reasons WHERE id = $1 AND by = $2 "
                       "AND is_active", reason_id or 0, by)
    if not rows:
        raise Invalid("Choose a reason from the list.", {"reason": "Choose a reason."})
    return str(rows[0]["label"])


HIRED_IS_FINAL = ("This candidate was hired: a hire cannot be undone here (it filled an "
                  "opening and may have closed the requisition).")


def _must_be_active(row: dict) -> None:
    if row["status"] == "hired":
        raise Invalid(HIRED_IS_FINAL)
    if row["status"] != "active":
        raise Invalid(f"This application is {row['status']}; reopen it before changing it.")


async def move(application_id: int, to_stage_id: int, *, by: str, clock: Clock,
               expected_from: int | None = None, queue: TaskQueue | None = None) -> None:
    async with transaction():
        row = await _locked(application_id)
        if expected_from is not None and row["stage"] != expected_from:
            raise Conflict(STALE)
        _must_be_active(row)
        stage = await stage_of(row["requisition"], to_stage_id)
        if stage["kind"] in DECISION_KINDS:
            raise Invalid(f"Use {_ACTION_NAMES[stage['kind']]} to put an application in "
                          f"'{stage['name']}'.", {"to_stage": "Choose an open stage."})
        if stage["id"] == row["stage"]:
            raise Invalid(f"The application is already in '{stage['name']}'.",
                          {"to_stage": "Choose another stage."})
        await transitions.write([row], Change("moved", stage, by, clock.now()), queue=queue)


_ACTION_NAMES = {"rejected": "Reject", "withdrawn": "Withdraw", "hired": "Hire"}


def _reason_text(label: str, note: str) -> str:
    note = note.strip()[:1000]
    return f"{label} — {note}" if note else label


async def reject(application_id: int, reason_id: int | None, *, by: str, note: str = "",
                 clock: Clock, notify: bool = True, queue: TaskQueue | None = None) -> None:
    """`notify=False`: the reason's rejection email is not sent."""
    async with transaction():
        row = await _locked(application_id)
        _must_be_active(row)
        label = await reason_label(reason_id, "company")
        stage = await stage_of_kind(row["requisition"], "rejected")
        await transitions.write([row], Change("rejected", stage, by, clock.now(),
                                              _reason_text(label, note), reason_id),
                                notify=notify, queue=queue)


async def withdraw_for_candidate(application_id: int, reason_id: int | None, *, by: str,
                                 note: str = "", clock: Clock) -> None:
    """Staff record that the candidate withdrew (by mail, on the phone): the reason comes
    from the candidate-side list."""
    async with transaction():
        row = await _locked(application_id)
        _must_be_active(row)
        label = await reason_label(reason_id, "candidate")
        stage = await stage_of_kind(row["requisition"], "withdrawn")
        await transitions.write([row], Change("withdrawn", stage, by, clock.now(),
                                              _reason_text(label, note), reason_id))


async def hire(application_id: int, *, by: str, clock: Clock) -> None:
    async with transaction():
        row = await _locked(application_id)
        _must_be_active(row)
        stage = await stage_of_kind(row["requisition"], "hired")
        now = clock.now()
        await _take_opening(row["requisition"], now)
        await transitions.write([row], Change("hired", stage, by, now))


async def _take_opening(requisition_id: int, now) -> None:
    # Conditional UPDATE: the requisition row lock makes a second concurrent hire wait and
    # then see filled = openings, so two hires can never overfill one opening.
    rows = await fetch(
        "UPDATE requisitions SET filled = filled + 1, updated_at = $2, "
        "status = CASE WHEN filled + 1 >= openings THEN 'closed' ELSE status END, "
        "close_reason = CASE WHEN filled + 1 >= openings THEN 'filled' ELSE close_reason END, "
        "closed_at = CASE WHEN filled + 1 >= openings THEN $2 ELSE closed_at END "
        "WHERE id = $1 AND filled < openings AND status IN ('open', 'on_hold') RETURNING id",
        requisition_id, now)
    if not rows:
        raise Conflict("This requisition has no opening left to fill (or is not open).")


async def reopen(application_id: int, *, by: str, note: str = "", clock: Clock,
                 queue: TaskQueue | None = None) -> None:
    """Back to active at the applied stage. A hire is not undone here: it took an opening
    and may have closed the requisition."""
    async with transaction():
        row = await _locked(application_id)
        if row["status"] == "hired":
            raise Invalid(HIRED_IS_FINAL)
        if row["status"] not in ("rejected", "withdrawn"):
            raise Invalid("Only rejected or withdrawn applications can be reopened.")
        stage = await stage_of_kind(row["requisition"], "applied")
        await transitions.write([row], Change("reopened", stage, by, clock.now(),
                                              note.strip()[:1000]), queue=queue)
