"""Staff accounts with local passwords (argon2id)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.accounts.permissions import Permission, parse_role, permissions_for
from domain.accounts.rules import MIN_PASSWORD_LENGTH
from domain.audit import service as audit
from domain.db import fetch
from domain.errors import Conflict, Invalid
from domain.people.rules import InvalidEmail, clean_name, normalise_email
from domain.ports import Clock

_hasher = PasswordHasher()
# Verifying against a real hash for unknown emails keeps the response time the same,
# so timing does not reveal which addresses have accounts.
_DUMMY_HASH = _hasher.hash("talentloop-timing-equaliser")


@dataclass(frozen=True)
class Staff:
    id: int
    email: str
    full_name: str
    roles: tuple[str, ...]
    # The account's session epoch when loaded: a session carrying another one has ended.
    session_epoch: int = 0
    # A TOTP second factor is enrolled: a password alone only half signs in.
    totp_enabled: bool = False

    @property
    def permissions(self) -> frozenset[Permission]:
        return permissions_for(self.roles)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


def _staff(row: dict) -> Staff:
    return Staff(row["id"], row["email"], row["full_name"], tuple(row["roles"] or ()),
                 int(row.get("session_epoch") or 0), bool(row.get("totp_enabled")))


async def create_user(
    *, email: str, full_name: str, roles: list[str], password: str, clock: Clock
) -> Staff:
    try:
        address = normalise_email(email, internal=True)
    except InvalidEmail as exc:
        raise Invalid(str(exc), {"email": str(exc)}) from exc
    try:
        checked = [parse_role(role).value for role in roles]
    except ValueError as exc:
        raise Invalid(str(exc), {"roles": str(exc)}) from exc
    if len(password) < MIN_PASSWORD_LENGTH:
        message = f"Passwords need at least {MIN_PASSWORD_LENGTH} characters."
        raise Invalid(message, {"password": message})
    password_hash = await asyncio.to_thread(_hasher.hash, password)
    rows = await fetch(
        "INSERT INTO staff_users (email, full_name, password_hash, roles, is_active, created_at) "
        "VALUES ($1, $2, $3, $4, true, $5) ON CONFLICT (email) DO NOTHING "
        "RETURNING id, email, full_name, roles",
        address, clean_name(full_name) or address, password_hash, checked, clock.now(),
    )
    if not rows:
        raise Conflict(f"A staff account for {address} already exists.")
    return _staff(rows[0])


async def authenticate(*, email: str, password: str, ip: str, clock: Clock) -> Staff | None:
    """The staff member for these credentials, or None. Every attempt is audited."""
    try:
        address = normalise_email(email, internal=True)
    except InvalidEmail:
        address = (email or "").strip().lower()[:320]
    rows = await fetch(
        "SELECT id, email, full_name, roles, password_hash, session_epoch, "
        "totp_enabled_at IS NOT NULL AS totp_enabled FROM staff_users "
        "WHERE email = $1 AND is_active",
        address,
    )
    row = rows[0] if rows else None
    # argon2 takes a few hundred ms of CPU: off the event loop, or one login stalls everyone.
    stored = row["password_hash"] if row else ""
    verified = await asyncio.to_thread(_verify, stored or _DUMMY_HASH, password)
    if not verified or row is None or not stored:
        # Admins read the reason; the person signing in never learns which it was.
        reason = "no active account" if row is None else (
            "no password set yet" if not row["password_hash"] else "wrong password")
        await audit.record(action="staff.login_failed", at=clock.now(), actor=address, ip=ip,
                           detail={"reason": reason})
        return None
    await _after_login(row, password, ip, clock)
    return _staff(row)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def _after_login(row: dict, password: str, ip: str, clock: Clock) -> None:
    new_hash = None
    if _hasher.check_needs_rehash(row["password_hash"]):
        new_hash = await asyncio.to_thread(_hasher.hash, password)
    await fetch("UPDATE staff_users SET password_hash = COALESCE($2, password_hash) "
                "WHERE id = $1", row["id"], new_hash)
    if row["totp_enabled"]:
        # Signed in only once the second factor is shown (record_login then).
        await audit.record(action="staff.login_password_ok", at=clock.now(),
                           actor=row["email"], ip=ip, detail={"next": "totp"})
    else:
        await record_login(row["id"], row["email"], ip=ip, clock=clock, method="password")


async def record_login(staff_id: int, email: str, *, ip: str, clock: Clock,
                       method: str) -> None:
    await fetch("UPDATE staff_users SET last_login_at = $2 WHERE id = $1", staff_id,
                clock.now())
    await audit.record(action="staff.login", at=clock.now(), actor=email, ip=ip,
                       detail={"method": method})


async def get_active(staff_id: int) -> Staff | None:
    rows = await fetch(
        "SELECT id, email, full_name, roles, session_epoch FROM staff_users "
        "WHERE id = $1 AND is_active",
        staff_id,
    )
    return _staff(rows[0]) if rows else None
