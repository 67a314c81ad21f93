"""Nurture sequences: every minute, enrol the people new events made eligible, then run
the steps that are due (both set-based and idempotent: watermarks, unique step runs)."""

from __future__ import annotations

from arq import cron

from domain.sequences import enrolment, scheduler


async def sequence_entries(ctx: dict) -> int:
    """Returns the enrolments made."""
    return await enrolment.scan_entries(now=ctx["clock"].now())


async def sequence_tick(ctx: dict) -> int:
    """Returns the steps run."""
    return await scheduler.tick(now=ctx["clock"].now())


TASKS = [sequence_entries, sequence_tick]
CRON_JOBS = [
    cron(sequence_entries, second={20}, unique=True, timeout=120),
    cron(sequence_tick, second={35}, unique=True, timeout=120),
]
