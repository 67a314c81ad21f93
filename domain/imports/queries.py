"""Read models of people imports: the list of past imports and one import's progress."""

from __future__ import annotations

from typing import Any

from domain.db import fetch

LIST_LIMIT = 200


async def recent(limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
    return await fetch(
        "SELECT id, filename, status, lawful_basis, total_rows, processed_rows, "
        "created_people, updated_people, error_count, created_by, created_at, finished_at "
        "FROM people_imports ORDER BY id DESC LIMIT $1", limit)


def percent(found: dict[str, Any]) -> int:
    total = int(found["total_rows"] or 0)
    if found["status"] == "done" or not total:
        return 100 if found["status"] == "done" else 0
    return min(100, int(found["processed_rows"]) * 100 // total)
