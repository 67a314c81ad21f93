"""Read models for the requisition pages: the list, the stages with their counts, the team."""

from __future__ import annotations

import json

from domain.db import fetch
from domain.errors import NotFound
from domain.keyset import older_than, split_page

# The list's filter: "active" (draft, open, on hold) or one status.
LIST_FILTERS = {"active": "Active", "draft": "Draft", "open": "Open", "on_hold": "On hold",
                "closed": "Closed", "all": "All"}


def decoded(row: dict, *names: str) -> dict:
    """The row with these JSONB columns as Python values (the pool hands them over as
    text)."""
    return {**row, **{name: json.loads(row[name]) for name in names
                      if isinstance(row.get(name), str)}}


async def requisitions_for_staff(staff_id: int, *, every_requisition: bool,
                                 show: str) -> list[dict]:
    """The requisitions this staff member may work on, newest first, each with the number
    of active applications per stage (in stage order) for the list's mini pipeline."""
    statuses = {"active": ["draft", "open", "on_hold"], "all": None}.get(show, [show])
    rows = await fetch(
        "SELECT r.id, r.title, r.team, r.locations, r.status, r.close_reason, r.openings, "
        "r.filled, r.created_at FROM requisitions r "
        "WHERE ($1 OR EXISTS (SELECT 1 FROM requisition_members m WHERE m.requisition = r.id "
        "AND m.staff = $2)) AND ($3::varchar[] IS NULL OR r.status = ANY($3::varchar[])) "
        "ORDER BY r.created_at DESC, r.id DESC LIMIT 500", every_requisition, staff_id,
        statuses)
    counts = await stage_counts([row["id"] for row in rows])
    return [{**row, "stages": counts.get(row["id"], [])} for row in rows]


async def stage_counts(requisition_ids: list[int]) -> dict[int, list[dict]]:
    """requisition id → [{id, name, kind, active}] in stage order, `active` counting the
    applications currently in that stage and still in play."""
    rows = await fetch(
        "SELECT s.requisition, s.id, s.name, s.kind, s.candidate_label, s.position, "
        "count(a.id) FILTER (WHERE a.status = 'active') AS active "
        "FROM requisition_stages s LEFT JOIN applications a ON a.stage = s.id "
        "WHERE s.requisition = ANY($1::int[]) GROUP BY s.id ORDER BY s.requisition, "
        "s.position", requisition_ids)
    grouped: dict[int, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["requisition"], []).append(row)
    return grouped


async def stages(requisition_id: int) -> list[dict]:
    """The stages with counts and whether one was ever used (then it cannot be removed)."""
    rows = await fetch(
        "SELECT s.*, (SELECT count(*) FROM applications a WHERE a.stage = s.id "
        "AND a.status = 'active') AS active, EXISTS (SELECT 1 FROM applications a "
        "WHERE a.stage = s.id) OR EXISTS (SELECT 1 FROM stage_transitions t "
        "WHERE t.from_stage = s.id OR t.to_stage = s.id) AS used "
        "FROM requisition_stages s WHERE s.requisition = $1 ORDER BY s.position",
        requisition_id)
    return [decoded(row, "automation") for row in rows]


async def team(requisition_id: int) -> list[dict]:
    return await fetch(
        "SELECT s.id, s.full_name, s.email, m.role FROM requisition_members m "
        "JOIN staff_users s ON s.id = m.staff WHERE m.requisition = $1 "
        "ORDER BY m.role, s.full_name", requisition_id)


async def template_choices() -> list[tuple[str, str]]:
    rows = await fetch("SELECT id, name FROM stage_templates ORDER BY name")
    return [(str(row["id"]), row["name"]) for row in rows]


# --- The REST API's read models (api/requisitions.py) ------------------------------------

_API_REQUISITION = ("SELECT id, slug, title, team, locations, remote_policy, employment_type, "
                    "seniority, job_function, status, openings, filled, opened_at, closed_at, "
                    "created_at, updated_at FROM requisitions")


async def api_requisitions(*, status: str = "", cursor: str | None = None,
                           limit: int = 50) -> tuple[list[dict], str | None]:
    """Requisitions, newest first, keyset-paginated."""
    args: list = [status]
    where = ["($1 = '' OR status = $1)"]
    after = older_than(cursor, args, "created_at", "id")
    if after:
        where.append(after)
    args.append(limit + 1)
    rows = await fetch(
        f"{_API_REQUISITION} WHERE {' AND '.join(where)} "  # nosec B608 # a constant select, $n values
        f"ORDER BY created_at DESC, id DESC LIMIT ${len(args)}", *args)
    return split_page(rows, limit, "created_at")


async def api_requisition(requisition_id: int) -> dict:
    rows = await fetch(f"{_API_REQUISITION} WHERE id = $1",  # nosec B608 # a constant select
                       requisition_id)
    if not rows:
        raise NotFound("There is no requisition with this id.")
    stage_rows = await fetch("SELECT id, position, name, kind FROM requisition_stages "
                             "WHERE requisition = $1 ORDER BY position", requisition_id)
    return {**rows[0], "stages": stage_rows}
