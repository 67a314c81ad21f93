from __future__ import annotations

from domain.outbox import service as outbox


async def relay_outbox(ctx: dict) -> int:
    """Enqueue outbox rows whose after-commit enqueue never happened."""
    return await outbox.relay_pending(ctx["queue"], now=ctx["clock"].now())
