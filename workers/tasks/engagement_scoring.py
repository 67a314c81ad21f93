"""Engagement scores: rescore people with new events every five minutes, and everyone
nightly (scores decay with time even when nothing happens)."""

from __future__ import annotations

from arq import cron

from domain.engagement import scoring


async def score_recent_engagement(ctx: dict) -> int:
    """Idempotent: a second run finds no events past the watermark. Returns people."""
    return await scoring.refresh_changed(now=ctx["clock"].now())


async def rescore_everyone(ctx: dict) -> int:
    return await scoring.refresh_all(now=ctx["clock"].now())


TASKS = [score_recent_engagement, rescore_everyone]
CRON_JOBS = [
    cron(score_recent_engagement, minute=set(range(2, 60, 5)), second={17}, unique=True,
         timeout=600),
    # 03:40 UTC: after the retention purge, before Europe's working day.
    cron(rescore_everyone, hour={3}, minute={40}, second={5}, unique=True, timeout=3600),
]
