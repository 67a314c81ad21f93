"""Render contexts for hiring emails (registered in domain.mail.contexts).

`hiring_email` carries ids only ({template_id, application_id, stage_id?}); the staff-
written template is rendered here, at send time, in the sandbox.
`stage_scorecard_request` asks a hiring team member for their scorecard on entering a
stage (interview reminders have their own `scorecard_request` after an interview).
"""

from __future__ import annotations

from domain.db import fetch
from domain.errors import NotFound
from domain.hiring_emails import rendering
from domain.people.rules import first_name
from domain.ports import Clock
from settings import get_settings

_APPLICATION = (
    "SELECT a.id, p.full_name, r.title, r.slug, s.name AS stage_name, s.candidate_label "
    "FROM applications a JOIN people p ON p.id = a.person "
    "JOIN requisitions r ON r.id = a.requisition "
    "JOIN requisition_stages s ON s.id = coalesce($2::int, a.stage) WHERE a.id = $1")


async def _application(application_id: int, stage_id: int | None) -> dict:
    rows = await fetch(_APPLICATION, application_id, stage_id)
    if not rows:
        raise NotFound("The application no longer exists.")
    return rows[0]


def merge_values(row: dict) -> dict[str, str]:
    """The documented merge fields (rendering.MERGE_FIELDS) for one application."""
    settings = get_settings()
    return {
        "first_name": first_name(row["full_name"] or ""),
        "full_name": row["full_name"] or "",
        "job_title": row["title"],
        "stage_label": row["candidate_label"],
        "company": settings.company_name or "talentloop",
        "applications_url": f"{settings.base_url}/account/applications",
        "job_url": f"{settings.base_url}/jobs/{row['slug']}",
    }


async def hiring_email_context(template: str, stored: dict, *, clock: Clock) -> dict:
    rows = await fetch("SELECT subject, body FROM hiring_email_templates WHERE id = $1",
                       int(stored["template_id"]))
    if not rows:
        raise NotFound("The email template no longer exists.")
    stage_id = stored.get("stage_id")
    row = await _application(int(stored["application_id"]),
                             int(stage_id) if stage_id else None)
    try:
        rendered = rendering.render(rows[0]["subject"], rows[0]["body"], merge_values(row))
    except rendering.TemplateProblem as exc:
        # Checked at save time; a LookupError fails this one email for good (no retries).
        raise LookupError(str(exc)) from exc
    return {"subject_line": rendered.subject, "body_text": rendered.text,
            "body_html": rendered.html}


async def scorecard_request_context(template: str, stored: dict, *, clock: Clock) -> dict:
    row = await _application(int(stored["application_id"]), int(stored["stage_id"]))
    staff = await fetch("SELECT full_name FROM staff_users WHERE id = $1",
                        int(stored["staff_id"]))
    return {
        "staff_name": first_name(staff[0]["full_name"]) if staff else "",
        "candidate_name": row["full_name"] or "The candidate",
        "job_title": row["title"], "stage_name": row["stage_name"],
        "scorecard_url": f"{get_settings().base_url}/backoffice/applications/"
                         f"{row['id']}/scorecard",
    }


EMAIL_CONTEXTS = {"hiring_email": hiring_email_context,
                  "stage_scorecard_request": scorecard_request_context}
