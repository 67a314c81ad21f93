"""Single-use recovery codes for staff two-factor sign-in (the authenticator is lost).

Ten codes are made when two-factor sign-in is turned on, and again on request (with a
current TOTP code); each set replaces the previous one. A code is ten characters from an
alphabet without look-alikes (no 0/o, 1/l/i), shown as "abcde-fghij". Only an HMAC-SHA256
of the normalised code, keyed with the app secret, is stored (staff_recovery_codes); the
codes themselves are shown once. Using one is a single conditional UPDATE, so it works
once even when two sign-ins race with the same code.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from domain.audit import service as audit
from domain.db import fetch, fetchval, transaction
from domain.ports import Clock
from settings import get_settings

ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
LENGTH = 10
COUNT = 10
LOW = 2  # this many left, or fewer: suggest making new ones


def _format(raw: str) -> str:
    return f"{raw[:5]}-{raw[5:]}"


def new_codes(count: int = COUNT) -> list[str]:
    return [_format("".join(secrets.choice(ALPHABET) for _ in range(LENGTH)))
            for _ in range(count)]


def normalise(raw: str) -> str:
    """Lower case, without spaces, dashes or other separators people type or paste."""
    return "".join(ch for ch in (raw or "").lower() if ch.isalnum())


def looks_like_one(raw: str) -> bool:
    """A recovery code's shape (a TOTP code is six digits)."""
    code = normalise(raw)
    return len(code) == LENGTH and all(ch in ALPHABET for ch in code)


def code_hash(raw: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, b"staff-recovery-code:" + normalise(raw).encode(),
                    hashlib.sha256).hexdigest()


async def remaining(staff_id: int) -> int:
    return int(await fetchval("SELECT count(*) FROM staff_recovery_codes "
                              "WHERE staff = $1 AND used_at IS NULL", staff_id) or 0)


async def delete_all(staff_id: int) -> None:
    await fetch("DELETE FROM staff_recovery_codes WHERE staff = $1", staff_id)


async def replace(staff_id: int, *, actor: str, ip: str, clock: Clock) -> list[str]:
    """A new set of codes instead of any old ones; returns them (to be shown once)."""
    codes = new_codes()
    async with transaction():
        await delete_all(staff_id)
        for code in codes:
            await fetch("INSERT INTO staff_recovery_codes (staff, code_hash, created_at) "
                        "VALUES ($1, $2, $3)", staff_id, code_hash(code), clock.now())
        await audit.record(action="staff.recovery_codes_generated", at=clock.now(),
                           actor=actor, subject=f"staff:{staff_id}", ip=ip,
                           detail={"count": len(codes)})
    return codes


async def use(staff_id: int, raw: str, *, actor: str, ip: str, clock: Clock) -> int | None:
    """Use up a code: how many are left afterwards, or None if it is not an unused code
    of this account."""
    if not looks_like_one(raw):
        return None
    async with transaction():
        used = await fetch(
            "UPDATE staff_recovery_codes SET used_at = $3 WHERE staff = $1 "
            "AND code_hash = $2 AND used_at IS NULL RETURNING id",
            staff_id, code_hash(raw), clock.now())
        if not used:
            return None
        left = await remaining(staff_id)
        await audit.record(action="staff.recovery_code_used", at=clock.now(), actor=actor,
                           subject=f"staff:{staff_id}", ip=ip, detail={"remaining": left})
    return left
