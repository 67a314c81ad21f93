"""Addresses we must never email again, kept only as a keyed hash.

A plain SHA-256 of an address is reversible by hashing a list of candidate addresses,
so the hash is an HMAC keyed with the app secret: without the key the table reveals
nothing, and with it we can still tell that a re-imported address was erased.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime

from domain.db import fetch, fetchval
from domain.people.rules import InvalidEmail, normalise_email
from settings import get_settings

ERASED = "erased"


# Already normal: lower-case ASCII without spaces, quotes or IDNA labels (`xn--`
# domains normalise to Unicode). normalise_email returns such an address unchanged when
# it is valid, and the fallback below returns it unchanged when it is not, so the syntax
# check (email-validator, ~35 us; a campaign hashes every recipient at send time) can be
# skipped. A test compares the two on generated input.
_ALREADY_NORMAL = re.compile(r"[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9.-]+")


def _normalised(email: str) -> str:
    if _ALREADY_NORMAL.fullmatch(email or "") and "xn--" not in email:
        return email
    try:
        return normalise_email(email)
    except InvalidEmail:
        # Still hash something stable: a suppression must never fail on odd input.
        return (email or "").strip().lower()


def email_hash(email: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, _normalised(email).encode(), hashlib.sha256).hexdigest()


async def is_suppressed(email: str) -> bool:
    found = await fetchval("SELECT 1 FROM suppressions WHERE email_hash = $1", email_hash(email))
    return found is not None


async def suppress(email: str, *, reason: str, now: datetime, detail: str = "") -> None:
    """Idempotent: the first reason recorded for an address is kept. `detail`: the bounce
    status (e.g. 5.1.1) of a hard bounce, the source of a complaint."""
    await fetch(
        "INSERT INTO suppressions (email_hash, reason, detail, created_at) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (email_hash) DO NOTHING",
        email_hash(email), reason[:40], detail[:120], now,
    )
