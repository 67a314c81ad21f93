"""The tracking writer: every few seconds, flush the Redis buffer of opens and clicks
into tracking_events and the rollups (domain.campaigns.tracking.flush)."""

from __future__ import annotations

from arq import cron

from domain.campaigns import tracking


async def flush_tracking_hits(ctx: dict) -> int:
    """Safe to run twice or after a crash: a replayed batch stores nothing twice."""
    return await tracking.flush(ctx["redis"])


TASKS = [flush_tracking_hits]
CRON_JOBS = [
    cron(flush_tracking_hits, second=set(range(0, 60, 5)), unique=True, timeout=120,
         run_at_startup=True),
]
