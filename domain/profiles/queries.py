"""Read models: the candidate's own profile form, their CVs, and the staff summary."""

from __future__ import annotations

import json
from typing import Any

from domain.db import fetch
from domain.profiles import rules
from domain.profiles.service import skill_index

_PROFILE = (
    "SELECT p.full_name, pr.headline, pr.city, pr.country, pr.time_zone, pr.links, pr.skills, "
    "pr.unmatched_skills, pr.job_function, pr.seniority, pr.work_modes, pr.open_to_relocation, "
    "pr.open_to_opportunities, pr.open_status_at, pr.updated_at, (pr.id IS NOT NULL) AS saved "
    "FROM people p LEFT JOIN profiles pr ON pr.person = p.id WHERE p.id = $1"
)


async def _profile_row(person_id: int) -> dict[str, Any] | None:
    rows = await fetch(_PROFILE, person_id)
    if not rows:
        return None
    row = {key: ("" if value is None else value) for key, value in rows[0].items()}
    links = row["links"]
    row["links"] = json.loads(links) if isinstance(links, str) and links else (links or [])
    for key in ("skills", "unmatched_skills", "work_modes"):
        row[key] = list(row[key] or [])
    row["open_to_relocation"] = bool(row["open_to_relocation"])
    row["open_status_at"] = row["open_status_at"] or None
    return row


async def skill_names(slugs: list[str]) -> list[str]:
    """Display names in the order given; a slug no longer in the taxonomy shows as itself."""
    rows = await fetch("SELECT slug, name FROM skills WHERE slug = ANY($1::text[])", slugs)
    names = {row["slug"]: row["name"] for row in rows}
    return [names.get(slug, slug) for slug in slugs]


async def profile_for_edit(person_id: int) -> dict[str, Any]:
    """Form values for the candidate's profile page (skills as the text they can edit)."""
    row = await _profile_row(person_id) or {}
    names = await skill_names(row.get("skills", []))
    row["skills_text"] = ", ".join(names + row.get("unmatched_skills", []))
    return row


async def profile_summary(person_id: int) -> dict[str, Any] | None:
    """What staff see on the person page, with labels instead of codes; None when the
    person has never saved a profile."""
    row = await _profile_row(person_id)
    if row is None or not row["saved"]:
        return None
    return {
        "headline": row["headline"],
        "location": ", ".join(part for part in (
            row["city"], rules.COUNTRIES.get(row["country"], "")) if part),
        "time_zone": row["time_zone"],
        "links": row["links"],
        "skills": await skill_names(row["skills"]),
        "unmatched_skills": row["unmatched_skills"],
        "job_function": rules.label_of(rules.JOB_FUNCTIONS, row["job_function"]),
        "seniority": rules.label_of(rules.SENIORITIES, row["seniority"]),
        "work_modes": [rules.label_of(rules.WORK_MODES, mode) for mode in row["work_modes"]],
        "open_to_relocation": row["open_to_relocation"],
        "open_status": rules.label_of(rules.OPEN_STATUSES, row["open_to_opportunities"]),
        "open_status_at": row["open_status_at"],
    }


_CV_SELECT = (
    "SELECT id, display_name, content_type, size_bytes, uploaded_at, replaced_at, is_current "
    "FROM cv_files WHERE person = $1"
)


async def current_cv(person_id: int) -> dict[str, Any] | None:
    rows = await fetch(_CV_SELECT + " AND is_current", person_id)
    return rows[0] if rows else None


async def cv_history(person_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """Every CV the person has uploaded, newest first (the current one included)."""
    return await fetch(_CV_SELECT + " ORDER BY uploaded_at DESC, id DESC LIMIT $2",
                       person_id, limit)


async def suggest_skills(text: str, limit: int = 8) -> list[dict[str, str]]:
    index = await skill_index()
    return [{"slug": slug, "name": index.names[slug]}
            for slug in index.suggest(text[:80], limit=limit)]
