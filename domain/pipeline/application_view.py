"""Read model of one application for the people deciding on it: the application, its
answers, its stage history, the person's other applications and an engagement summary.

Self-identification (EEO) is deliberately absent: no query here touches
`eeo_self_identifications`, so no decider's page can show it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.db import fetch
from domain.dedupe import contact
from domain.dedupe import queries as dedupe_queries
from domain.engagement.rules import label
from domain.errors import NotFound

_APPLICATION = (
    "SELECT a.id, a.requisition, a.person, a.stage, a.status, a.source, a.utm_source, "
    "a.utm_medium, a.utm_campaign, a.referral_code, a.answers, a.knockout, a.cv_file, "
    "a.silver_medalist, a.applied_at, a.stage_entered_at, a.last_action_at, a.decided_at, "
    "s.name AS stage_name, s.kind AS stage_kind, r.title AS requisition_title, "
    "r.screening_questions, rr.label AS rejection_label "
    "FROM applications a JOIN requisition_stages s ON s.id = a.stage "
    "JOIN requisitions r ON r.id = a.requisition "
    "LEFT JOIN rejection_reasons rr ON rr.id = a.rejection_reason WHERE a.id = $1")


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def application(application_id: int, now: datetime | None = None) -> dict:
    """`duplicates`: open duplicate hints naming the applicant; `contacts`: staff who
    contacted them in the last 14 days (the page leaves out the viewer's own)."""
    rows = await fetch(_APPLICATION, application_id)
    if not rows:
        raise NotFound("There is no such application.")
    row = rows[0]
    answers = _json(row.pop("answers")) or {}
    questions = _json(row.pop("screening_questions")) or []
    labels = {q.get("key"): q.get("label", q.get("key")) for q in questions}
    row["answers"] = [{"label": labels.get(key, key), "value": value,
                       "knockout": any(q.get("key") == key and "knockout" in q
                                       and q["knockout"] == value for q in questions)}
                      for key, value in answers.items()]
    row["duplicates"] = await dedupe_queries.hints_for(row["person"])
    row["contacts"] = await contact.recent(row["person"], now or datetime.now(UTC))
    return row


async def history(application_id: int) -> list[dict]:
    """Every transition, oldest first, with the stage names and who did it."""
    return await fetch(
        "SELECT t.kind, t.by, t.at, t.reason, fs.name AS from_name, ts.name AS to_name "
        "FROM stage_transitions t LEFT JOIN requisition_stages fs ON fs.id = t.from_stage "
        "LEFT JOIN requisition_stages ts ON ts.id = t.to_stage "
        "WHERE t.application = $1 ORDER BY t.at, t.id", application_id)


async def other_applications(person_id: int, application_id: int) -> list[dict]:
    return await fetch(
        "SELECT a.id, a.status, a.applied_at, r.title, s.name AS stage_name "
        "FROM applications a JOIN requisitions r ON r.id = a.requisition "
        "JOIN requisition_stages s ON s.id = a.stage WHERE a.person = $1 AND a.id <> $2 "
        "ORDER BY a.applied_at DESC", person_id, application_id)


async def engagement_summary(person_id: int, now: datetime) -> dict:
    """Counts by kind of touch over the last 12 months, and the last touch ever."""
    since = now - timedelta(days=365)
    rows = await fetch(
        "SELECT type, count(*) FILTER (WHERE occurred_at >= $2) AS recent, "
        "max(occurred_at) AS last_at FROM engagement_events WHERE person = $1 GROUP BY type "
        "ORDER BY count(*) FILTER (WHERE occurred_at >= $2) DESC, type", person_id, since)
    last = max((row["last_at"] for row in rows), default=None)
    return {"last_at": last,
            "counts": [{"label": label(row["type"]), "count": int(row["recent"])}
                       for row in rows if row["recent"]]}
