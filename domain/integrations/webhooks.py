"""Webhooks out: `emit` writes a domain event and its deliveries in the caller's
transaction; the delivery task (domain.integrations.webhook_delivery) sends them.

Event types and payloads: webhook_rules.EVENT_TYPES. Signing: webhook_rules (module doc).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.db import fetch
from domain.integrations import webhook_rules as rules
from domain.outbox import service as outbox
from domain.ports import TaskQueue

EVENT_TYPES = rules.EVENT_TYPES
DELIVER_TASK = "deliver_webhooks"


@dataclass(frozen=True)
class Emitted:
    type: str
    data: dict[str, Any]
    person: int | None = None


# One statement: the listening subscriptions, the event rows (only when someone listens)
# and one pending delivery per (event, subscription).
_EMIT = """
WITH subs AS (
    SELECT id FROM webhook_subscriptions WHERE active AND $1 = ANY(event_types)
), ev AS (
    INSERT INTO webhook_events (event_id, type, person, payload, occurred_at)
    SELECT u.event_id, $1, u.person, u.payload::jsonb, $2
    FROM unnest($3::text[], $4::int[], $5::text[]) AS u(event_id, person, payload)
    WHERE EXISTS (SELECT 1 FROM subs)
    RETURNING id
)
INSERT INTO webhook_deliveries (subscription, event, status, attempts, next_attempt_at,
                                last_error, created_at)
SELECT subs.id, ev.id, 'pending', 0, $2, '', $2 FROM ev CROSS JOIN subs
RETURNING event
"""


async def listening(types: list[str]) -> set[str]:
    """Which of `types` an active subscription listens to. A bulk writer asks once per
    batch before building a payload per row: emit_many writes nothing when nobody
    listens, but only after every payload was built and sent to the database."""
    rows = await fetch("SELECT DISTINCT t FROM webhook_subscriptions, unnest(event_types) "
                       "AS t WHERE active AND t = ANY($1::varchar[])", types)
    return {row["t"] for row in rows}


async def emit(type_: str, payload: dict[str, Any], *, person: int | None = None,
               now: datetime, queue: TaskQueue | None = None) -> int:
    """Record one event of `type_` inside the caller's transaction; returns how many
    deliveries were written (0 and no event row when no active subscription listens)."""
    return await emit_many(type_, [(payload, person)], now=now, queue=queue)


async def emit_many(type_: str, items: list[tuple[dict[str, Any], int | None]], *,
                    now: datetime, queue: TaskQueue | None = None) -> int:
    """`emit` for a set (a bulk stage move): one statement for all of them. The delivery
    task is queued through the outbox after commit (without a queue, the outbox relay
    picks it up; the retry cron would too)."""
    if type_ not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {type_!r}")
    if not items:
        return 0
    rows = await fetch(_EMIT, type_, now, [str(uuid.uuid4()) for _ in items],
                       [person for _, person in items],
                       [json.dumps(data, default=str) for data, _ in items])
    if rows:
        await outbox.add(DELIVER_TASK, now=now, queue=queue)
    return len(rows)
