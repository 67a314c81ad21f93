"""Issue and consume single-use tokens: the signature proves origin, the row proves freshness."""

from __future__ import annotations

from domain.db import fetch
from domain.ports import Clock
from domain.tokens.signer import (
    MAX_AGE,
    Purpose,
    TokenClaims,
    TokenExpired,
    TokenInvalid,
    TokenUsed,
    new_nonce,
    sign,
    unsign,
)
from domain.tokens.tables import IssuedToken
from settings import get_settings


async def issue(*, purpose: Purpose, subject: str, clock: Clock) -> str:
    nonce = new_nonce()
    now = clock.now()
    await IssuedToken.insert(
        IssuedToken(
            purpose=purpose.value,
            nonce_hash=TokenClaims(purpose, subject, nonce).nonce_hash,
            subject=subject,
            issued_at=now,
            expires_at=now + MAX_AGE[purpose],
        )
    )
    return sign(get_settings().secret_key, purpose, subject, nonce)


async def _record(claims: TokenClaims) -> dict:
    rows = await fetch(
        "SELECT subject, expires_at, consumed_at FROM issued_tokens "
        "WHERE nonce_hash = $1 AND purpose = $2",
        claims.nonce_hash,
        claims.purpose.value,
    )
    if not rows or rows[0]["subject"] != claims.subject:
        raise TokenInvalid()
    return rows[0]


async def peek(*, purpose: Purpose, token: str, clock: Clock) -> TokenClaims:
    """Check a token without using it up (for the GET page in front of a POST)."""
    claims = unsign(get_settings().secret_key, purpose, token)
    record = await _record(claims)
    if record["consumed_at"] is not None:
        raise TokenUsed(claims)
    if record["expires_at"] <= clock.now():
        raise TokenExpired(claims)
    return claims


async def consume(*, purpose: Purpose, token: str, clock: Clock) -> TokenClaims:
    """Use a token up atomically: of two concurrent consumers exactly one succeeds."""
    claims = unsign(get_settings().secret_key, purpose, token)
    rows = await fetch(
        "UPDATE issued_tokens SET consumed_at = $3 "
        "WHERE nonce_hash = $1 AND purpose = $2 AND consumed_at IS NULL AND expires_at > $3 "
        "RETURNING subject",
        claims.nonce_hash,
        purpose.value,
        clock.now(),
    )
    if rows and rows[0]["subject"] == claims.subject:
        return claims
    await peek(purpose=purpose, token=token, clock=clock)  # raises the precise reason
    raise TokenInvalid(claims)
