"""Compliance: purge application records once their legal retention period is over."""

from __future__ import annotations

from dataclasses import asdict

from arq import cron

from domain.compliance import retention
from settings import get_settings


async def purge_expired_applications(ctx: dict) -> dict:
    """Daily; safe to run twice (a second run finds nothing past its period)."""
    result = await retention.purge_expired_applications(
        clock=ctx["clock"], federal_contractor=get_settings().federal_contractor)
    return asdict(result)


TASKS = [purge_expired_applications]
CRON_JOBS = [
    cron(purge_expired_applications, hour={3}, minute={47}, unique=True, timeout=1800),
]
