"""Render contexts for this context's email templates (registered in domain.mail.contexts)."""

from __future__ import annotations

from datetime import UTC

from domain.db import fetch
from domain.errors import NotFound
from domain.people.rules import first_name
from domain.ports import Clock
from settings import get_settings


async def export_ready_context(template: str, stored: dict, *, clock: Clock) -> dict:
    """No token in the link: the archive downloads only for its owner, signed in."""
    base_url = get_settings().base_url
    rows = await fetch(
        "SELECT e.id, e.expires_at, p.full_name FROM data_exports e "
        "JOIN people p ON p.id = e.person WHERE e.id = $1",
        int(stored["export_id"]),
    )
    if not rows:
        raise NotFound("the export no longer exists")
    export = rows[0]
    return {
        "person_name": first_name(export["full_name"]),
        "download_url": f"{base_url}/account/data/exports/{export['id']}",
        "data_url": f"{base_url}/account/data",
        "expires_on": export["expires_at"].astimezone(UTC).strftime("%-d %B %Y"),
        "expires_days": 7,
    }


async def account_erased_context(template: str, stored: dict, *, clock: Clock) -> dict:
    """The person is gone by the time this renders: only the request remains."""
    rows = await fetch(
        "SELECT coalesce((detail->>'retained')::boolean, false) AS retained, completed_at "
        "FROM data_requests WHERE id = $1",
        int(stored["request_id"]),
    )
    if not rows:
        raise NotFound("the erasure request no longer exists")
    completed = rows[0]["completed_at"] or clock.now()
    return {
        "retained": rows[0]["retained"],
        "erased_on": completed.astimezone(UTC).strftime("%-d %B %Y"),
        "portal_url": get_settings().base_url + "/",
    }


EMAIL_CONTEXTS: dict = {
    "data_export_ready": export_ready_context,
    "account_erased": account_erased_context,
}
