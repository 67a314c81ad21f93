"""Data-subject requests: build export archives; expire them; finish held erasures."""

from __future__ import annotations

from arq import cron

from domain.privacy import export
from domain.privacy import service as privacy


async def build_data_export(ctx: dict, request_id: int) -> str:
    """arq may run this twice: the claim and the unique archive per request make the
    second run a no-op."""
    return await privacy.build_export(request_id, clock=ctx["clock"], queue=ctx["queue"])


async def expire_data_exports(ctx: dict) -> dict:
    """Archives are downloadable for 7 days; then the file goes."""
    return {
        "expired": await export.expire_archives(clock=ctx["clock"]),
        "orphans": await export.sweep_orphans(clock=ctx["clock"]),
    }


async def purge_retained_records(ctx: dict) -> dict:
    """Erasures that waited for a retention period or a legal hold, and the addresses
    of sent erasure confirmations."""
    return {
        "purged": await privacy.purge_retained(clock=ctx["clock"]),
        "scrubbed": await privacy.scrub_erasure_notices(),
    }


TASKS = [build_data_export, expire_data_exports, purge_retained_records]
CRON_JOBS = [
    cron(expire_data_exports, minute={7, 37}, unique=True, timeout=300),
    cron(purge_retained_records, hour={3}, minute={17}, unique=True, timeout=600),
]
