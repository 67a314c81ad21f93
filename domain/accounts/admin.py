"""Staff administration: invite, change roles, disable and re-enable accounts.

Every change is audited with the admin, their IP and the reason they gave. Losing a role
or being disabled bumps the account's session epoch, which ends each of its sessions on
the next request (backoffice.auth compares them); gaining a role does not end anything,
since roles are read on every request. The last active admin can be neither disabled nor
demoted: nobody could administer staff afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.accounts.permissions import Role
from domain.accounts.rules import InviteDraft, lost_roles
from domain.audit import service as audit
from domain.db import fetch, fetchval, transaction
from domain.errors import Conflict, Invalid, NotFound
from domain.mail import service as mail
from domain.ports import Clock, TaskQueue

INVITE_TEMPLATE = "staff_invite"
LAST_ADMIN = ("This is the last active admin. Make someone else an admin first, "
              "or nobody could manage staff.")


@dataclass(frozen=True)
class Actor:
    """The admin making a change, as the audit log names them."""

    staff_id: int
    email: str
    ip: str


def staff_subject(staff_id: int) -> str:
    return f"staff:{staff_id}"


async def _audit(action: str, staff_id: int, actor: Actor, clock: Clock, **detail) -> None:
    await audit.record(action=action, at=clock.now(), actor=actor.email,
                       subject=staff_subject(staff_id), ip=actor.ip, detail=detail)


async def _queue_invite(staff_id: int, email: str, *, clock: Clock,
                        queue: TaskQueue | None) -> None:
    now = clock.now()
    # The link is minted when the email is rendered (domain.accounts.invites), so no raw
    # token is stored; the key allows one invitation email per account per minute.
    await mail.queue_email(person_id=None, to=email, template=INVITE_TEMPLATE,
                           context={"staff_id": staff_id},
                           dedupe_key=f"{INVITE_TEMPLATE}:{staff_id}:{now:%Y%m%d%H%M}",
                           now=now, queue=queue)


async def invite(draft: InviteDraft, *, actor: Actor, clock: Clock,
                 queue: TaskQueue | None) -> int:
    """Create the account without a usable password and email a set-your-password link."""
    now = clock.now()
    async with transaction():
        rows = await fetch(
            "INSERT INTO staff_users (email, full_name, password_hash, roles, is_active, "
            "created_at, invited_by, invited_at) VALUES ($1, $2, '', $3, true, $4, $5, $4) "
            "ON CONFLICT (email) DO NOTHING RETURNING id",
            draft.email, draft.full_name, list(draft.roles), now, actor.staff_id)
        if not rows:
            raise Invalid(errors={"email": f"{draft.email} already has a staff account."})
        staff_id = int(rows[0]["id"])
        await _queue_invite(staff_id, draft.email, clock=clock, queue=queue)
        await _audit("staff.invited", staff_id, actor, clock, email=draft.email,
                     roles=list(draft.roles))
    return staff_id


async def resend_invite(staff_id: int, *, actor: Actor, clock: Clock,
                        queue: TaskQueue | None) -> None:
    async with transaction():
        row = await _locked(staff_id)
        if row["has_password"] or not row["is_active"]:
            raise Conflict("This account is not waiting for an invitation any more.")
        await _queue_invite(staff_id, row["email"], clock=clock, queue=queue)
        await _audit("staff.invite_resent", staff_id, actor, clock, email=row["email"])


async def _locked(staff_id: int) -> dict:
    rows = await fetch(
        "SELECT id, email, roles, is_active, password_hash <> '' AS has_password "
        "FROM staff_users WHERE id = $1 FOR UPDATE", staff_id)
    if not rows:
        raise NotFound("No such staff account.")
    return rows[0]


async def _other_active_admins(staff_id: int) -> int:
    """Active admins besides this account, with their rows locked: two admins demoting
    each other at once queue up here, and the second sees the first's change."""
    rows = await fetch(
        "SELECT id FROM staff_users WHERE is_active AND $2 = ANY(roles) AND id <> $1 "
        "ORDER BY id FOR UPDATE", staff_id, Role.ADMIN.value)
    return len(rows)


async def update_roles(staff_id: int, roles: tuple[str, ...], *, reason: str, actor: Actor,
                       clock: Clock) -> tuple[str, ...]:
    """Set the account's roles; returns the roles it lost (its sessions ended if any)."""
    async with transaction():
        row = await _locked(staff_id)
        before = tuple(row["roles"] or ())
        lost = lost_roles(before, roles)
        if Role.ADMIN.value in lost and row["is_active"] \
                and await _other_active_admins(staff_id) == 0:
            raise Invalid(LAST_ADMIN, {"roles": LAST_ADMIN})
        if set(before) == set(roles):
            return ()
        await fetch(
            "UPDATE staff_users SET roles = $2, "
            "session_epoch = session_epoch + CASE WHEN $3 THEN 1 ELSE 0 END WHERE id = $1",
            staff_id, list(roles), bool(lost))
        await _audit("staff.roles_changed", staff_id, actor, clock, reason=reason,
                     before=list(before), after=list(roles), sessions_ended=bool(lost))
    return lost


async def disable(staff_id: int, *, reason: str, actor: Actor, clock: Clock) -> None:
    """Refuse sign-in from now on and end every session at its next request."""
    if staff_id == actor.staff_id:
        raise Invalid("You cannot disable your own account.",
                      {"reason": "You cannot disable your own account."})
    async with transaction():
        row = await _locked(staff_id)
        if not row["is_active"]:
            return
        if Role.ADMIN.value in (row["roles"] or ()) \
                and await _other_active_admins(staff_id) == 0:
            raise Invalid(LAST_ADMIN, {"reason": LAST_ADMIN})
        await fetch(
            "UPDATE staff_users SET is_active = false, disabled_at = $2, "
            "session_epoch = session_epoch + 1 WHERE id = $1", staff_id, clock.now())
        await _audit("staff.disabled", staff_id, actor, clock, reason=reason,
                     email=row["email"])


async def enable(staff_id: int, *, reason: str, actor: Actor, clock: Clock) -> None:
    async with transaction():
        row = await _locked(staff_id)
        if row["is_active"]:
            return
        await fetch("UPDATE staff_users SET is_active = true, disabled_at = NULL "
                    "WHERE id = $1", staff_id)
        await _audit("staff.enabled", staff_id, actor, clock, reason=reason,
                     email=row["email"])


OWN_TWO_FACTOR = ("You cannot reset your own two-factor sign-in here. "
                  "Use Two-factor sign-in under your account instead.")
TWO_FACTOR_OFF = "Two-factor sign-in is not on for this account: there is nothing to reset."
OWN_IDENTITY = ("You cannot unlink your own single sign-on identity here: it would end "
                "your own sessions. Ask another admin.")


async def reset_two_factor(staff_id: int, *, reason: str, actor: Actor,
                           clock: Clock) -> None:
    """Turn the second factor off (a lost phone), delete its recovery codes and end every
    session of the account, which may be in the hands of whoever has the phone. If a role
    of theirs requires two-factor, the sign-in guard asks them to enrol again."""
    if staff_id == actor.staff_id:
        raise Invalid(OWN_TWO_FACTOR, {"reason": OWN_TWO_FACTOR})
    async with transaction():
        row = await _locked(staff_id)
        if await fetchval("SELECT totp_enabled_at FROM staff_users WHERE id = $1",
                          staff_id) is None:
            raise Conflict(TWO_FACTOR_OFF)
        await fetch(
            "UPDATE staff_users SET totp_secret = '', totp_enabled_at = NULL, "
            "totp_last_step = 0, session_epoch = session_epoch + 1 WHERE id = $1", staff_id)
        await fetch("DELETE FROM staff_recovery_codes WHERE staff = $1", staff_id)
        await _audit("staff.totp_reset", staff_id, actor, clock, reason=reason,
                     email=row["email"], sessions_ended=True)


async def unlink_identity(staff_id: int, identity_id: int, *, reason: str, actor: Actor,
                          clock: Clock) -> None:
    """Remove one SSO link and end the account's sessions; the next sign-in with that
    identity goes through the first-time linking rules again (domain.accounts.sso)."""
    if staff_id == actor.staff_id:
        raise Invalid(OWN_IDENTITY, {"reason": OWN_IDENTITY})
    async with transaction():
        row = await _locked(staff_id)
        gone = await fetch(
            "DELETE FROM staff_identities WHERE id = $1 AND staff = $2 "
            "RETURNING issuer, subject", identity_id, staff_id)
        if not gone:
            raise NotFound("No such identity on this account.")
        await fetch("UPDATE staff_users SET session_epoch = session_epoch + 1 WHERE id = $1",
                    staff_id)
        await _audit("staff.sso_unlinked", staff_id, actor, clock, reason=reason,
                     email=row["email"], issuer=gone[0]["issuer"],
                     subject=gone[0]["subject"], sessions_ended=True)
