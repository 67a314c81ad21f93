from __future__ import annotations

from arq import cron

from domain.outbox import service as outbox


async def relay_outbox(ctx: dict) -> int:
    """Enqueue outbox rows whose after-commit enqueue never happened."""
    return await outbox.relay_pending(ctx["queue"], now=ctx["clock"].now())


TASKS = [relay_outbox]
CRON_JOBS = [cron(relay_outbox, second=set(range(0, 60, 5)), run_at_startup=True, unique=True,
                  timeout=60)]
