from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from domain.db import execute


async def record(
    *, person_id: int, type: str, occurred_at: datetime, source: str = "",
    payload: dict[str, Any] | None = None,
) -> None:
    await execute(
        "INSERT INTO engagement_events (person, type, occurred_at, source, payload) "
        "VALUES ($1, $2, $3, $4, $5::jsonb)",
        person_id,
        type,
        occurred_at,
        source,
        json.dumps(payload or {}),
    )


async def record_many(events: list[dict[str, Any]]) -> int:
    """Append many events in one statement (the API's batches of up to 1,000); each dict
    has person_id, type, occurred_at, source and payload, and may have external_id: an
    event whose external id is already recorded is skipped. Returns how many were new."""
    if not events:
        return 0
    status = await execute(
        "INSERT INTO engagement_events (person, type, occurred_at, source, payload, "
        "external_id) "
        "SELECT u.person, u.type, u.occurred_at, u.source, u.payload::jsonb, u.external_id "
        "FROM unnest($1::int[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], "
        "$6::text[]) AS u(person, type, occurred_at, source, payload, external_id) "
        "ON CONFLICT (external_id) WHERE external_id IS NOT NULL DO NOTHING",
        [e["person_id"] for e in events], [e["type"] for e in events],
        [e["occurred_at"] for e in events], [e["source"] for e in events],
        [json.dumps(e.get("payload") or {}) for e in events],
        [e.get("external_id") for e in events])
    return int(status.split()[-1])
