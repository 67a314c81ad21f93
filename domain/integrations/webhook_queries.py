"""Read models for the webhook admin pages: subscriptions and the delivery log."""

from __future__ import annotations

from dataclasses import dataclass

from domain.db import fetch
from domain.errors import NotFound

STATUSES = ("pending", "delivered", "failed", "gave_up")
PAGE = 50


async def subscriptions() -> list[dict]:
    return await fetch(
        "SELECT s.id, s.url, s.description, s.event_types, s.active, s.consecutive_failures, "
        "s.disabled_reason, last.status AS last_status, last.last_attempt_at, "
        "last.last_status_code FROM webhook_subscriptions s LEFT JOIN LATERAL ("
        " SELECT d.status, d.last_attempt_at, d.last_status_code FROM webhook_deliveries d"
        " WHERE d.subscription = s.id AND d.last_attempt_at IS NOT NULL"
        " ORDER BY d.last_attempt_at DESC, d.id DESC LIMIT 1) last ON true ORDER BY s.id")


async def subscription(subscription_id: int) -> dict:
    rows = await fetch(
        "SELECT s.id, s.url, s.description, s.event_types, s.secret, s.active, "
        "s.allow_private_network, s.consecutive_failures, s.disabled_at, s.disabled_reason, "
        "s.created_at, o.email AS owner_email FROM webhook_subscriptions s "
        "LEFT JOIN staff_users o ON o.id = s.owner WHERE s.id = $1", subscription_id)
    if not rows:
        raise NotFound("There is no such webhook.")
    return rows[0]


@dataclass(frozen=True)
class DeliveryPage:
    rows: list[dict]
    next_before: int | None


async def deliveries(subscription_id: int, *, status: str = "",
                     before: int | None = None) -> DeliveryPage:
    """Newest first, keyset on the delivery id."""
    rows = await fetch(
        "SELECT d.id, d.status, d.attempts, d.next_attempt_at, d.last_attempt_at, "
        "d.last_status_code, d.last_error, d.response_ms, d.delivered_at, d.created_at, "
        "e.event_id, e.type FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event "
        "WHERE d.subscription = $1 AND ($2 = '' OR d.status = $2) "
        "AND ($3::bigint IS NULL OR d.id < $3) ORDER BY d.id DESC LIMIT $4",
        subscription_id, status if status in STATUSES else "", before, PAGE + 1)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return DeliveryPage(rows, rows[-1]["id"] if more else None)


async def delivery(subscription_id: int, delivery_id: int) -> dict | None:
    rows = await fetch(
        "SELECT d.id, d.status, d.attempts, d.last_status_code, d.last_error, d.response_ms, "
        "e.type FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event "
        "WHERE d.id = $1 AND d.subscription = $2", delivery_id, subscription_id)
    return rows[0] if rows else None
