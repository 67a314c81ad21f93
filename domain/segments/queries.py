"""Running a segment: how many people match, and a page of them (keyset on person id,
newest first), both from the one compiled condition."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.db import fetch, fetchval
from domain.errors import Invalid, NotFound
from domain.segments.compiler import BASE_FROM, BASE_WHERE, compile_segment, load_catalog
from domain.segments.definition import Group, parse

PAGE_SIZE = 50


@dataclass(frozen=True)
class Preview:
    count: int
    rows: list[dict]
    next_after: int | None


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
    if after is not None:
        if not 0 < after < 2**31:
            raise Invalid("That page link is damaged; start again from the first page.")
        args = (*args, after)
        where += f" AND p.id < ${len(args)}"
    args = (*args, limit + 1)
    rows = await fetch(
        "SELECT p.id, coalesce(nullif(p.full_name, ''), p.email) AS name, p.email, "
        "coalesce(pr.headline, '') AS headline, coalesce(pr.country, '') AS country, "
        "coalesce(es.score, 0) AS score, coalesce(es.band, 'cold') AS band, "
        f"es.last_engaged_at {BASE_FROM} WHERE {where} ORDER BY p.id DESC LIMIT ${len(args)}",
        *args)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1]["id"] if more else None)


async def preview(definition: Any, *, now: datetime) -> Preview:
    """The live count and the first page, for the builder: compiled (and the catalog
    loaded) once for both."""
    compiled = await compiled_sql(definition, now=now)
    rows, next_after = await _page(compiled)
    return Preview(await _count(compiled), rows, next_after)


async def member_ids(definition: Any, *, now: datetime) -> list[int]:
    """Every matching person id (for bulk actions and snapshots), newest first."""
    where, args = await compiled_sql(definition, now=now)
    rows = await fetch(f"SELECT p.id {BASE_FROM} WHERE {where} ORDER BY p.id DESC", *args)
    return [row["id"] for row in rows]


async def visible_segments(staff_id: int) -> list[dict]:
    return await fetch(
        "SELECT s.id, s.name, s.description, s.visibility, s.updated_at, "
        "coalesce(u.email, '') AS owner_email FROM segments s "
        "LEFT JOIN staff_users u ON u.id = s.owner "
        "WHERE s.visibility = 'shared' OR s.owner = $1 ORDER BY lower(s.name)", staff_id)


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
