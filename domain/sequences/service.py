"""Nurture sequences: create and edit (versions), go live / pause / archive, migrate
enrolled people to the live version, manual and bulk enrolment, and the enrolment
actions a recruiter or another context takes one at a time: pause on reply, resume,
exit. The scheduler (scheduler.py) moves enrolments through their steps set-based."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.audit import service as audit
from domain.campaigns import rules as campaign_rules
from domain.db import execute, fetch, fetchval, transaction
from domain.errors import Conflict, Invalid, NotFound
from domain.sequences import enrolment, rules


async def pause_for_reply(person_id: int, *, send_id: int | None, at: datetime) -> int:
    """A reply from the person was matched (by the tracking context): pause their active
    enrolments so no further step goes out before a recruiter has read it. With `send_id`
    of a sequence email only that send's enrolment is paused; otherwise every active
    enrolment of the person (also when the send was a campaign's). Returns how many were
    paused; a recruiter resumes them."""
    async with transaction():
        rows = await fetch(
            "UPDATE sequence_enrollments e SET state = 'paused', paused_reason = 'replied', "
            "updated_at = $3 WHERE e.person = $1 AND e.state = 'active' "
            "AND e.id = coalesce((SELECT enrollment FROM marketing_sends WHERE id = $2), e.id) "
            "RETURNING e.id, e.sequence",
            person_id, send_id, at)
        for row in rows:
            await audit.record(action="sequence.enrollment_paused", at=at,
                               actor="system", subject=f"enrollment:{row['id']}",
                               detail={"sequence_id": row["sequence"], "reason": "replied",
                                       "person_id": person_id, "send_id": send_id})
        return len(rows)


@dataclass(frozen=True)
class SequenceDraft:
    name: str
    description: str
    purpose: str
    consent_scope: str
    owner: str
    allow_overlap: bool
    allow_during_application: bool
    steps: list[dict[str, Any]]
    entry_rules: list[dict[str, Any]]
    exit_rules: list[str]


def parse(raw: dict, step_rows: list[dict]) -> SequenceDraft:
    """The sequence form and its step editor rows; raises Invalid with per-field errors
    (`steps-N` for a step, `steps` for the graph)."""
    name = " ".join(str(raw.get("name") or "").split())
    purpose = str(raw.get("purpose") or "")
    errors: dict[str, str] = {}
    if not name or len(name) > 160:
        errors["name"] = "Give the sequence a name of at most 160 characters."
    if purpose not in campaign_rules.PURPOSES:
        errors["purpose"] = "Choose which consent the people must have given."
    owner = str(raw.get("owner") or "").strip().lower()
    if len(owner) > 320 or (owner and "@" not in owner):
        errors["owner"] = "Give the owner's email address."
    steps, step_errors = rules.parse_steps(step_rows)
    entry_rules, entry_errors = rules.parse_entry_rules(raw)
    errors.update(step_errors)
    errors.update(entry_errors)
    if errors:
        raise Invalid("Please correct the highlighted fields.", errors)
    return SequenceDraft(
        name=name, description=str(raw.get("description") or "").strip()[:2000],
        purpose=purpose, consent_scope=str(raw.get("consent_scope") or "").strip()[:80],
        owner=owner, allow_overlap=bool(raw.get("allow_overlap")),
        allow_during_application=bool(raw.get("allow_during_application")),
        steps=steps, entry_rules=entry_rules, exit_rules=rules.parse_exit_rules(raw))


async def _check_pools(draft: SequenceDraft) -> None:
    """Pool steps name a static pool and one of its stages (checked when saved; a pool
    changed later makes the step skip its work, see the scheduler)."""
    errors: dict[str, str] = {}
    for n, step in enumerate(draft.steps):
        if step.get("type") != "pool_stage":
            continue
        rows = await fetch("SELECT kind, stages FROM talent_pools WHERE id = $1",
                           step.get("pool_id"))
        if not rows or rows[0]["kind"] != "static":
            errors[f"steps-{n}"] = "Choose a static pool (people are added to it)."
        elif step.get("stage") not in (rows[0]["stages"] or []):
            errors[f"steps-{n}"] = "Choose one of the pool's stages."
    if errors:
        raise Invalid("Please correct the highlighted fields.", errors)


async def _audit(action: str, sequence_id: int, by: str, at: datetime,
                 detail: dict | None = None) -> None:
    await audit.record(action=action, at=at, actor=by, subject=f"sequence:{sequence_id}",
                       detail=detail or {})


async def create(draft: SequenceDraft, *, by: str, now: datetime) -> int:
    await _check_pools(draft)
    async with transaction():
        if await fetchval("SELECT 1 FROM sequences WHERE lower(name) = lower($1)", draft.name):
            raise Invalid("That name is taken.", {"name": "Another sequence has this name."})
        sequence_id = await fetchval(
            "INSERT INTO sequences (name, description, purpose, consent_scope, state, "
            "live_version, allow_overlap, allow_during_application, owner, created_by, "
            "created_at, updated_by, updated_at) VALUES ($1, $2, $3, $4, 'draft', 1, $5, $6, "
            "$7, $8, $9, $8, $9) RETURNING id", draft.name, draft.description, draft.purpose,
            draft.consent_scope, draft.allow_overlap, draft.allow_during_application,
            draft.owner or by, by, now)
        await _insert_version(sequence_id, 1, draft, by, now)
        await _audit("sequence.created", sequence_id, by, now, {"name": draft.name})
        return int(sequence_id)


async def _insert_version(sequence_id: int, version: int, draft: SequenceDraft, by: str,
                          now: datetime) -> None:
    await execute(
        "INSERT INTO sequence_versions (sequence, version, steps, entry_rules, exit_rules, "
        "created_by, created_at) VALUES ($1, $2, $3::jsonb, $4::jsonb, $5::jsonb, $6, $7)",
        sequence_id, version, json.dumps(draft.steps), json.dumps(draft.entry_rules),
        json.dumps(draft.exit_rules), by, now)


async def update(sequence_id: int, draft: SequenceDraft, *, by: str, now: datetime) -> int:
    """Save the sequence. While nobody is enrolled on its live version the version is
    changed in place; otherwise a new version becomes live and the enrolled people
    finish on theirs (unless migrated). Returns the live version."""
    await _check_pools(draft)
    async with transaction():
        current = await _lock(sequence_id)
        if current["state"] == "archived":
            raise Conflict("An archived sequence cannot be changed.")
        if await fetchval("SELECT 1 FROM sequences WHERE lower(name) = lower($1) AND id <> $2",
                          draft.name, sequence_id):
            raise Invalid("That name is taken.", {"name": "Another sequence has this name."})
        if current["live_version"] is None:  # a sequence written without a version
            await _insert_version(sequence_id, 1, draft, by, now)
        version = int(current["live_version"] or 1)
        used = await fetchval("SELECT 1 FROM sequence_enrollments WHERE sequence = $1 "
                              "AND version = $2 LIMIT 1", sequence_id, version)
        if used:
            version = int(await fetchval("SELECT max(version) FROM sequence_versions "
                                         "WHERE sequence = $1", sequence_id)) + 1
            await _insert_version(sequence_id, version, draft, by, now)
        else:
            await execute(
                "UPDATE sequence_versions SET steps = $3::jsonb, entry_rules = $4::jsonb, "
                "exit_rules = $5::jsonb, created_by = $6, created_at = $7 "
                "WHERE sequence = $1 AND version = $2", sequence_id, version,
                json.dumps(draft.steps), json.dumps(draft.entry_rules),
                json.dumps(draft.exit_rules), by, now)
        await execute(
            "UPDATE sequences SET name = $2, description = $3, purpose = $4, "
            "consent_scope = $5, allow_overlap = $6, allow_during_application = $7, "
            "owner = $8, live_version = $9, updated_by = $10, updated_at = $11 WHERE id = $1",
            sequence_id, draft.name, draft.description, draft.purpose, draft.consent_scope,
            draft.allow_overlap, draft.allow_during_application, draft.owner or by,
            version, by, now)
        await _audit("sequence.version_saved", sequence_id, by, now,
                     {"version": version, "new_version": bool(used), "name": draft.name})
        return version


async def _lock(sequence_id: int) -> dict:
    rows = await fetch("SELECT * FROM sequences WHERE id = $1 FOR UPDATE", sequence_id)
    if not rows:
        raise NotFound("There is no such sequence.")
    return rows[0]


_MOVES = {"activate": ({"draft", "paused"}, "live", "sequence.activated"),
          "pause": ({"live"}, "paused", "sequence.paused"),
          "archive": ({"draft", "live", "paused"}, "archived", "sequence.archived")}


async def set_state(sequence_id: int, action: str, *, by: str, now: datetime) -> None:
    """activate | pause | archive. Archiving ends every open enrolment."""
    if action not in _MOVES:
        raise Invalid("Unknown action.")
    allowed, state, audit_action = _MOVES[action]
    async with transaction():
        current = await _lock(sequence_id)
        if current["state"] not in allowed:
            raise Conflict(f"A {current['state']} sequence cannot be set to {state}.")
        await execute("UPDATE sequences SET state = $2, updated_by = $3, updated_at = $4 "
                      "WHERE id = $1", sequence_id, state, by, now)
        ended = 0
        if state == "archived":
            ended = len(await fetch(
                "UPDATE sequence_enrollments SET state = 'exited', exit_reason = "
                "'sequence archived', exited_at = $2, due_at = NULL, updated_at = $2 "
                "WHERE sequence = $1 AND state IN ('active', 'paused') RETURNING id",
                sequence_id, now))
        await _audit(audit_action, sequence_id, by, now,
                     {"from": current["state"], "ended_enrollments": ended})


async def migrate_enrolled(sequence_id: int, *, by: str, now: datetime) -> int:
    """Move the open enrolments on older versions to the live one, at the same step key
    when the live version has it (the others finish on their version)."""
    async with transaction():
        current = await _lock(sequence_id)
        steps = await fetchval("SELECT steps FROM sequence_versions WHERE sequence = $1 "
                               "AND version = $2", sequence_id, current["live_version"])
        keys = [s["key"] for s in (json.loads(steps) if isinstance(steps, str) else steps)]
        moved = await fetch(
            "UPDATE sequence_enrollments SET version = $2, updated_at = $4 "
            "WHERE sequence = $1 AND version <> $2 AND state IN ('active', 'paused') "
            "AND step_key = ANY($3::text[]) RETURNING id",
            sequence_id, current["live_version"], keys, now)
        await _audit("sequence.enrollments_migrated", sequence_id, by, now,
                     {"version": current["live_version"], "moved": len(moved)})
        return len(moved)


async def enrol(sequence_id: int, *, source: str, ref: str, by: str,
                now: datetime) -> tuple[int, int]:
    """Manual or bulk enrolment (a person, a segment, a pool); (enrolled, skipped)."""
    async with transaction():
        current = await _lock(sequence_id)
        if current["state"] != "live":
            raise Conflict("Only a live sequence takes enrolments.")
        enrolled, skipped = await enrolment.enrol_manually(sequence_id, source=source,
                                                           ref=ref, by=by, now=now)
        await _audit("sequence.people_enrolled", sequence_id, by, now,
                     {"source": source, "ref": ref, "enrolled": enrolled,
                      "skipped": skipped})
        return enrolled, skipped


_ENROLMENT_MOVES = {
    "pause": ({"active"}, "sequence.enrollment_paused"),
    "resume": ({"paused"}, "sequence.enrollment_resumed"),
    "exit": ({"active", "paused"}, "sequence.enrollment_exited"),
}


async def change_enrollment(enrollment_id: int, action: str, *, by: str,
                            now: datetime) -> int:
    """A recruiter pauses, resumes or ends one enrolment. Returns its sequence id."""
    if action not in _ENROLMENT_MOVES:
        raise Invalid("Unknown action.")
    allowed, audit_action = _ENROLMENT_MOVES[action]
    async with transaction():
        rows = await fetch("SELECT * FROM sequence_enrollments WHERE id = $1 FOR UPDATE",
                           enrollment_id)
        if not rows:
            raise NotFound("There is no such enrolment.")
        row = rows[0]
        if row["state"] not in allowed:
            raise Conflict(f"A {row['state']} enrolment cannot be {action}d.")
        if action == "pause":
            await execute("UPDATE sequence_enrollments SET state = 'paused', paused_reason = "
                          "$2, updated_at = $3 WHERE id = $1", enrollment_id,
                          f"paused by {by}"[:120], now)
        elif action == "resume":
            # 'resumed' tells the scheduler's reply check that this reply was read.
            await execute("UPDATE sequence_enrollments SET state = 'active', paused_reason = "
                          "'resumed', due_at = greatest(coalesce(due_at, $2), $2), "
                          "updated_at = $2 WHERE id = $1", enrollment_id, now)
        else:
            await execute("UPDATE sequence_enrollments SET state = 'exited', exit_reason = "
                          "'manual', exited_at = $2, due_at = NULL, updated_at = $2 "
                          "WHERE id = $1", enrollment_id, now)
        await audit.record(action=audit_action, at=now, actor=by,
                           subject=f"enrollment:{enrollment_id}",
                           detail={"sequence_id": row["sequence"],
                                   "person_id": row["person"], "was": row["state"]})
        return int(row["sequence"])


async def complete_task(task_id: int, *, by: str, now: datetime) -> None:
    """Mark one of `by`'s open recruiter tasks done."""
    async with transaction():
        rows = await fetch(
            "UPDATE recruiter_tasks SET done_at = $2, done_by = $3 WHERE id = $1 "
            "AND done_at IS NULL AND lower(assignee) = lower($3) RETURNING person",
            task_id, now, by)
        if not rows:
            raise NotFound("There is no such open task of yours.")
        await audit.record(action="recruiter_task.done", at=now, actor=by,
                           subject=f"recruiter_task:{task_id}",
                           detail={"person_id": rows[0]["person"]})
