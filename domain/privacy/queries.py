"""Read models for the privacy pages: a person's own requests, the staff request list."""

from __future__ import annotations

from datetime import datetime

from domain.db import fetch

ADMIN_LIST_LIMIT = 200


async def person_requests(person_id: int, *, now: datetime) -> list[dict]:
    """The person's requests, newest first, with their archive when there is one."""
    rows = await fetch(
        "SELECT r.id, r.kind, r.status, r.received_at, r.due_at, r.completed_at, "
        "e.id AS export_id, e.expires_at, e.downloaded_at, e.size_bytes "
        "FROM data_requests r LEFT JOIN data_exports e ON e.request = r.id "
        "WHERE r.person = $1 ORDER BY r.received_at DESC, r.id DESC LIMIT 50",
        person_id,
    )
    for row in rows:
        row["downloadable"] = row["export_id"] is not None and row["expires_at"] > now
    return rows


def _overdue(row: dict, now: datetime) -> bool:
    return row["completed_at"] is None and row["due_at"] < now


async def staff_requests(*, now: datetime, limit: int = ADMIN_LIST_LIMIT) -> list[dict]:
    """Open requests first (soonest due on top), then the most recently completed."""
    rows = await fetch(
        "SELECT r.id, r.kind, r.status, r.received_at, r.due_at, r.completed_at, "
        "r.person, p.email FROM data_requests r LEFT JOIN people p ON p.id = r.person "
        "ORDER BY (r.completed_at IS NULL) DESC, "
        "CASE WHEN r.completed_at IS NULL THEN r.due_at END ASC, r.completed_at DESC, r.id DESC "
        "LIMIT $1",
        limit,
    )
    for row in rows:
        row["overdue"] = _overdue(row, now)
    return rows


async def active_holds() -> list[dict]:
    return await fetch(
        "SELECT h.id, h.person, p.email, h.reason, h.placed_by, h.placed_at "
        "FROM legal_holds h JOIN people p ON p.id = h.person "
        "WHERE h.released_at IS NULL ORDER BY h.placed_at DESC, h.id DESC"
    )
