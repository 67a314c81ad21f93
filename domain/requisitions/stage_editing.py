"""Editing a requisition's own stages (its copy of the template): add, change, reorder,
remove. Every resulting list is checked by the same rule as templates, and every change
is audited."""

from __future__ import annotations

import json

from domain.accounts.service import Staff
from domain.db import fetch, transaction
from domain.errors import Conflict, Invalid, NotFound
from domain.ports import Clock
from domain.requisitions.service import record
from domain.requisitions.stages import Stage, stage_list_problem

# New stages go before the outcome stages, where a process step belongs.
_OUTCOMES = ("hired", "rejected", "withdrawn")


async def _locked_stages(requisition_id: int) -> list[dict]:
    """Row locks on every stage, so two editors of one requisition take turns."""
    return await fetch("SELECT * FROM requisition_stages WHERE requisition = $1 "
                       "ORDER BY position FOR UPDATE", requisition_id)


async def add_stage(requisition_id: int, stage: Stage, *, by: Staff, clock: Clock) -> None:
    now = clock.now()
    async with transaction():
        current = await _locked_stages(requisition_id)
        at = next((i for i, s in enumerate(current) if s["kind"] in _OUTCOMES), len(current))
        _check([*current[:at], _as_row(stage), *current[at:]], "new_stage")
        rows = await fetch(
            "INSERT INTO requisition_stages (requisition, position, name, kind, "
            "candidate_label, late_stage, automation, scorecard_attributes) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8) RETURNING id",
            requisition_id, -1_000_000, stage.name, stage.kind, stage.candidate_label,
            stage.late_stage, json.dumps(stage.automation()), stage.scorecard_attributes)
        ids = [s["id"] for s in current]
        await _renumber(requisition_id, [*ids[:at], rows[0]["id"], *ids[at:]])
        await record(requisition_id, "requisition.stage_added", by, now,
                     {"stage": rows[0]["id"], "name": stage.name, "kind": stage.kind})


async def update_stage(requisition_id: int, stage_id: int, stage: Stage, *, by: Staff,
                       clock: Clock) -> None:
    """Rename, relabel, change its kind, late-stage flag, scorecard or automation."""
    now = clock.now()
    async with transaction():
        current = await _locked_stages(requisition_id)
        before = _find(current, stage_id)
        _check([_as_row(stage) if s["id"] == stage_id else s for s in current],
               f"stage-{stage_id}")
        await fetch(
            "UPDATE requisition_stages SET name = $3, kind = $4, candidate_label = $5, "
            "late_stage = $6, automation = $7::jsonb, scorecard_attributes = $8 "
            "WHERE id = $1 AND requisition = $2", stage_id, requisition_id, stage.name,
            stage.kind, stage.candidate_label, stage.late_stage,
            json.dumps(stage.automation()), stage.scorecard_attributes)
        await record(requisition_id, "requisition.stage_updated", by, now,
                     {"stage": stage_id, "from": before["name"], "name": stage.name})


async def move_stage(requisition_id: int, stage_id: int, direction: str, *, by: Staff,
                     clock: Clock) -> None:
    now = clock.now()
    async with transaction():
        current = await _locked_stages(requisition_id)
        index = current.index(_find(current, stage_id))
        other = index - 1 if direction == "up" else index + 1
        if direction not in ("up", "down") or not 0 <= other < len(current):
            raise Conflict("That stage cannot move further.")
        current[index], current[other] = current[other], current[index]
        problem = stage_list_problem(current)
        if problem:
            raise Conflict(problem)
        await _renumber(requisition_id, [s["id"] for s in current])
        await record(requisition_id, "requisition.stage_moved", by, now,
                     {"stage": stage_id, "direction": direction})


async def remove_stage(requisition_id: int, stage_id: int, *, by: Staff,
                       clock: Clock) -> None:
    """Only a stage no application is in, nor ever was: its transitions are the
    applications' history and must keep pointing at it."""
    now = clock.now()
    async with transaction():
        current = await _locked_stages(requisition_id)
        stage = _find(current, stage_id)
        used = await fetch(
            "SELECT 1 FROM applications WHERE stage = $1 UNION ALL SELECT 1 FROM "
            "stage_transitions WHERE from_stage = $1 OR to_stage = $1 LIMIT 1", stage_id)
        if used:
            raise Conflict(f"Applications are or were in “{stage['name']}”; it cannot be "
                           "removed. Rename it instead.")
        rest = [s for s in current if s["id"] != stage_id]
        problem = stage_list_problem(rest)
        if problem:
            raise Conflict(problem)
        await fetch("DELETE FROM requisition_stages WHERE id = $1", stage_id)
        await _renumber(requisition_id, [s["id"] for s in rest])
        await record(requisition_id, "requisition.stage_removed", by, now,
                     {"stage": stage_id, "name": stage["name"]})


def _find(stages: list[dict], stage_id: int) -> dict:
    for stage in stages:
        if stage["id"] == stage_id:
            return stage
    raise NotFound("This requisition has no such stage.")


def _as_row(stage: Stage) -> dict:
    return {"id": None, "name": stage.name, "kind": stage.kind}


def _check(stages: list[dict], field: str) -> None:
    problem = stage_list_problem(stages)
    if problem:
        raise Invalid(problem, {field: problem})


async def _renumber(requisition_id: int, ordered_ids: list[int]) -> None:
    """Positions 1..n in this order. (requisition, position) is unique and checked row
    by row, so every row first moves out of the way to a negative position."""
    await fetch("UPDATE requisition_stages SET position = -id WHERE requisition = $1",
                requisition_id)
    await fetch("UPDATE requisition_stages AS s SET position = o.n FROM unnest($2::int[]) "
                "WITH ORDINALITY AS o(id, n) WHERE s.id = o.id AND s.requisition = $1",
                requisition_id, ordered_ids)
