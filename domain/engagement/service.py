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
