from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from domain.db import execute


async def record(
    *, action: str, at: datetime, actor: str = "", subject: str = "", ip: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    await execute(
        "INSERT INTO audit_entries (occurred_at, actor, action, subject, ip, detail) "
        "VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
        at, actor[:320], action, subject[:200], (ip or "")[:64], json.dumps(detail or {}),
    )
