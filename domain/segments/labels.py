"""What the segment builder shows: a label per field and operator, and the choices of
each value (fixed lists from the rules, reference data from the database)."""

from __future__ import annotations

from typing import Any

from domain.consent.rules import PURPOSE_LABELS
from domain.db import fetch
from domain.engagement.scoring import BAND_LABELS
from domain.profiles.rules import JOB_FUNCTIONS, SENIORITIES, WORK_MODES
from domain.segments.definition import FIELDS

FIELD_LABELS = {
    "skills": "Skills", "job_function": "Function", "seniority": "Seniority",
    "country": "Country", "time_zone": "Time zone", "work_mode": "Remote preference",
    "community": "Community", "consent": "Consent", "engagement_score": "Engagement score",
    "engagement_band": "Engagement band", "last_engaged": "Last engaged",
    "event": "Events", "content_viewed": "Content viewed", "application": "Applications",
    "furthest_stage": "Furthest hiring stage", "rejection_reason": "Rejection reason",
    "silver_medalist": "Silver medalist", "source": "Source", "tag": "Tags",
    "created": "Added to the CRM", "pool": "Talent pool",
}
OP_LABELS = {
    "any": "has any of", "all": "has all of", "none": "has none of", "in": "is one of",
    "not_in": "is none of", "member_of": "is a member of", "not_member_of": "is not a member of",
    "given": "has given", "not_given": "has not given", "between": "is between",
    "within_days": "within the last … days", "not_within_days": "not within the last … days",
    "registered": "registered for", "attended": "attended", "no_show": "did not show up at",
    "not_registered": "never registered for", "ever": "ever", "never": "never",
    "applied": "applied to", "not_applied": "never applied to", "applied_any": "applied to any job",
    "applied_none": "never applied", "at_least": "reached at least", "is": "yes",
    "is_not": "no", "after": "on or after", "before": "before",
}
STAGE_LABELS = {"screen": "Screen", "interview": "Interview", "offer": "Offer",
                "hired": "Hired"}


async def builder_fields(staff_id: int) -> list[dict[str, Any]]:
    """Everything the builder script needs, as JSON-ready data."""
    choices = await _choices(staff_id)
    return [{"field": field, "label": FIELD_LABELS[field],
             "ops": [{"op": op, "label": OP_LABELS[op], "kind": kind,
                      "choices": choices.get(field, [])}
                     for op, (kind, _) in ops.items()]}
            for field, ops in FIELDS.items()]


async def _choices(staff_id: int) -> dict[str, list[list[Any]]]:
    skills = await fetch("SELECT slug, name FROM skills ORDER BY lower(name)")
    communities = await fetch("SELECT slug, name FROM talent_communities ORDER BY name")
    events = await fetch("SELECT slug, title FROM events WHERE status <> 'draft' "
                         "ORDER BY starts_at DESC LIMIT 200")
    requisitions = await fetch("SELECT id, title FROM requisitions "
                               "ORDER BY coalesce(opened_at, created_at) DESC LIMIT 200")
    reasons = await fetch("SELECT id, label FROM rejection_reasons ORDER BY label")
    pools = await fetch("SELECT id, name FROM talent_pools WHERE kind = 'static' "
                        "AND (visibility = 'shared' OR owner = $1) ORDER BY lower(name)",
                        staff_id)
    sources = await fetch("SELECT DISTINCT source FROM people ORDER BY source LIMIT 50")
    return {
        "skills": [[r["slug"], r["name"]] for r in skills],
        "job_function": [list(pair) for pair in JOB_FUNCTIONS],
        "seniority": [list(pair) for pair in SENIORITIES],
        "work_mode": [list(pair) for pair in WORK_MODES],
        "community": [[r["slug"], r["name"]] for r in communities],
        "consent": [[k, v] for k, v in PURPOSE_LABELS.items()],
        "engagement_band": [[k, v] for k, v in BAND_LABELS.items()],
        "event": [[r["slug"], r["title"]] for r in events],
        "application": [[r["id"], r["title"]] for r in requisitions],
        "furthest_stage": [[k, v] for k, v in STAGE_LABELS.items()],
        "rejection_reason": [[r["id"], r["label"]] for r in reasons],
        "pool": [[r["id"], r["name"]] for r in pools],
        "source": [[r["source"], r["source"]] for r in sources],
    }
