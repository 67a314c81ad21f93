"""Read models for interviews: one interview with its people, an application's list, and
who may sit on a panel."""

from __future__ import annotations

from domain.db import fetch
from domain.errors import NotFound

_VIEW = (
    "SELECT i.*, a.requisition, a.person, p.email, p.full_name, r.title AS job_title, "
    "s.name AS stage_name FROM interviews i JOIN applications a ON a.id = i.application "
    "JOIN people p ON p.id = a.person JOIN requisitions r ON r.id = a.requisition "
    "JOIN requisition_stages s ON s.id = i.stage WHERE i.id = $1")


async def requisition_of(interview_id: int) -> tuple[int, int]:
    """(application id, requisition id) of an interview; NotFound when there is none."""
    rows = await fetch("SELECT i.application, a.requisition FROM interviews i "
                       "JOIN applications a ON a.id = i.application WHERE i.id = $1",
                       interview_id)
    if not rows:
        raise NotFound("There is no such interview.")
    return int(rows[0]["application"]), int(rows[0]["requisition"])


async def panel(interview_id: int) -> list[dict]:
    return await fetch("SELECT s.id, s.email, s.full_name FROM interview_panelists ip "
                       "JOIN staff_users s ON s.id = ip.staff WHERE ip.interview = $1 "
                       "ORDER BY s.full_name, s.email", interview_id)


async def slots(interview_id: int) -> list[dict]:
    return await fetch("SELECT id, starts_at, ends_at FROM interview_slots "
                       "WHERE interview = $1 ORDER BY starts_at", interview_id)


async def interview_view(interview_id: int) -> dict:
    rows = await fetch(_VIEW, interview_id)
    if not rows:
        raise NotFound("There is no such interview.")
    view = rows[0]
    view["panel"] = await panel(interview_id)
    view["slots"] = await slots(interview_id)
    return view


async def for_application(application_id: int) -> list[dict]:
    """Newest first, each with its panel and (while proposed) its offered slots."""
    rows = await fetch("SELECT i.*, s.name AS stage_name FROM interviews i "
                       "JOIN requisition_stages s ON s.id = i.stage "
                       "WHERE i.application = $1 ORDER BY i.created_at DESC, i.id DESC",
                       application_id)
    for row in rows:
        row["panel"] = await panel(row["id"])
        row["slots"] = await slots(row["id"]) if row["status"] == "proposed" else []
    return rows


async def panel_options(requisition_id: int) -> dict[str, dict]:
    """Email → staff row for everyone who may sit on a panel: the hiring team, and any
    active recruiter or hiring manager (a colleague from another team can interview)."""
    rows = await fetch(
        "SELECT id, lower(email) AS email, full_name FROM staff_users WHERE is_active AND "
        "(roles && ARRAY['recruiter', 'hiring_manager']::varchar[] OR id IN "
        "(SELECT staff FROM requisition_members WHERE requisition = $1)) "
        "ORDER BY full_name, email", requisition_id)
    return {row["email"]: row for row in rows}
