"""Event waitlist: lapse stale seat offers every minute and pass each seat on."""

from __future__ import annotations

from arq import cron

from domain.events import service as events


async def expire_event_offers(ctx: dict) -> int:
    """Idempotent: an offer is lapsed only while it is still offered and past its time."""
    return await events.expire_offers(clock=ctx["clock"], queue=ctx["queue"])


TASKS = [expire_event_offers]
# Every minute, so an expired hold passes to the next person within one tick.
CRON_JOBS = [cron(expire_event_offers, second={7}, unique=True, timeout=300)]
