"""The nurture sequence report: per step of the live version, how many enrolments went
through it and with what outcome, where enrolments are now, and for email steps the send
figures of domain.campaigns.reports (same definitions, same drill-down).

Steps come from the versions' JSON (`key`, `type`); steps no longer in the live version
but run by older versions are listed after it, so nothing that happened is hidden.
"""

from __future__ import annotations

import json

from domain.campaigns import reports as sends
from domain.db import fetch
from domain.errors import NotFound


async def sequence(sequence_id: int) -> dict:
    rows = await fetch(
        "SELECT id, name, description, purpose, state, live_version, owner FROM sequences "
        "WHERE id = $1", sequence_id)
    if not rows:
        raise NotFound("No such sequence.")
    return rows[0]


def _kind(step: dict) -> str:
    return str(step.get("type") or step.get("kind") or "")


async def _steps(sequence_id: int, live_version: int | None) -> list[dict]:
    """Every step key of every version, the live version's order first."""
    rows = await fetch(
        "SELECT version, steps FROM sequence_versions WHERE sequence = $1 "
        "ORDER BY (version = $2) DESC, version DESC", sequence_id, live_version or 0)
    seen: dict[str, dict] = {}
    for row in rows:
        raw = row["steps"]
        for step in (json.loads(raw) if isinstance(raw, str) else raw) or []:
            key = str(step.get("key", "")) if isinstance(step, dict) else ""
            if key and key not in seen:
                seen[key] = {"key": key, "kind": _kind(step),
                             "subject": str(step.get("subject", "")),
                             "live": row["version"] == live_version}
    return list(seen.values())


async def _runs(sequence_id: int) -> dict[str, list[dict]]:
    rows = await fetch(
        "SELECT r.step_key, r.outcome, count(*)::int AS count FROM sequence_step_runs r "
        "JOIN sequence_enrollments e ON e.id = r.enrollment WHERE e.sequence = $1 "
        "GROUP BY r.step_key, r.outcome ORDER BY r.step_key, count DESC", sequence_id)
    runs: dict[str, list[dict]] = {}
    for row in rows:
        runs.setdefault(row["step_key"], []).append(
            {"outcome": row["outcome"], "count": row["count"]})
    return runs


async def _waiting(sequence_id: int) -> dict[str, dict[str, int]]:
    """Enrolments by the step they wait at and their state."""
    rows = await fetch(
        "SELECT step_key, state, count(*)::int AS count FROM sequence_enrollments "
        "WHERE sequence = $1 GROUP BY step_key, state", sequence_id)
    waiting: dict[str, dict[str, int]] = {}
    for row in rows:
        waiting.setdefault(row["step_key"], {})[row["state"]] = row["count"]
    return waiting


async def enrolments(sequence_id: int) -> dict[str, int]:
    rows = await fetch(
        "SELECT state, count(*)::int AS count FROM sequence_enrollments WHERE sequence = $1 "
        "GROUP BY state", sequence_id)
    return {row["state"]: row["count"] for row in rows}


async def report(sequence_id: int) -> dict:
    """The whole report: the sequence, its enrolments by state, and one entry per step
    (runs by outcome, enrolments waiting there, and for email steps the send summary)."""
    found = await sequence(sequence_id)
    runs, waiting = await _runs(sequence_id), await _waiting(sequence_id)
    steps = await _steps(sequence_id, found["live_version"])
    for step in steps:
        step["runs"] = runs.get(step["key"], [])
        step["ran"] = sum(run["count"] for run in step["runs"])
        step["waiting"] = waiting.get(step["key"], {})
        step["sends"] = None
        if step["kind"] == "email":
            scope = sends.Scope(sequence=sequence_id, step_key=step["key"])
            step["sends"] = await sends.summary(scope)
            step["links"] = await sends.links(scope)
    return {"sequence": found, "enrolments": await enrolments(sequence_id), "steps": steps}


async def step(sequence_id: int, step_key: str) -> dict:
    """One step of the sequence (for the drill-down page's heading; '' stands for every
    email step); NotFound if no version has it."""
    found = await sequence(sequence_id)
    if not step_key:
        return {"key": "", "kind": "email", "subject": "", "live": True}
    for candidate in await _steps(sequence_id, found["live_version"]):
        if candidate["key"] == step_key:
            return candidate
    raise NotFound("That step is not in this sequence.")
