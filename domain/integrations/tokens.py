"""API tokens: created by admins, shown once, stored as a sha256 hash with a short prefix
to recognise them in lists; scoped per area, expiring, revocable, rate-limited per token.

Lookup is by hash, so a guess costs a unique-index probe whatever it shares with a real
token: there is no prefix to compare byte by byte. `last_used_at` is written at most once
a minute, so a busy integration does not turn every read into a write.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.audit import service as audit
from domain.db import fetch, transaction
from domain.errors import Conflict, NotFound
from domain.integrations.rules import PREFIX_LENGTH, TOKEN_PREFIX, TokenDraft, token_hash
from domain.ports import Clock

LAST_USED_RESOLUTION = timedelta(minutes=1)
_COLUMNS = ("id, name, prefix, scopes, rate_limit_per_minute, created_at, expires_at, "
            "last_used_at, revoked_at")


@dataclass(frozen=True)
class ApiCaller:
    """A token that authenticated: what the API needs to authorise and audit a call."""

    id: int
    name: str
    scopes: tuple[str, ...]
    rate_limit_per_minute: int

    @property
    def actor(self) -> str:
        return f"api:{self.name}"


@dataclass(frozen=True)
class CreatedToken:
    id: int
    token: str  # the plaintext, returned once and never stored


def status_of(row: dict, now: datetime) -> str:
    if row["revoked_at"] is not None:
        return "revoked"
    if row["expires_at"] is not None and row["expires_at"] <= now:
        return "expired"
    return "active"


async def create(draft: TokenDraft, *, staff_id: int | None, actor: str, ip: str,
                 clock: Clock) -> CreatedToken:
    now = clock.now()
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = now + timedelta(days=draft.expiry_days) if draft.expiry_days else None
    async with transaction():
        rows = await fetch(
            "INSERT INTO api_tokens (name, token_hash, prefix, scopes, rate_limit_per_minute, "
            "created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
            "RETURNING id",
            draft.name, token_hash(token), token[:PREFIX_LENGTH], list(draft.scopes),
            draft.rate_limit_per_minute, staff_id, now, expires)
        token_id = int(rows[0]["id"])
        await audit.record(action="api_token.created", at=now, actor=actor,
                           subject=f"api_token:{token_id}", ip=ip,
                           detail={"name": draft.name, "prefix": token[:PREFIX_LENGTH],
                                   "scopes": list(draft.scopes),
                                   "expires_at": expires.isoformat() if expires else None,
                                   "rate_limit_per_minute": draft.rate_limit_per_minute})
    return CreatedToken(token_id, token)


async def list_tokens() -> list[dict]:
    return await fetch(
        f"SELECT t.{_COLUMNS.replace(', ', ', t.')}, coalesce(s.email, '') AS created_by "  # noqa: S608  # nosec B608 # constant column list
        "FROM api_tokens t LEFT JOIN staff_users s ON s.id = t.created_by "
        "ORDER BY t.revoked_at IS NOT NULL, t.created_at DESC, t.id DESC LIMIT 500")


async def get(token_id: int) -> dict:
    rows = await fetch(f"SELECT {_COLUMNS} FROM api_tokens WHERE id = $1",  # noqa: S608  # nosec B608 # constant column list
                       token_id)
    if not rows:
        raise NotFound("There is no API token with this id.")
    return rows[0]


async def revoke(token_id: int, *, actor: str, ip: str, clock: Clock) -> None:
    now = clock.now()
    async with transaction():
        rows = await fetch(
            "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL "
            "RETURNING name, prefix", token_id, now)
        if not rows:
            await get(token_id)  # NotFound for an unknown id
            raise Conflict("This token was revoked already.")
        await audit.record(action="api_token.revoked", at=now, actor=actor,
                           subject=f"api_token:{token_id}", ip=ip,
                           detail={"name": rows[0]["name"], "prefix": rows[0]["prefix"]})


async def authenticate(token: str, *, clock: Clock) -> ApiCaller | None:
    """The live token for a presented bearer string, else None (unknown, expired, revoked)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = token_hash(token)
    rows = await fetch(
        "SELECT id, name, token_hash, scopes, rate_limit_per_minute, expires_at, revoked_at, "
        "last_used_at FROM api_tokens WHERE token_hash = $1", digest)
    if not rows or not hmac.compare_digest(rows[0]["token_hash"], digest):
        return None
    row, now = rows[0], clock.now()
    if status_of(row, now) != "active":
        return None
    if row["last_used_at"] is None or row["last_used_at"] <= now - LAST_USED_RESOLUTION:
        await fetch("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND "
                    "(last_used_at IS NULL OR last_used_at <= $3)",
                    row["id"], now, now - LAST_USED_RESOLUTION)
    return ApiCaller(int(row["id"]), row["name"], tuple(row["scopes"] or ()),
                     int(row["rate_limit_per_minute"]))
