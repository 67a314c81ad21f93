"""Read models for the staff administration pages. Password hashes and TOTP secrets never
leave the table: only whether one is set."""

from __future__ import annotations

import json
from dataclasses import dataclass

from domain.db import fetch
from domain.errors import NotFound

PAGE_SIZE = 50
_SELECT = (
    "SELECT s.id, s.email, s.full_name, s.roles, s.is_active, s.created_at, s.last_login_at, "
    "s.disabled_at, s.invited_at, s.password_hash <> '' AS has_password, s.totp_enabled_at, "
    "i.full_name AS invited_by_name FROM staff_users s "
    "LEFT JOIN staff_users i ON i.id = s.invited_by "
)


@dataclass(frozen=True)
class StaffPage:
    rows: list[dict]
    next_after: str | None


def _status(row: dict) -> dict:
    state = "disabled" if not row["is_active"] else (
        "active" if row["has_password"] else "invited")
    return {**row, "status": state}


async def staff_page(*, after: str = "") -> StaffPage:
    """Everyone, by email address, a page at a time (keyset on the unique email)."""
    rows = await fetch(
        _SELECT + "WHERE s.email > $1 ORDER BY s.email LIMIT $2", after, PAGE_SIZE + 1)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return StaffPage([_status(row) for row in rows], rows[-1]["email"] if more else None)


async def staff_member(staff_id: int) -> dict:
    rows = await fetch(
        _SELECT + "WHERE s.id = $1", staff_id)
    if not rows:
        raise NotFound("No such staff account.")
    return _status(rows[0])


async def identities(staff_id: int) -> list[dict]:
    """The account's SSO links, oldest first (issuer and subject are not secrets)."""
    return await fetch(
        "SELECT id, issuer, subject, email_at_link, created_at, last_login_at "
        "FROM staff_identities WHERE staff = $1 ORDER BY id", staff_id)


async def recent_changes(staff_id: int, *, limit: int = 10) -> list[dict]:
    """The account's administration history, newest first (from the audit log)."""
    rows = await fetch(
        "SELECT occurred_at, actor, action, ip, detail FROM audit_entries "
        "WHERE subject = $1 ORDER BY id DESC LIMIT $2", f"staff:{staff_id}", limit)
    for row in rows:
        if isinstance(row["detail"], str):
            row["detail"] = json.loads(row["detail"])
    return rows
