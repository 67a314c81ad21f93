"""Read models of people imports: the list of past imports and one import's progress."""

from __future__ import annotations

from typing import Any

from domain.db import fetch
from domain.imports.rules import MAX_ERRORS_KEPT

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


def problems_listed(found: dict[str, Any]) -> dict[str, Any]:
    """What the list of problems on an import's page covers. Only the first
    MAX_ERRORS_KEPT problems are kept (error_count counts every row with one), so the
    page must say when the list stops short of the count."""
    kept = found["errors"] or []
    rows = len({error["row"] for error in kept})
    return {"rows": rows, "problems": len(kept), "limit": MAX_ERRORS_KEPT,
            "last_row": kept[-1]["row"] if kept else None,
            # Below the limit nothing was dropped; at it, rows may be counted but unlisted.
            "cut": len(kept) >= MAX_ERRORS_KEPT and rows < int(found["error_count"] or 0)}
