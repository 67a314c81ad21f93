"""Requisitions and applications for tests, written straight to the tables (the services
that create them have their own tests)."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.db import fetch
from domain.requisitions.defaults import STANDARD_STAGES


async def create_requisition(slug: str = "backend-engineer", *, status: str = "open",
                             title: str = "Backend engineer", team: str = "Platform",
                             skills: tuple[str, ...] = ("python", "postgresql"),
                             members: dict[int, str] | None = None) -> dict:
    """An open requisition with the standard stages; `members` maps staff id → role."""
    now = datetime.now(UTC)
    rows = await fetch(
        "INSERT INTO requisitions (slug, title, team, locations, remote_policy, "
        "employment_type, seniority, job_function, required_skills, nice_skills, "
        "description, openings, filled, status, screening_questions, template_name, "
        "opened_at, created_at, updated_at) VALUES ($1, $2, $3, ARRAY['Berlin'], 'hybrid', "
        "'full_time', 'senior', 'engineering', $4, ARRAY[]::varchar[], 'Build our platform.', "
        "1, 0, $5, '[]'::jsonb, 'Standard', $6, $6, $6) RETURNING *",
        slug, title, team, list(skills), status, now)
    requisition = rows[0]
    for position, (name, kind, label, late) in enumerate(STANDARD_STAGES, start=1):
        await fetch(
            "INSERT INTO requisition_stages (requisition, position, name, kind, "
            "candidate_label, late_stage, automation, scorecard_attributes) "
            "VALUES ($1, $2, $3, $4, $5, $6, '{}'::jsonb, ARRAY[]::varchar[])",
            requisition["id"], position, name, kind, label, late)
    for staff_id, role in (members or {}).items():
        await fetch("INSERT INTO requisition_members (requisition, staff, role) "
                    "VALUES ($1, $2, $3)", requisition["id"], staff_id, role)
    return requisition


async def stages(requisition_id: int) -> dict[str, int]:
    rows = await fetch("SELECT id, name FROM requisition_stages WHERE requisition = $1",
                       requisition_id)
    return {row["name"]: row["id"] for row in rows}


async def create_application(requisition_id: int, person_id: int,
                             stage: str = "Applied") -> dict:
    stage_id = (await stages(requisition_id))[stage]
    now = datetime.now(UTC)
    rows = await fetch(
        "INSERT INTO applications (requisition, person, stage, status, source, answers, "
        "applied_at, stage_entered_at, last_action_at) "
        "VALUES ($1, $2, $3, 'active', 'test', '{}'::jsonb, $4, $4, $4) RETURNING *",
        requisition_id, person_id, stage_id, now)
    await fetch("INSERT INTO stage_transitions (application, from_stage, to_stage, kind, by, "
                "at, reason) VALUES ($1, NULL, $2, 'applied', 'candidate', $3, '')",
                rows[0]["id"], stage_id, now)
    return rows[0]
