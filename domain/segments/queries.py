"""Running a segment: how many people match, and a page of them (keyset on person id,
newest first), both from the one compiled condition."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from domain.db import fetch, fetch_records, fetchval, transaction
from domain.errors import Invalid, NotFound
from domain.segments import membership
from domain.segments.compiler import BASE_FROM, BASE_WHERE, compile_segment, load_catalog
from domain.segments.definition import Group, parse

PAGE_SIZE = 50


@dataclass(frozen=True)
class Preview:
    count: int
    rows: list[dict]
    next_after: int | None
    # When the figures come from the maintained membership: the time it was last brought
    # up to date. None: evaluated just now.
    as_of: datetime | None = None
    # False when counting exactly took longer than the live budget and `count` is the
    # planner's estimate (the builder says so; saved segments are counted exactly).
    exact: bool = True


# An unsaved definition is evaluated over everyone on every edit. Broad ones at a million
# people take seconds to count; past this the builder shows the planner's estimate rather
# than keeping a recruiter (and a database connection) waiting.
LIVE_COUNT_BUDGET_MS = 1500


_SELECT_ROW = ("SELECT p.id, coalesce(nullif(p.full_name, ''), p.email) AS name, p.email, "
               "coalesce(pr.headline, '') AS headline, coalesce(pr.country, '') AS country, "
               "coalesce(es.score, 0) AS score, coalesce(es.band, 'cold') AS band, "
               "es.last_engaged_at ")
# The same row shape over an audience's members instead of everyone.
MEMBERS_FROM = ("FROM segment_audience_members m JOIN people p ON p.id = m.person "
                + BASE_FROM.removeprefix("FROM people p "))


async def compiled_sql(definition: Any, *, now: datetime) -> tuple[str, tuple]:
    """(WHERE text, args) for a raw definition; Invalid names the offending condition."""
    group = definition if isinstance(definition, Group) else parse(definition)
    compiled = compile_segment(group, await load_catalog(group), now=now)
    return f"{BASE_WHERE} AND {compiled.where}", compiled.args


async def count(definition: Any, *, now: datetime) -> int:
    return await _count(await compiled_sql(definition, now=now))


async def _count(compiled: tuple[str, tuple]) -> int:
    where, args = compiled
    return int(await fetchval(f"SELECT count(*) {BASE_FROM} WHERE {where}", *args))


async def page(definition: Any, *, now: datetime, after: int | None = None,
               limit: int = PAGE_SIZE) -> tuple[list[dict], int | None]:
    return await _page(await compiled_sql(definition, now=now), after=after, limit=limit)


async def _page(compiled: tuple[str, tuple], *, after: int | None = None,
                limit: int = PAGE_SIZE) -> tuple[list[dict], int | None]:
    where, args = compiled
    _checked_cursor(after)
    if after is not None:
        args = (*args, after)
        where += f" AND p.id < ${len(args)}"
    args = (*args, limit + 1)
    rows = await fetch(
        f"{_SELECT_ROW}{BASE_FROM} WHERE {where} ORDER BY p.id DESC LIMIT ${len(args)}", *args)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1]["id"] if more else None)


async def preview(definition: Any, *, now: datetime,
                  count_budget_ms: int = LIVE_COUNT_BUDGET_MS) -> Preview:
    """The live count and the first page, for the builder: compiled (and the catalog
    loaded) once for both. The count is exact unless it overruns the budget."""
    compiled = await compiled_sql(definition, now=now)
    rows, next_after = await _page(compiled)
    count, exact = await _count_within(compiled, count_budget_ms)
    return Preview(count, rows, next_after, exact=exact)


async def _count_within(compiled: tuple[str, tuple], budget_ms: int) -> tuple[int, bool]:
    where, args = compiled
    try:
        async with transaction():
            await fetch(f"SET LOCAL statement_timeout = {int(budget_ms)}")
            return await _count(compiled), True
    except asyncpg.QueryCanceledError:
        plan = await fetchval(f"EXPLAIN (FORMAT JSON) SELECT p.id {BASE_FROM} WHERE {where}",
                              *args)
        document = json.loads(plan) if isinstance(plan, str) else plan
        return int(document[0]["Plan"]["Plan Rows"]), False


def _checked_cursor(after: int | None) -> None:
    if after is not None and not 0 < after < 2**31:
        raise Invalid("That page link is damaged; start again from the first page.")


def _saved_sql(with_cursor: bool) -> str:
    """The maintained count and a page of members in one round trip: no row when the
    audience is not built (yet), one row with NULL person columns when it is empty."""
    cursor = " AND m.person < $3" if with_cursor else ""
    return (
        "WITH a AS (SELECT id, member_count, refreshed_at FROM segment_audiences "  # noqa: S608 (constant fragments)  # nosec B608
        "WHERE key = $1 AND built_at IS NOT NULL AND problem = '') "
        "SELECT a.member_count, a.refreshed_at, page.* FROM a LEFT JOIN LATERAL ("
        f"{_SELECT_ROW}{MEMBERS_FROM} WHERE m.audience = a.id{cursor} "
        "ORDER BY m.person DESC LIMIT $2) page ON true")


async def saved(definition: Any, *, now: datetime, after: int | None = None,
                limit: int = PAGE_SIZE) -> Preview:
    """Count and a page of a saved segment or dynamic pool: from its maintained membership
    once that is built, else evaluated now (just saved; the worker builds it within a
    minute)."""
    _checked_cursor(after)
    args: tuple = (membership.key_of(definition), limit + 1)
    if after is not None:
        args = (*args, after)
    found = await fetch_records(_saved_sql(after is not None), *args)
    if found:
        count, as_of = found[0]["member_count"], found[0]["refreshed_at"]
        # (each row also carries the two audience columns: cheaper than copying it)
        rows = found if found[0]["id"] is not None else []
        more = len(rows) > limit
        rows = rows[:limit]
        return Preview(count, rows, rows[-1]["id"] if more else None, as_of)
    compiled = await compiled_sql(definition, now=now)
    rows, next_after = await _page(compiled, after=after, limit=limit)
    return Preview(await _count(compiled), rows, next_after)


async def saved_count(definition: Any, *, now: datetime) -> int:
    audience = await membership.audience_of(definition)
    if audience is not None and audience.ready:
        return audience.member_count
    return await count(definition, now=now)


async def member_ids(definition: Any, *, now: datetime) -> list[int]:
    """Every matching person id (for bulk actions and snapshots), newest first."""
    where, args = await compiled_sql(definition, now=now)
    rows = await fetch(f"SELECT p.id {BASE_FROM} WHERE {where} ORDER BY p.id DESC", *args)
    return [row["id"] for row in rows]


async def visible_segments(staff_id: int) -> list[dict]:
    """The segments this staff member sees, each with its maintained member count (None
    until the worker has built it)."""
    rows = await fetch(
        "SELECT s.id, s.name, s.description, s.visibility, s.updated_at, s.definition, "
        "coalesce(u.email, '') AS owner_email FROM segments s "
        "LEFT JOIN staff_users u ON u.id = s.owner "
        "WHERE s.visibility = 'shared' OR s.owner = $1 ORDER BY lower(s.name)", staff_id)
    keys = {}
    for row in rows:
        definition = row.pop("definition")
        try:
            keys[row["id"]] = membership.key_of(
                json.loads(definition) if isinstance(definition, str) else definition)
        except Invalid:
            continue
    counts = {r["key"]: r for r in await fetch(
        "SELECT key, member_count, refreshed_at FROM segment_audiences "
        "WHERE key = ANY($1::varchar[]) AND built_at IS NOT NULL AND problem = ''",
        list(keys.values()))}
    for row in rows:
        audience = counts.get(keys.get(row["id"], ""))
        row["members"] = audience["member_count"] if audience else None
        row["members_as_of"] = audience["refreshed_at"] if audience else None
    return rows


async def segment(segment_id: int, staff_id: int) -> dict:
    """One saved segment this staff member may see (someone else's private one → 404)."""
    rows = await fetch(
        "SELECT s.*, coalesce(u.email, '') AS owner_email FROM segments s "
        "LEFT JOIN staff_users u ON u.id = s.owner WHERE s.id = $2 "
        "AND (s.visibility = 'shared' OR s.owner = $1)", staff_id, segment_id)
    if not rows:
        raise NotFound("No such segment.")
    found = rows[0]
    if isinstance(found["definition"], str):
        found["definition"] = json.loads(found["definition"])
    return found
