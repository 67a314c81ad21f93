"""The one writer behind every pipeline action, single or bulk.

Callers lock the applications (SELECT … FOR UPDATE), decide which rows may change, and
hand them here. Everything is set-based — one UPDATE … RETURNING, one multi-row INSERT
each for the transitions, the audit entries and the timeline events — so moving 1,000
applicants costs four statements, and moving one costs the same four (plus the stage's
automation: a constant handful more).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from domain.db import fetch
from domain.hiring_emails import automation
from domain.integrations import webhooks
from domain.ports import TaskQueue

# Transition kind → engagement event type on the person's timeline.
TIMELINE_TYPES = {"moved": "application_stage_changed", "reopened": "application_stage_changed",
                  "rejected": "application_rejected", "withdrawn": "application_withdrawn",
                  "hired": "application_hired"}
STATUS_AFTER = {"moved": "active", "reopened": "active", "rejected": "rejected",
                "withdrawn": "withdrawn", "hired": "hired"}

# No join here on purpose: after waiting for a lock, PostgreSQL re-checks a join against
# the other table's old row, so a row whose stage just changed would silently drop out.
_LOCK = ("SELECT id, requisition, person, stage, status FROM applications "
         "WHERE id = ANY($1::int[]) AND requisition = $2 ORDER BY id FOR UPDATE")


@dataclass(frozen=True)
class Change:
    """What happens to the selected applications: the stage they go to and why."""

    kind: str
    to_stage: dict
    by: str
    at: datetime
    reason: str = ""
    rejection_reason: int | None = None


async def lock(requisition_id: int, application_ids: list[int]) -> list[dict]:
    """Lock the given applications of this requisition, in id order so that two bulk
    actions over overlapping selections wait for each other instead of deadlocking."""
    return await fetch(_LOCK, application_ids, requisition_id)


async def write(rows: list[dict], change: Change, *, notify: bool = True,
                queue: TaskQueue | None = None) -> list[int]:
    """Apply `change` to the locked `rows`; returns the ids written. Then the stage's
    automation runs for them (`domain.hiring_emails.automation`), set-based as well;
    `notify=False` holds back a rejection email."""
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    await _update(ids, change)
    written = await _insert_transitions(rows, change)
    await _insert_audit(rows, change)
    await _insert_timeline(rows, change)
    await _emit_webhooks(rows, change, queue)
    await automation.after_write(written, kind=change.kind, stage=change.to_stage,
                                 by=change.by, at=change.at,
                                 rejection_reason=change.rejection_reason, notify=notify,
                                 queue=queue)
    return ids


async def _update(ids: list[int], change: Change) -> None:
    decided = change.kind in {"rejected", "withdrawn", "hired"}
    await fetch(
        "UPDATE applications SET stage = $2, status = $3, last_action_at = $4, "
        # Time in stage restarts only when the stage really changes.
        "stage_entered_at = CASE WHEN stage = $2 THEN stage_entered_at ELSE $4 END, "
        "rejection_reason = $5, decided_at = $6 WHERE id = ANY($1::int[]) RETURNING id",
        ids, change.to_stage["id"], STATUS_AFTER[change.kind], change.at,
        change.rejection_reason, change.at if decided else None)


async def _insert_transitions(rows: list[dict], change: Change) -> dict[int, int]:
    """Returns application id → its new transition's id."""
    written = await fetch(
        "INSERT INTO stage_transitions (application, from_stage, to_stage, kind, by, at, "
        "reason) SELECT u.id, u.from_stage, $3, $4, $5, $6, $7 "
        "FROM unnest($1::int[], $2::int[]) AS u(id, from_stage) RETURNING id, application",
        [row["id"] for row in rows], [row["stage"] for row in rows],
        change.to_stage["id"], change.kind, change.by[:320], change.at, change.reason)
    return {row["application"]: row["id"] for row in written}


async def _insert_audit(rows: list[dict], change: Change) -> None:
    details = [json.dumps({"requisition": row["requisition"], "from_stage": row["stage"],
                           "to_stage": change.to_stage["id"],
                           "to_stage_name": change.to_stage["name"],
                           "rejection_reason": change.rejection_reason,
                           "reason": change.reason}) for row in rows]
    await fetch(
        "INSERT INTO audit_entries (occurred_at, actor, action, subject, ip, detail) "
        "SELECT $1, $2, $3, 'application:' || u.id, '', u.detail::jsonb "
        "FROM unnest($4::int[], $5::text[]) AS u(id, detail)",
        change.at, change.by[:320], f"application.{change.kind}",
        [row["id"] for row in rows], details)


async def _insert_timeline(rows: list[dict], change: Change) -> None:
    payload = {"stage": change.to_stage["name"]}
    if change.kind in {"rejected", "withdrawn"} and change.reason:
        payload["reason"] = change.reason
    await fetch(
        "INSERT INTO engagement_events (person, type, occurred_at, source, payload) "
        "SELECT u.person, $2, $3, 'requisition:' || u.requisition, "
        "jsonb_build_object('requisition', r.title) || $4::jsonb "
        "FROM unnest($1::int[], $5::int[]) AS u(person, requisition) "
        "JOIN requisitions r ON r.id = u.requisition",
        [row["person"] for row in rows], TIMELINE_TYPES[change.kind], change.at,
        json.dumps(payload), [row["requisition"] for row in rows])


async def _emit_webhooks(rows: list[dict], change: Change, queue: TaskQueue | None) -> None:
    """application.stage_changed for every written row (application.hired as well for a
    hire): one statement per type for the whole set, none when nobody subscribes."""
    items = [({"application_id": row["id"], "requisition_id": row["requisition"],
               "person_id": row["person"], "from_stage_id": row["stage"],
               "to_stage_id": change.to_stage["id"], "to_stage": change.to_stage["name"],
               "kind": change.kind}, row["person"]) for row in rows]
    await webhooks.emit_many("application.stage_changed", items, now=change.at, queue=queue)
    if change.kind == "hired":
        await webhooks.emit_many("application.hired", [
            ({key: data[key] for key in ("application_id", "requisition_id", "person_id",
                                        "to_stage_id")}, person) for data, person in items],
            now=change.at, queue=queue)
