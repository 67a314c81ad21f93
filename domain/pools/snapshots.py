"""Daily pool sizes: a static pool counts its members, a dynamic one runs its segment.
One row per pool and day (re-running a day overwrites it), read by the growth table."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from domain.db import fetch
from domain.errors import Invalid
from domain.segments import queries as segments


async def take(*, now: datetime) -> int:
    """Snapshot every pool for today's date (UTC); returns pools snapshotted. A dynamic
    pool whose segment no longer compiles (a community it names was deleted) is skipped
    and keeps its earlier snapshots."""
    pools = await fetch("SELECT id, kind, segment FROM talent_pools ORDER BY id")
    static = {row["pool"]: row["n"] for row in await fetch(
        "SELECT pool, count(*) AS n FROM pool_members GROUP BY pool")}
    taken = 0
    for pool in pools:
        if pool["kind"] == "dynamic":
            definition = pool["segment"]
            if isinstance(definition, str):
                definition = json.loads(definition)
            try:
                size = await segments.saved_count(definition, now=now)
            except Invalid:
                continue
        else:
            size = static.get(pool["id"], 0)
        await fetch(
            "INSERT INTO pool_snapshots (pool, day, members, taken_at) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (pool, day) DO UPDATE SET members = EXCLUDED.members, "
            "taken_at = EXCLUDED.taken_at", pool["id"], now.date(), size, now)
        taken += 1
    return taken


async def history(pool_id: int, *, now: datetime, days: int = 30) -> list[dict]:
    return await fetch(
        "SELECT day, members FROM pool_snapshots WHERE pool = $1 AND day > $2 ORDER BY day",
        pool_id, (now - timedelta(days=days)).date())
