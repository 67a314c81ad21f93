"""What a candidate may read about their own applications (never another person's, and
never the self-identification answers, which no portal or back-office page shows)."""

from __future__ import annotations

from domain.db import fetch
from domain.errors import NotFound
from domain.keyset import older_than, split_page
from domain.pipeline import rules

_MINE = (
    "SELECT a.id, a.status, a.applied_at, r.title, r.slug, r.status AS requisition_status, "
    "s.candidate_label FROM applications a JOIN requisitions r ON r.id = a.requisition "
    "JOIN requisition_stages s ON s.id = a.stage WHERE a.person = $1"
)


def _view(row: dict) -> dict:
    return {**row, "label": rules.candidate_status(row["status"], row["candidate_label"])}


async def my_applications(person_id: int) -> list[dict]:
    rows = await fetch(_MINE + " ORDER BY a.applied_at DESC, a.id DESC", person_id)
    return [_view(row) for row in rows]


async def my_application(person_id: int, application_id: int) -> dict:
    rows = await fetch(_MINE + " AND a.id = $2", person_id, application_id)
    if not rows:
        raise NotFound("There is no such application.")
    return _view(rows[0])


async def application_id_for(person_id: int, slug: str) -> int | None:
    """This person's application to the job at `slug`, if any."""
    rows = await fetch("SELECT a.id FROM applications a JOIN requisitions r "
                       "ON r.id = a.requisition WHERE a.person = $1 AND r.slug = $2",
                       person_id, slug)
    return rows[0]["id"] if rows else None


async def confirmation_view(application_id: int) -> dict:
    """What the confirmation email needs (the worker loads it by id)."""
    rows = await fetch(
        "SELECT a.id, a.applied_at, p.full_name, p.email, r.title, r.slug "
        "FROM applications a JOIN people p ON p.id = a.person "
        "JOIN requisitions r ON r.id = a.requisition WHERE a.id = $1", application_id)
    if not rows:
        raise NotFound("There is no such application.")
    return rows[0]


# --- The REST API's read models (api/applications.py) ------------------------------------
# Never the screening answers' EEO counterpart: self-identification lives in its own table
# and no read model here joins it.

_API_APPLICATION = (
    "SELECT a.id, a.requisition, a.person, a.stage, s.name AS stage_name, s.kind AS stage_kind, "
    "a.status, a.source, a.applied_at, a.stage_entered_at, a.last_action_at, a.decided_at "
    "FROM applications a JOIN requisition_stages s ON s.id = a.stage")


async def api_applications(*, requisition: int | None = None, stage: int | None = None,
                           status: str = "", cursor: str | None = None,
                           limit: int = 50) -> tuple[list[dict], str | None]:
    """Newest first by application time, keyset-paginated; filters as $n values."""
    where, args = ["true"], []
    for column, value in (("a.requisition", requisition), ("a.stage", stage),
                          ("a.status", status or None)):
        if value is not None:
            args.append(value)
            where.append(f"{column} = ${len(args)}")
    after = older_than(cursor, args, "a.applied_at", "a.id")
    if after:
        where.append(after)
    args.append(limit + 1)
    rows = await fetch(
        f"{_API_APPLICATION} WHERE {' AND '.join(where)} "  # nosec B608 # constant fragments, $n values
        f"ORDER BY a.applied_at DESC, a.id DESC LIMIT ${len(args)}", *args)
    return split_page(rows, limit, "applied_at")


async def api_application(application_id: int) -> dict:
    rows = await fetch(f"{_API_APPLICATION} WHERE a.id = $1",  # nosec B608 # a constant select
                       application_id)
    if not rows:
        raise NotFound("There is no application with this id.")
    return rows[0]
