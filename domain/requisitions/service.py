"""Requisitions: create from a stage template, edit, move through the status lifecycle,
manage the hiring team. Every change is audited. A requisition's own stages are edited
in `domain.requisitions.stage_editing`."""

from __future__ import annotations

import json
from datetime import datetime

from domain.accounts.service import Staff
from domain.audit import service as audit
from domain.db import fetch, transaction
from domain.errors import Conflict, Invalid, NotFound
from domain.ports import Clock
from domain.requisitions.queries import decoded
from domain.requisitions.rules import RequisitionDraft, slugify, transition_problem

MEMBER_ROLES = {"hiring_manager": "Hiring manager", "recruiter": "Recruiter"}
# Staff roles that can work on a requisition once on its team.
_WORKING_ROLES = {"admin", "recruiter", "hiring_manager"}

_COLUMNS = ("title", "team", "locations", "remote_policy", "employment_type", "seniority",
            "job_function", "required_skills", "nice_skills", "description", "salary_min",
            "salary_max", "salary_currency", "salary_period", "openings", "target_start",
            "screening_questions")
# asyncpg sends JSON as text; the column needs the cast.
_CASTS = {"screening_questions": "::jsonb"}


def _values(draft: RequisitionDraft) -> list:
    return [draft.title, draft.team, draft.locations, draft.remote_policy,
            draft.employment_type, draft.seniority, draft.job_function, draft.required_skills,
            draft.nice_skills, draft.description, draft.salary_min, draft.salary_max,
            draft.salary_currency, draft.salary_period, draft.openings, draft.target_start,
            json.dumps([q.as_json() for q in draft.questions])]


async def create_requisition(draft: RequisitionDraft, *, template_id: int, by: Staff,
                             clock: Clock) -> int:
    """A draft requisition with its own copy of the template's stages; the creator joins
    the hiring team as a recruiter."""
    now = clock.now()
    templates = await fetch("SELECT id, name FROM stage_templates WHERE id = $1", template_id)
    if not templates:
        raise Invalid("Choose a stage template.", {"template": "Choose a stage template."})
    columns = ", ".join(_COLUMNS)
    marks = ", ".join(f"${n}{_CASTS.get(name, '')}" for n, name in enumerate(_COLUMNS, 1))
    async with transaction():
        rows = await fetch(
            f"INSERT INTO requisitions (slug, template_name, status, filled, created_at, "  # noqa: S608  # nosec B608 # _COLUMNS names, $n marks
            f"updated_at, {columns}) VALUES (${len(_COLUMNS) + 1}, ${len(_COLUMNS) + 2}, "
            f"'draft', 0, ${len(_COLUMNS) + 3}, ${len(_COLUMNS) + 3}, "
            f"{marks}) RETURNING id",
            *_values(draft), await _free_slug(slugify(draft.title)), templates[0]["name"],
            now)
        requisition_id = rows[0]["id"]
        await fetch(
            "INSERT INTO requisition_stages (requisition, position, name, kind, "
            "candidate_label, late_stage, automation, scorecard_attributes) "
            "SELECT $1, position, name, kind, candidate_label, late_stage, automation, "
            "scorecard_attributes FROM template_stages WHERE template = $2",
            requisition_id, template_id)
        await fetch("INSERT INTO requisition_members (requisition, staff, role) "
                    "VALUES ($1, $2, 'recruiter')", requisition_id, by.id)
        await record(requisition_id, "requisition.created", by, now,
                     {"title": draft.title, "template": templates[0]["name"]})
    return requisition_id


async def _free_slug(base: str) -> str:
    rows = await fetch("SELECT slug FROM requisitions WHERE slug = $1 OR slug LIKE $2",
                       base, f"{base}-%")
    taken = {row["slug"] for row in rows}
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


async def update_requisition(requisition_id: int, draft: RequisitionDraft, *, by: Staff,
                             clock: Clock) -> None:
    now = clock.now()
    sets = ", ".join(f"{name} = ${n}{_CASTS.get(name, '')}"
                     for n, name in enumerate(_COLUMNS, start=2))
    async with transaction():
        before = await _locked(requisition_id)
        if before["status"] == "closed":
            raise Conflict("This requisition is closed; it can no longer be edited.")
        await fetch(f"UPDATE requisitions SET {sets}, "  # noqa: S608  # nosec B608 # _COLUMNS names, $n marks
                    f"updated_at = ${len(_COLUMNS) + 2} WHERE id = $1",
                    requisition_id, *_values(draft), now)
        after = dict(zip(_COLUMNS, _values(draft), strict=True))
        changed = [name for name in _COLUMNS if name != "screening_questions"
                   and before[name] != after[name]]
        if json.loads(after["screening_questions"]) != decoded(
                before, "screening_questions")["screening_questions"]:
            changed.append("screening_questions")
        await record(requisition_id, "requisition.updated", by, now, {"changed": changed})


async def change_status(requisition_id: int, target: str, *, close_reason: str = "",
                        by: Staff, clock: Clock) -> None:
    """draft → open → on_hold ⇄ open → closed (filled | cancelled); anything else is a
    Conflict with a message saying why."""
    now = clock.now()
    async with transaction():
        before = await _locked(requisition_id)
        problem = transition_problem(before["status"], target, close_reason)
        if problem:
            raise Conflict(problem)
        await fetch(
            "UPDATE requisitions SET status = $2::varchar, close_reason = $3, "
            "updated_at = $4, opened_at = CASE WHEN $2::varchar = 'open' "
            "THEN coalesce(opened_at, $4) ELSE opened_at END, "
            "closed_at = CASE WHEN $2::varchar = 'closed' THEN $4 ELSE closed_at END "
            "WHERE id = $1", requisition_id, target,
            close_reason if target == "closed" else "", now)
        await record(requisition_id, "requisition.status_changed", by, now,
                     {"from": before["status"], "to": target, "reason": close_reason})


async def _locked(requisition_id: int) -> dict:
    rows = await fetch("SELECT * FROM requisitions WHERE id = $1 FOR UPDATE", requisition_id)
    if not rows:
        raise NotFound("There is no such requisition.")
    return rows[0]


async def add_member(requisition_id: int, email: str, role: str, *, by: Staff,
                     clock: Clock) -> dict:
    if role not in MEMBER_ROLES:
        raise Invalid("Choose a role on the team.", {"role": "Choose a role on the team."})
    rows = await fetch("SELECT id, full_name, roles, is_active FROM staff_users "
                       "WHERE lower(email) = lower($1)", email.strip())
    if not rows or not rows[0]["is_active"]:
        message = "There is no active staff account with that email."
        raise Invalid(message, {"email": message})
    staff = rows[0]
    if not _WORKING_ROLES & set(staff["roles"] or ()):
        message = ("That person's role cannot work on requisitions; ask an admin to give "
                   "them the hiring manager or recruiter role.")
        raise Invalid(message, {"email": message})
    now = clock.now()
    async with transaction():
        await fetch("INSERT INTO requisition_members (requisition, staff, role) "
                    "VALUES ($1, $2, $3) ON CONFLICT (requisition, staff) "
                    "DO UPDATE SET role = EXCLUDED.role", requisition_id, staff["id"], role)
        await record(requisition_id, "requisition.member_added", by, now,
                     {"staff": staff["id"], "role": role})
    return staff


async def remove_member(requisition_id: int, staff_id: int, *, by: Staff,
                        clock: Clock) -> None:
    now = clock.now()
    async with transaction():
        rows = await fetch("DELETE FROM requisition_members WHERE requisition = $1 "
                           "AND staff = $2 RETURNING role", requisition_id, staff_id)
        if not rows:
            raise NotFound("That person is not on this hiring team.")
        await record(requisition_id, "requisition.member_removed", by, now,
                     {"staff": staff_id, "role": rows[0]["role"]})


async def record(requisition_id: int, action: str, by: Staff, now: datetime,
                 detail: dict) -> None:
    await audit.record(action=action, at=now, actor=by.email,
                       subject=f"requisition:{requisition_id}", detail=detail)
