"""Keeps saved segments' and dynamic pools' membership current (domain.segments.membership):
every minute, apply what changed and rebuild what is new or due."""

from __future__ import annotations

from arq import cron

from domain.segments import membership


async def refresh_segment_membership(ctx: dict) -> dict[str, int]:
    """Idempotent; a second worker's concurrent run is skipped by an advisory lock."""
    return await membership.tick(now=ctx["clock"].now())


TASKS = [refresh_segment_membership]
CRON_JOBS = [cron(refresh_segment_membership, second={40}, unique=True, timeout=1800)]
