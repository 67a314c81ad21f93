"""Render contexts for the sign-in emails (registered in domain.mail.contexts)."""

from __future__ import annotations

from urllib.parse import quote

from domain.db import fetch
from domain.identity.service import person_subject
from domain.people.rules import first_name
from domain.ports import Clock
from domain.tokens import service as tokens
from domain.tokens.signer import MAX_AGE, Purpose
from settings import get_settings


async def magic_link_context(template: str, stored: dict, *, clock: Clock) -> dict:
    """The link is minted when the email is rendered, so no raw token is ever stored and
    its ten minutes start when it is sent."""
    base_url = get_settings().base_url
    rows = await fetch("SELECT full_name FROM people WHERE id = $1", stored["person_id"])
    token = await tokens.issue(purpose=Purpose.MAGIC_LINK,
                               subject=person_subject(int(stored["person_id"])), clock=clock)
    next_path = stored.get("next") or ""
    suffix = f"?next={quote(next_path)}" if next_path else ""
    return {
        "person_name": first_name(rows[0]["full_name"]) if rows else "",
        "sign_in_url": f"{base_url}/account/magic/{token}{suffix}",
        "expires_minutes": int(MAX_AGE[Purpose.MAGIC_LINK].total_seconds() // 60),
    }


async def no_account_context(template: str, stored: dict, *, clock: Clock) -> dict:
    return {"person_name": "", "portal_url": get_settings().base_url + "/"}


EMAIL_CONTEXTS: dict = {
    "magic_link": magic_link_context,
    "sign_in_no_account": no_account_context,
}
