"""Daily pool sizes for the growth table (dynamic pools are otherwise evaluated live)."""

from __future__ import annotations

from arq import cron

from domain.pools import snapshots


async def snapshot_pools(ctx: dict) -> int:
    """Idempotent per day: a re-run overwrites today's row."""
    return await snapshots.take(now=ctx["clock"].now())


TASKS = [snapshot_pools]
CRON_JOBS = [cron(snapshot_pools, hour={4}, minute={10}, second={30}, unique=True, timeout=3600)]
