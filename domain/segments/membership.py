"""Maintained membership of saved segments and dynamic pools ("audiences").

Counting a broad segment over a million people takes a second or more however it is
indexed; a recruiter opening a saved segment or a dynamic pool should not wait for it. So
every definition that is saved (as a segment or a dynamic pool) has an audience: its
members as rows, its count as a number, brought up to date incrementally.

- Statement triggers on every table a condition reads append the people a statement
  touched to `segment_dirty_people` (migration 2026-11-29T10:03:26).
- `refresh_changed` takes a batch of those people and re-evaluates every audience for
  just them, in one transaction with the removal of the batch: a crash loses nothing, and
  a change committed meanwhile keeps its own dirty row for the next round.
- `build` evaluates one audience over everyone: when it is new, when the taxonomy or
  catalog may have moved under it (daily), and hourly for definitions that depend on the
  clock ("engaged within 30 days" changes without anything being written).
- `tick` (a worker cron, every minute) does all of that under an advisory lock, so two
  workers never refresh at once.

Identical definitions share one audience (keyed by a hash of the canonical JSON);
audiences nobody references any more are dropped by `sync`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from domain.db import connection, fetch, fetchval, transaction
from domain.errors import Invalid
from domain.segments.compiler import BASE_FROM, BASE_WHERE, compile_segment, load_catalog
from domain.segments.definition import Group, parse, to_json

DIRTY_BATCH = 20_000
MAX_BATCHES_PER_TICK = 25
TIME_RELATIVE_EVERY = timedelta(hours=1)
FULL_EVERY = timedelta(hours=24)
_LOCK = 0x5E6_A0D1  # pg advisory lock: one membership refresher at a time


@dataclass(frozen=True)
class Audience:
    id: int
    member_count: int
    built_at: datetime | None
    refreshed_at: datetime | None
    problem: str

    @property
    def ready(self) -> bool:
        return self.built_at is not None and not self.problem


def canonical(definition: Any) -> dict:
    group = definition if isinstance(definition, Group) else parse(definition)
    return to_json(group)


def key_of(definition: Any) -> str:
    """The audience key of a definition (Invalid if it does not parse). Cached on the
    definition's JSON text: pages of a saved segment ask for it on every read."""
    document = to_json(definition) if isinstance(definition, Group) else definition
    return _key_of_text(json.dumps(document, sort_keys=True, separators=(",", ":")))


@lru_cache(maxsize=2048)
def _key_of_text(text: str) -> str:
    document = canonical(json.loads(text))
    return hashlib.sha256(
        json.dumps(document, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


async def _compiled(definition: Any, now: datetime) -> tuple[str, tuple]:
    group = parse(definition)
    compiled = compile_segment(group, await load_catalog(group), now=now)
    return f"{BASE_WHERE} AND {compiled.where}", compiled.args


async def _depends_on_clock(definition: Any, now: datetime) -> bool:
    """True when the compiled query changes with the time it runs at."""
    group = parse(definition)
    catalog = await load_catalog(group)
    earlier = compile_segment(group, catalog, now=now - timedelta(days=1))
    return compile_segment(group, catalog, now=now).args != earlier.args


async def ensure(definition: Any, *, now: datetime) -> int:
    """The audience of this definition, registered (unbuilt) if it is new."""
    document = canonical(definition)
    time_relative = await _depends_on_clock(document, now)
    return int(await fetchval(
        "INSERT INTO segment_audiences (key, definition, time_relative, member_count, "
        "problem, created_at) VALUES ($1, $2::jsonb, $3, 0, '', $4) "
        "ON CONFLICT (key) DO UPDATE SET key = excluded.key RETURNING id",
        key_of(document), json.dumps(document), time_relative, now))


async def audience_of(definition: Any) -> Audience | None:
    try:
        key = key_of(definition)
    except Invalid:
        return None
    rows = await fetch(
        "SELECT id, member_count, built_at, refreshed_at, problem FROM segment_audiences "
        "WHERE key = $1", key)
    return Audience(**rows[0]) if rows else None


async def _referenced() -> list[Any]:
    rows = await fetch(
        "SELECT definition FROM segments UNION ALL "
        "SELECT segment FROM talent_pools WHERE kind = 'dynamic' AND segment IS NOT NULL")
    return [json.loads(r["definition"]) if isinstance(r["definition"], str)
            else r["definition"] for r in rows]


async def sync(*, now: datetime) -> None:
    """Every saved definition has an audience; no audience outlives its last reference."""
    referenced: dict[str, Any] = {}
    for definition in await _referenced():
        try:
            referenced[key_of(definition)] = definition
        except Invalid:
            continue  # saved before a parsing rule tightened: nothing to keep
    keys = list(referenced)
    known = {row["key"] for row in await fetch(
        "SELECT key FROM segment_audiences WHERE key = ANY($1::varchar[])", keys)}
    for key in set(keys) - known:
        try:
            await ensure(referenced[key], now=now)
        except Invalid:
            keys.remove(key)  # names a community or skill that is gone: the page says so
    await fetch("DELETE FROM segment_audiences WHERE NOT (key = ANY($1::varchar[]))", keys)


async def build(audience_id: int, *, now: datetime) -> None:
    """Evaluate the audience over everyone and store the difference, in one statement."""
    rows = await fetch("SELECT id, definition FROM segment_audiences WHERE id = $1",
                       audience_id)
    if rows:
        await _store(rows[0], now, people=None)


async def _store(audience: dict, now: datetime, *, people: list[int] | None) -> None:
    """Bring one audience's members and count in line with its definition: over everyone
    (people=None: a build, the count recomputed) or for just these people (the count moved
    by the difference)."""
    definition = audience["definition"]
    definition = json.loads(definition) if isinstance(definition, str) else definition
    try:
        where, args = await _compiled(definition, now)
    except Invalid as exc:
        if people is None:
            await fetch("UPDATE segment_audiences SET problem = $2, built_at = $3 "
                        "WHERE id = $1", audience["id"], str(exc), now)
        else:
            await fetch("UPDATE segment_audiences SET problem = $2 WHERE id = $1",
                        audience["id"], str(exc))
        return
    n = len(args)
    args = (*args, audience["id"], now)
    built = f", built_at = ${n + 2}" if people is None else ""
    if people is None:
        only, count = "", "(SELECT count(*) FROM fresh)"
    else:
        args = (*args, people)
        only = f" AND {{column}} = ANY(${n + 3}::int[])"
        count = ("member_count + (SELECT count(*) FROM added) "
                 "- (SELECT count(*) FROM gone)")
    await fetch(
        f"WITH fresh AS MATERIALIZED (SELECT p.id {BASE_FROM} WHERE {where}"  # nosec B608 # compiled segment WHERE, $n params
        f"{only.format(column='p.id')}), "
        f"gone AS (DELETE FROM segment_audience_members m WHERE m.audience = ${n + 1}"
        f"{only.format(column='m.person')} "
        "AND NOT EXISTS (SELECT 1 FROM fresh f WHERE f.id = m.person) RETURNING 1), "
        "added AS (INSERT INTO segment_audience_members (audience, person) "
        f"SELECT ${n + 1}, id FROM fresh ON CONFLICT (audience, person) DO NOTHING "
        "RETURNING 1) "
        f"UPDATE segment_audiences SET member_count = {count}, refreshed_at = ${n + 2}"
        f"{built}, problem = '' WHERE id = ${n + 1}",
        *args)


async def refresh_changed(*, now: datetime, batch: int = DIRTY_BATCH) -> int:
    """Bring every built audience up to date for one batch of changed people; returns how
    many dirty rows it consumed (0 when there is nothing left)."""
    async with transaction():
        rows = await fetch(
            "DELETE FROM segment_dirty_people WHERE id IN (SELECT id FROM segment_dirty_people "
            "ORDER BY id LIMIT $1) RETURNING person", batch)
        if not rows:
            return 0
        people = sorted({row["person"] for row in rows})
        audiences = await fetch(
            "SELECT id, definition FROM segment_audiences "
            "WHERE built_at IS NOT NULL AND problem = '' ORDER BY id")
        for audience in audiences:
            await _store(audience, now, people=people)
    return len(rows)


async def _due_for_build(now: datetime) -> list[int]:
    rows = await fetch(
        "SELECT id FROM segment_audiences WHERE built_at IS NULL "
        "OR (time_relative AND built_at < $1) OR built_at < $2 ORDER BY built_at NULLS FIRST, id",
        now - TIME_RELATIVE_EVERY, now - FULL_EVERY)
    return [row["id"] for row in rows]


async def tick(*, now: datetime) -> dict[str, int]:
    """One refresher round (the worker cron); skipped when another one is running. The
    lock is a session lock on a connection held for the round (each step commits on its
    own); a worker that dies mid-round drops its connection and with it the lock."""
    async with connection() as conn:
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", _LOCK):
            return {"skipped": 1}
        try:
            return await _round(now)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK)


async def _round(now: datetime) -> dict[str, int]:
    await sync(now=now)
    built = 0
    for audience_id in await _due_for_build(now):
        await build(audience_id, now=now)
        built += 1
    consumed = 0
    for _ in range(MAX_BATCHES_PER_TICK):
        step = await refresh_changed(now=now)
        consumed += step
        if step == 0:
            break
    return {"built": built, "changes": consumed, "skipped": 0}
