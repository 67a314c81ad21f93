"""The nurture scheduler: run the steps that are due, set-based.

Each batch claims up to BATCH due enrolments of live sequences (`FOR UPDATE SKIP LOCKED`,
so two ticks never run the same step), ends or pauses those an exit rule now applies to,
then runs each (sequence, version, step) group with a few statements whatever its size:
record the step runs (unique per enrolment and step, so a re-run does nothing twice), do
the step's work for the whole group (queue the emails, create the tasks, tag, move pool
stages) and advance every enrolment to its next step. A condition or a branch is one
CASE over the group. Steps after an email are due at once: a condition on an email's
open should follow a wait, which gives the email time to be read.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from datetime import datetime
from typing import Any

from domain.db import fetch, transaction
from domain.errors import DomainError
from domain.people import tags
from domain.pools import service as pools
from domain.sequences import sql

BATCH = 5_000
# A tick stops claiming new batches after this long (the cron runs every minute).
TICK_SECONDS = 50.0

_CLAIM = (
    "SELECT e.id, e.person, e.sequence, e.version, e.step_key FROM sequence_enrollments e "
    "JOIN sequences s ON s.id = e.sequence AND s.state = 'live' "
    "WHERE e.state = 'active' AND e.due_at <= $1 ORDER BY e.due_at, e.id LIMIT $2 "
    "FOR UPDATE OF e SKIP LOCKED")


async def tick(*, now: datetime, batch: int = BATCH, budget: float = TICK_SECONDS) -> int:
    """Run due steps until none is due (steps due at once after another run in the same
    tick) or the time budget is spent. Returns how many steps ran."""
    started, total = time.monotonic(), 0
    while time.monotonic() - started < budget:
        ran = await run_batch(now=now, batch=batch)
        if not ran:
            break
        total += ran
    return total


async def run_batch(*, now: datetime, batch: int = BATCH) -> int:
    async with transaction():
        rows = await fetch(_CLAIM, now, batch)
        if not rows:
            return 0
        left = await apply_exits([row["id"] for row in rows], now=now)
        groups: dict[tuple[int, int, str], list[dict]] = defaultdict(list)
        for row in rows:
            if row["id"] not in left:
                groups[(row["sequence"], row["version"], row["step_key"])].append(row)
        versions = await _versions({(s, v) for s, v, _ in groups})
        for (sequence_id, version, key), members in groups.items():
            found = versions.get((sequence_id, version))
            step = _step(found, key)
            await run_group(found or {}, step, key, members, now=now)
        return len(rows)


async def _versions(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], dict]:
    if not pairs:
        return {}
    rows = await fetch(
        "SELECT v.sequence, v.version, v.steps, s.owner, s.name FROM sequence_versions v "
        "JOIN sequences s ON s.id = v.sequence "
        "JOIN unnest($1::int[], $2::int[]) u(s, v) ON u.s = v.sequence AND u.v = v.version",
        [p[0] for p in pairs], [p[1] for p in pairs])
    return {(r["sequence"], r["version"]): {**r, "steps": _json(r["steps"])} for r in rows}


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _step(version: dict | None, key: str) -> dict | None:
    if not version:
        return None
    return next((s for s in version["steps"] if s.get("key") == key), None)


async def apply_exits(ids: list[int], *, now: datetime) -> set[int]:
    """End (or, for a reply, pause) the enrolments among `ids` an exit rule of their
    version applies to. Returns their ids."""
    rows = await fetch(sql.EXITS, ids, now)
    if rows:
        await fetch(
            "INSERT INTO engagement_events (person, type, occurred_at, source, payload) "
            "SELECT u.person, 'sequence_exited', $3, 'sequence:' || u.sequence, "
            "jsonb_build_object('reason', u.reason) "
            "FROM unnest($1::int[], $2::text[], $4::int[]) u(person, reason, sequence) "
            "WHERE u.reason <> 'replied'",
            [r["person"] for r in rows], [r["reason"] for r in rows], now,
            [r["sequence"] for r in rows])
    return {row["id"] for row in rows}


async def run_group(version: dict, step: dict | None, key: str, members: list[dict], *,
                    now: datetime) -> None:
    ids = [m["id"] for m in members]
    if step is None:
        await _finish(ids, now=now, state="exited", reason="step no longer exists")
        return
    kind = step["type"]
    if kind in ("condition", "branch"):
        await _choose(step, ids, now=now)
        return
    fresh = set(await _record(ids, key, _outcome(step), now=now))
    people = [m["person"] for m in members if m["id"] in fresh]
    enrolled = [m["id"] for m in members if m["id"] in fresh]
    if kind == "end":
        await _finish(ids, now=now, state="completed", reason="completed")
        return
    if kind == "email" and enrolled:
        await fetch(sql.QUEUE_EMAILS, enrolled, people, key, now)
    elif kind == "task" and enrolled:
        await fetch(sql.CREATE_TASKS, enrolled, people, step["kind"], step["title"],
                    step.get("assignee") or version.get("owner", ""), now,
                    int(step.get("due_days") or 0))
    elif kind == "tag" and people:
        await tags.add_tags(people, [step["tag"]], by=f"sequence:{version['sequence']}",
                            at=now)
    elif kind == "pool_stage" and people:
        await _pool_stage(step, people, version, now)
    if kind == "wait":
        await fetch(sql.advance_after_wait(step), ids, step["next"], now,
                    int(step["amount"]))
    else:
        await fetch(sql.ADVANCE, ids, step["next"], now)


def _outcome(step: dict) -> str:
    return {"email": "email queued", "wait": f"waited {step.get('amount')} {step.get('unit')}",
            "task": "task created", "tag": f"tagged {step.get('tag', '')}"[:80],
            "pool_stage": f"moved to {step.get('stage', '')}"[:80],
            "end": "completed"}.get(step["type"], step["type"])


async def _record(ids: list[int], key: str, outcome: str, *, now: datetime) -> list[int]:
    rows = await fetch(
        "INSERT INTO sequence_step_runs (enrollment, step_key, outcome, ran_at) "
        "SELECT u, $2, $3, $4 FROM unnest($1::bigint[]) u "
        "ON CONFLICT (enrollment, step_key) DO NOTHING RETURNING enrollment",
        ids, key, outcome, now)
    return [row["enrollment"] for row in rows]


async def _choose(step: dict, ids: list[int], *, now: datetime) -> None:
    """A condition or a branch: one CASE picks each enrolment's next step."""
    case, args = sql.choice(step, first_arg=4)
    await fetch(
        "WITH chosen AS (SELECT e.id, " + case + " AS next "  # noqa: S608  # nosec B608 # CASE of fixed fragments, $n params
        "  FROM sequence_enrollments e WHERE e.id = ANY($1::bigint[])), "
        "runs AS (INSERT INTO sequence_step_runs (enrollment, step_key, outcome, ran_at) "
        "  SELECT id, $2, left('went to ' || next, 80), $3 FROM chosen "
        "  ON CONFLICT (enrollment, step_key) DO NOTHING) "
        "UPDATE sequence_enrollments e SET step_key = c.next, due_at = $3, updated_at = $3 "
        "FROM chosen c WHERE e.id = c.id",
        ids, step["key"], now, *args)


async def _finish(ids: list[int], *, now: datetime, state: str, reason: str) -> None:
    rows = await fetch(
        "UPDATE sequence_enrollments SET state = $2, exit_reason = $3, exited_at = $4, "
        "due_at = NULL, updated_at = $4 WHERE id = ANY($1::bigint[]) "
        "RETURNING person, sequence", ids, state, reason, now)
    await fetch(
        "INSERT INTO engagement_events (person, type, occurred_at, source, payload) "
        "SELECT u.person, $3, $4, 'sequence:' || u.sequence, '{}'::jsonb "
        "FROM unnest($1::int[], $2::int[]) u(person, sequence)",
        [r["person"] for r in rows], [r["sequence"] for r in rows],
        "sequence_completed" if state == "completed" else "sequence_exited", now)


async def _pool_stage(step: dict, people: list[int], version: dict, now: datetime) -> None:
    """Add to the pool at the stage, and move those already in it. A pool deleted or a
    stage renamed since the step was saved skips the work (the step still advances)."""
    by = f"sequence:{version['sequence']}"
    try:
        await pools.add_people(int(step["pool_id"]), people, source=by, by=by, at=now,
                               stage=step["stage"])
        await pools.set_stage(int(step["pool_id"]), people, step["stage"], by=by, at=now)
    except DomainError:
        return
