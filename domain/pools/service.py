"""Changing pools: create, add people (one statement for any number), move them between
the pool's stages, remove them. Every change is audited; adding a person also puts an
event on their timeline so the CRM history shows where they were pooled and why."""

from __future__ import annotations

import json
from datetime import datetime

from domain.audit import service as audit
from domain.db import fetch, fetchval, transaction
from domain.errors import Conflict, Invalid, NotFound
from domain.people.tags import add_tags
from domain.pools import rules


async def create(values: dict, *, owner_id: int, by: str, now: datetime) -> int:
    """A static pool from `rules.parse_pool` values; a taken name is a per-field error."""
    rows = await fetch(
        "INSERT INTO talent_pools (name, description, kind, visibility, owner, stages, "
        "created_by, created_at, updated_at) VALUES ($1, $2, 'static', $3, $4, $5, $6, $7, $7) "
        "ON CONFLICT (name) DO NOTHING RETURNING id",
        values["name"], values["description"], values["visibility"], owner_id,
        values["stages"], by, now)
    if not rows:
        raise Invalid("That name is taken.", {"name": "Another pool has this name."})
    pool_id = rows[0]["id"]
    await audit.record(action="pool.created", at=now, actor=by, subject=f"pool:{pool_id}",
                       detail={"name": values["name"]})
    return pool_id


async def silver_pool_for(job_function: str, skills: list[str], *, now: datetime) -> int:
    """The shared silver-medalist pool of a job function, created on first use; the skills
    of every requisition that fed it accumulate on it (what nurture and search match)."""
    key = rules.silver_pool_key(job_function)
    rows = await fetch(
        "INSERT INTO talent_pools (name, description, kind, visibility, job_function, skills, "
        "auto_key, created_by, created_at, updated_at) "
        "VALUES ($1, $2, 'static', 'shared', $3, $4, $5, 'system', $6, $6) "
        "ON CONFLICT (auto_key) DO UPDATE SET skills = ARRAY(SELECT DISTINCT unnest("
        "  talent_pools.skills || EXCLUDED.skills) ORDER BY 1), updated_at = EXCLUDED.updated_at "
        "RETURNING id",
        rules.silver_pool_name(job_function),
        "Strong candidates rejected late in a hiring process, kept warm for the next role.",
        job_function, sorted(set(skills)), key, now)
    return rows[0]["id"]


async def add_people(pool_id: int, person_ids: list[int], *, source: str, by: str,
                     at: datetime, stage: str | None = None) -> int:
    """Add people at `stage` (default: the pool's first); people already in the pool keep
    their stage. Returns how many were added."""
    pool = await _pool(pool_id)
    stage = stage or pool["stages"][0]
    if stage not in pool["stages"]:
        raise Invalid("Unknown stage.", {"stage": "Choose one of the pool's stages."})
    rows = await fetch(
        "INSERT INTO pool_members (pool, person, stage, source, added_by, added_at, "
        "stage_changed_at) SELECT $1, p.id, $2, $3, $4, $5, $5 FROM people p "
        "WHERE p.id = ANY($6::int[]) AND p.merged_into IS NULL "
        "ON CONFLICT (pool, person) DO NOTHING RETURNING person",
        pool_id, stage, source, by, at, sorted(set(person_ids)))
    added = [row["person"] for row in rows]
    if added:
        await fetch(
            "INSERT INTO engagement_events (person, type, occurred_at, source, payload) "
            "SELECT p, 'pool_added', $2, $3, $4::jsonb FROM unnest($1::int[]) p",
            added, at, f"pool:{pool_id}",
            json.dumps({"pool": pool["name"], "stage": stage, "source": source}))
        await audit.record(action="pool.people_added", at=at, actor=by,
                           subject=f"pool:{pool_id}",
                           detail={"count": len(added), "stage": stage, "source": source,
                                   "people": added[:100]})
    return len(added)


async def set_stage(pool_id: int, person_ids: list[int], stage: str, *, by: str,
                    at: datetime) -> int:
    pool = await _pool(pool_id)
    if stage not in pool["stages"]:
        raise Invalid("Unknown stage.", {"stage": "Choose one of the pool's stages."})
    rows = await fetch(
        "UPDATE pool_members SET stage = $3, stage_changed_at = $4 "
        "WHERE pool = $1 AND person = ANY($2::int[]) AND stage <> $3 RETURNING person",
        pool_id, sorted(set(person_ids)), stage, at)
    if rows:
        await audit.record(action="pool.stage_changed", at=at, actor=by,
                           subject=f"pool:{pool_id}",
                           detail={"stage": stage, "people": [r["person"] for r in rows][:100],
                                   "count": len(rows)})
    return len(rows)


async def remove(pool_id: int, person_id: int, *, by: str, at: datetime) -> None:
    async with transaction():
        rows = await fetch("DELETE FROM pool_members WHERE pool = $1 AND person = $2 "
                           "RETURNING id", pool_id, person_id)
        if not rows:
            raise Conflict("That person is not in this pool.")
        await audit.record(action="pool.person_removed", at=at, actor=by,
                           subject=f"pool:{pool_id}", detail={"person": person_id})


async def _pool(pool_id: int) -> dict:
    """A static pool (a dynamic pool's members come from its segment, not from here)."""
    rows = await fetch("SELECT id, name, stages, kind FROM talent_pools WHERE id = $1",
                       pool_id)
    if not rows:
        raise NotFound("No such pool.")
    if rows[0]["kind"] == "dynamic":
        raise Invalid("A dynamic pool's members come from its segment.",
                      {"pool": "People join and leave this pool by matching its segment."})
    return rows[0]


async def exists(pool_id: int) -> bool:
    return bool(await fetchval("SELECT 1 FROM talent_pools WHERE id = $1", pool_id))


async def review(pool_id: int, person_id: int, *, action: str, note: str, tags: list[str],
                 by: str, at: datetime) -> str:
    """One decision in the rapid review queue, in one transaction: the note (kept on the
    membership) and tags are saved whatever the action; then `advance` moves the person
    to the pool's next stage, `reject` takes them out of the pool (the note is the
    reason, kept in the audit log), `skip` and `save` leave the stage as it is.
    Returns what happened, for the notice."""
    pool = await _pool(pool_id)
    async with transaction():
        rows = await fetch("SELECT stage, note FROM pool_members WHERE pool = $1 "
                           "AND person = $2 FOR UPDATE", pool_id, person_id)
        if not rows:
            raise Conflict("That person is no longer in this pool.")
        if note != rows[0]["note"] and action != "reject":
            await fetch("UPDATE pool_members SET note = $3 WHERE pool = $1 AND person = $2",
                        pool_id, person_id, note)
            await audit.record(action="pool.note_saved", at=at, actor=by,
                               subject=f"pool:{pool_id}",
                               detail={"person": person_id, "note": note[:500]})
        if tags:
            added = await add_tags([person_id], tags, by=by, at=at)
            await audit.record(action="person.tagged", at=at, actor=by,
                               subject=f"person:{person_id}",
                               detail={"tags": tags, "added": added, "via": f"pool:{pool_id}"})
        return await _decide(pool, person_id, rows[0]["stage"], action, note, by=by, at=at)


async def _decide(pool: dict, person_id: int, stage: str, action: str, note: str, *,
                  by: str, at: datetime) -> str:
    if action == "advance":
        following = rules.next_stage(pool["stages"], stage)
        if following is None:
            return "last_stage"
        await set_stage(pool["id"], [person_id], following, by=by, at=at)
        return "advanced"
    if action == "reject":
        await fetch("DELETE FROM pool_members WHERE pool = $1 AND person = $2",
                    pool["id"], person_id)
        await audit.record(action="pool.person_rejected", at=at, actor=by,
                           subject=f"pool:{pool['id']}",
                           detail={"person": person_id, "stage": stage, "reason": note[:500]})
        return "rejected"
    return "skipped" if action == "skip" else "saved"
