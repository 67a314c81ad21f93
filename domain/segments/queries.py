"""Running a segment: how many people match, and a page of them (keyset on person id,
newest first), both from the one compiled condition."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.db import fetch, fetchval
from domain.errors import Invalid
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
    where, args = await compiled_sql(definition, now=now)
    return int(await fetchval(f"SELECT count(*) {BASE_FROM} WHERE {where}", *args))


async def page(definition: Any, *, now: datetime, after: int | None = None,
               limit: int = PAGE_SIZE) -> tuple[list[dict], int | None]:
    where, args = await compiled_sql(definition, now=now)
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
    """The live count and the first page, for the builder."""
    rows, next_after = await page(definition, now=now)
    return Preview(await count(definition, now=now), rows, next_after)


async def member_ids(definition: Any, *, now: datetime) -> list[int]:
    """Every matching person id (for bulk actions and snapshots), newest first."""
    where, args = await compiled_sql(definition, now=now)
    rows = await fetch(f"SELECT p.id {BASE_FROM} WHERE {where} ORDER BY p.id DESC", *args)
    return [row["id"] for row in rows]
