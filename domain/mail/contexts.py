"""Which domain service supplies the render context for each email template."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from domain.communities import service as communities
from domain.ports import Clock

ContextBuilder = Callable[..., Awaitable[dict]]

BUILDERS: dict[str, ContextBuilder] = {
    "community_confirm": communities.email_context,
    "community_already_member": communities.email_context,
}


async def build(template: str, stored: dict, *, clock: Clock) -> dict:
    builder = BUILDERS.get(template)
    if builder is None:
        raise LookupError(f"no context builder for email template {template!r}")
    return await builder(template, stored, clock=clock)
