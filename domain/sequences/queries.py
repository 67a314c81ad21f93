"""Read models for the sequence pages: the list with enrolment counts, one sequence with
its versions, its enrolments, a person's enrolments, and a staff member's open tasks."""

from __future__ import annotations

import json
from typing import Any

from domain.db import fetch, fetchval
from domain.errors import NotFound

ENROLMENT_PAGE = 100
ENROLMENT_STATES = ("active", "paused", "completed", "exited")


def _decoded(row: dict, *names: str) -> dict:
    for name in names:
        if isinstance(row.get(name), str):
            row[name] = json.loads(row[name])
    return row


async def sequences() -> list[dict[str, Any]]:
    return await fetch(
        "SELECT s.id, s.name, s.state, s.purpose, s.live_version, s.owner, s.updated_at, "
        "count(e.id) FILTER (WHERE e.state = 'active') AS active, "
        "count(e.id) FILTER (WHERE e.state = 'paused') AS paused, "
        "count(e.id) FILTER (WHERE e.state = 'completed') AS completed, "
        "count(e.id) FILTER (WHERE e.state = 'exited') AS exited "
        "FROM sequences s LEFT JOIN sequence_enrollments e ON e.sequence = s.id "
        "GROUP BY s.id ORDER BY s.state = 'archived', lower(s.name)")


async def sequence(sequence_id: int) -> dict[str, Any]:
    rows = await fetch(
        "SELECT s.*, coalesce(v.steps, '[]') AS steps, "
        "coalesce(v.entry_rules, '[]') AS entry_rules, "
        "coalesce(v.exit_rules, '[]') AS exit_rules FROM sequences s "
        "LEFT JOIN sequence_versions v ON v.sequence = s.id AND v.version = s.live_version "
        "WHERE s.id = $1", sequence_id)
    if not rows:
        raise NotFound("There is no such sequence.")
    return _decoded(rows[0], "steps", "entry_rules", "exit_rules")


async def versions(sequence_id: int) -> list[dict[str, Any]]:
    rows = await fetch(
        "SELECT v.version, v.created_by, v.created_at, jsonb_array_length(v.steps) AS steps, "
        "(SELECT count(*) FROM sequence_enrollments e WHERE e.sequence = v.sequence "
        " AND e.version = v.version AND e.state IN ('active', 'paused')) AS open "
        "FROM sequence_versions v WHERE v.sequence = $1 ORDER BY v.version DESC", sequence_id)
    return rows


async def enrollments(sequence_id: int, *, state: str = "",
                      after: int | None = None) -> list[dict[str, Any]]:
    """A page of enrolments, newest first (keyset on id)."""
    return await fetch(
        "SELECT e.id, e.person, e.version, e.state, e.step_key, e.due_at, e.entered_at, "
        "e.entry_reason, e.paused_reason, e.exit_reason, "
        "coalesce(nullif(p.full_name, ''), p.email) AS name "
        "FROM sequence_enrollments e JOIN people p ON p.id = e.person "
        "WHERE e.sequence = $1 AND ($2 = '' OR e.state = $2) "
        "AND ($3::bigint IS NULL OR e.id < $3) ORDER BY e.id DESC LIMIT $4",
        sequence_id, state, after, ENROLMENT_PAGE)


async def of_person(person_id: int) -> list[dict[str, Any]]:
    return await fetch(
        "SELECT e.id, e.sequence, s.name, e.state, e.step_key, e.due_at, e.entered_at, "
        "e.paused_reason, e.exit_reason FROM sequence_enrollments e "
        "JOIN sequences s ON s.id = e.sequence WHERE e.person = $1 ORDER BY e.id DESC "
        "LIMIT 20", person_id)


async def open_tasks(assignee: str) -> list[dict[str, Any]]:
    return await fetch(
        "SELECT t.id, t.person, t.kind, t.title, t.notes, t.due_at, t.created_at, "
        "coalesce(nullif(p.full_name, ''), p.email) AS name FROM recruiter_tasks t "
        "JOIN people p ON p.id = t.person WHERE lower(t.assignee) = lower($1) "
        "AND t.done_at IS NULL ORDER BY t.due_at NULLS LAST, t.id LIMIT 200", assignee)


async def choices() -> dict[str, list[tuple[str, str]]]:
    """Options for the editor: templates, pools, segments, communities."""
    templates = await fetch("SELECT id, name FROM marketing_templates "
                            "WHERE archived_at IS NULL ORDER BY lower(name)")
    pools = await fetch("SELECT id, name, stages FROM talent_pools ORDER BY lower(name)")
    segments = await fetch("SELECT id, name FROM segments ORDER BY lower(name)")
    communities = await fetch("SELECT slug, name FROM talent_communities ORDER BY lower(name)")
    return {
        "templates": [(str(r["id"]), r["name"]) for r in templates],
        "pools": [(str(r["id"]), r["name"]) for r in pools],
        "pool_stages": sorted({stage for r in pools for stage in (r["stages"] or [])}),
        "segments": [(str(r["id"]), r["name"]) for r in segments],
        "communities": [(r["slug"], r["name"]) for r in communities],
    }


async def template_content(template_id: int) -> dict[str, Any]:
    rows = await fetch("SELECT id, subject, html_body, text_body, text_is_custom "
                       "FROM marketing_templates WHERE id = $1", template_id)
    if not rows:
        raise NotFound("There is no such marketing template.")
    return rows[0]


async def count_open(sequence_id: int) -> int:
    return int(await fetchval("SELECT count(*) FROM sequence_enrollments WHERE sequence = $1 "
                              "AND state IN ('active', 'paused')", sequence_id))
