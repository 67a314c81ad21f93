"""Webhooks out: send due deliveries (queued after an event commits, and every minute for
retries), and the daily retention of the delivery log."""

from __future__ import annotations

from arq import cron

from domain.integrations import webhook_delivery


async def deliver_webhooks(ctx: dict) -> int:
    """Idempotent: each delivery is claimed before it is sent; nothing due, nothing done."""
    return await webhook_delivery.deliver_due(clock=ctx["clock"], queue=ctx["queue"])


async def retry_webhooks(ctx: dict) -> int:
    return await webhook_delivery.deliver_due(clock=ctx["clock"], queue=ctx["queue"])


async def purge_webhook_log(ctx: dict) -> int:
    return await webhook_delivery.purge_old(now=ctx["clock"].now())


TASKS = [deliver_webhooks, retry_webhooks, purge_webhook_log]
CRON_JOBS = [
    cron(retry_webhooks, second={41}, unique=True, timeout=300),
    cron(purge_webhook_log, hour={3}, minute={47}, second={0}, unique=True, timeout=600),
]
