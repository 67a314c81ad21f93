"""Optional TOTP second factor (RFC 6238) for staff who sign in with a password.

The shared secret is stored encrypted (Fernet, with a key derived from the app secret by
HKDF), so a database dump alone does not yield working codes. A code is accepted once:
the time step it belongs to must be later than the last accepted one (totp_last_step),
and one step of clock drift either way is tolerated.
"""

from __future__ import annotations

import base64
import hmac
from functools import lru_cache

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from domain.accounts import recovery_codes
from domain.audit import service as audit
from domain.db import fetch, transaction
from domain.errors import Invalid
from domain.ports import Clock
from settings import get_settings

STEP_SECONDS = 30
WINDOW = 1  # steps either side of now: phones with a slightly wrong clock still work
DIGITS = 6
WRONG_CODE = "That code is not right, or it was already used. Enter the current code."


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"talentloop",
               info=b"staff-totp-secret").derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(secret: str) -> str:
    return _fernet(get_settings().secret_key).encrypt(secret.encode()).decode()


def decrypt(token: str) -> str | None:
    try:
        return _fernet(get_settings().secret_key).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits from `secrets`


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer or "talentloop")


def clean_code(raw: str) -> str:
    """Digits only: people paste codes with spaces ("123 456")."""
    return "".join(ch for ch in (raw or "") if ch.isdigit())[:DIGITS]


def matching_step(secret: str, code: str, now: float, last_step: int) -> int | None:
    """The time step (within the window, after `last_step`) whose code is `code`."""
    if len(code) != DIGITS:
        return None
    totp = pyotp.TOTP(secret)
    current = int(now // STEP_SECONDS)
    for step in range(current - WINDOW, current + WINDOW + 1):
        if step > last_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


async def enabled(staff_id: int) -> bool:
    rows = await fetch("SELECT totp_enabled_at IS NOT NULL AS on FROM staff_users "
                       "WHERE id = $1", staff_id)
    return bool(rows and rows[0]["on"])


async def enrol(staff_id: int, *, secret: str, code: str, ip: str,
                clock: Clock) -> list[str]:
    """Turn the second factor on once the person shows a code from their authenticator.
    Returns the new recovery codes, to be shown once (none if it was already on)."""
    step = matching_step(secret, clean_code(code), clock.now().timestamp(), 0)
    if step is None:
        raise Invalid(WRONG_CODE, {"code": WRONG_CODE})
    async with transaction():
        rows = await fetch(
            "UPDATE staff_users SET totp_secret = $2, totp_enabled_at = $3, "
            "totp_last_step = $4 WHERE id = $1 AND totp_enabled_at IS NULL RETURNING email",
            staff_id, encrypt(secret), clock.now(), step)
        if not rows:
            return []
        await audit.record(action="staff.totp_enabled", at=clock.now(),
                           actor=rows[0]["email"], subject=f"staff:{staff_id}", ip=ip)
        return await recovery_codes.replace(staff_id, actor=rows[0]["email"], ip=ip,
                                            clock=clock)


async def verify(staff_id: int, code: str, *, clock: Clock) -> bool:
    """Check a sign-in (or disabling) code and use up its time step."""
    async with transaction():
        rows = await fetch(
            "SELECT totp_secret, totp_last_step FROM staff_users "
            "WHERE id = $1 AND is_active AND totp_enabled_at IS NOT NULL FOR UPDATE",
            staff_id)
        secret = decrypt(rows[0]["totp_secret"]) if rows else None
        if secret is None:
            return False
        step = matching_step(secret, clean_code(code), clock.now().timestamp(),
                             int(rows[0]["totp_last_step"] or 0))
        if step is None:
            return False
        await fetch("UPDATE staff_users SET totp_last_step = $2 WHERE id = $1",
                    staff_id, step)
    return True


async def disable(staff_id: int, *, code: str, ip: str, clock: Clock) -> None:
    if not await verify(staff_id, code, clock=clock):
        raise Invalid(WRONG_CODE, {"code": WRONG_CODE})
    async with transaction():
        rows = await fetch(
            "UPDATE staff_users SET totp_secret = '', totp_enabled_at = NULL WHERE id = $1 "
            "RETURNING email", staff_id)
        await recovery_codes.delete_all(staff_id)
    await audit.record(action="staff.totp_disabled", at=clock.now(),
                       actor=rows[0]["email"] if rows else "", subject=f"staff:{staff_id}",
                       ip=ip)
