from __future__ import annotations

from datetime import datetime

from domain.db import execute, fetch
from domain.errors import NotFound


async def current_text(purpose: str) -> dict:
    rows = await fetch(
        "SELECT id, purpose, version, body FROM consent_texts WHERE purpose = $1 "
        "ORDER BY version DESC LIMIT 1",
        purpose,
    )
    if not rows:
        raise NotFound(f"No consent text is configured for {purpose!r}.")
    return rows[0]


async def ensure_text(*, purpose: str, body: str, now: datetime) -> None:
    """Create version 1 of a purpose's text if it has none. Texts are never edited."""
    await execute(
        "INSERT INTO consent_texts (purpose, version, body, created_at) "
        "SELECT $1::varchar, 1, $2::text, $3 WHERE NOT EXISTS "
        "(SELECT 1 FROM consent_texts WHERE purpose = $1::varchar)",
        purpose,
        body,
        now,
    )


async def record(
    *, person_id: int, purpose: str, scope: str, text_id: int | None, action: str,
    method: str, at: datetime, ip: str | None = None, user_agent: str | None = None,
) -> None:
    await execute(
        "INSERT INTO consent_records (person, purpose, scope, consent_text, action, method, "
        "occurred_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        person_id,
        purpose,
        scope,
        text_id,
        action,
        method,
        at,
        (ip or "")[:64] or None,
        (user_agent or "")[:400] or None,
    )


async def ledger(person_id: int) -> list[dict]:
    return await fetch(
        "SELECT c.id, c.purpose, c.scope, c.action, c.method, c.occurred_at, "
        "t.version AS text_version "
        "FROM consent_records c LEFT JOIN consent_texts t ON t.id = c.consent_text "
        "WHERE c.person = $1 ORDER BY c.occurred_at DESC, c.id DESC",
        person_id,
    )
