"""Bulk actions too large to run inline, and the daily clean-up of their export files."""

from __future__ import annotations

from arq import cron

from domain.bulk import service as bulk


async def run_bulk_action(ctx: dict, bulk_id: int) -> str:
    """At least once: a re-run of a finished action is a no-op, of an unfinished one
    starts again (every kind is idempotent, see domain.bulk.service)."""
    return await bulk.run(bulk_id, now=ctx["clock"].now(), queue=ctx["queue"])


async def expire_bulk_exports(ctx: dict) -> int:
    return await bulk.expire_exports(now=ctx["clock"].now())


TASKS = [run_bulk_action, expire_bulk_exports]
CRON_JOBS = [cron(expire_bulk_exports, hour={3}, minute={40}, second={15}, unique=True,
                  timeout=600)]
