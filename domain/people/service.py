from __future__ import annotations

from datetime import datetime

from domain.db import fetch


async def find_or_create(*, email: str, full_name: str, source: str, now: datetime) -> dict:
    """Return the person for a normalised email, creating them once under concurrency.

    A name is filled in only when we had none: a form must not overwrite a known name.
    """
    rows = await fetch(
        """
        INSERT INTO people (email, full_name, source, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $4)
        ON CONFLICT (email) DO UPDATE SET
            full_name = CASE WHEN people.full_name = '' THEN EXCLUDED.full_name
                             ELSE people.full_name END,
            updated_at = CASE WHEN people.full_name = '' THEN EXCLUDED.updated_at
                              ELSE people.updated_at END
        RETURNING id, email, full_name, (xmax = 0) AS created
        """,
        email,
        full_name,
        source,
        now,
    )
    return rows[0]
