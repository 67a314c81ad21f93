"""Invited staff set their password through a signed, single-use link (72 hours).

The link is minted when the invitation email is rendered, so no raw token is stored. It
only works while the account is active and still has no password: a second invitation
link cannot reset a password someone has already chosen.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.accounts import service as accounts
from domain.accounts.admin import staff_subject
from domain.accounts.rules import MIN_PASSWORD_LENGTH, ROLE_LABELS, password_errors
from domain.audit import service as audit
from domain.db import fetch, transaction
from domain.errors import Invalid
from domain.people.rules import first_name
from domain.ports import Clock
from domain.tokens import service as tokens
from domain.tokens.signer import MAX_AGE, Purpose, TokenError, TokenExpired, TokenUsed
from settings import get_settings

INVITE_PATH = "/backoffice/invitations/"
__all__ = ["MIN_PASSWORD_LENGTH", "InviteProblem", "Invitee", "accept", "check"]
EXPIRES_HOURS = int(MAX_AGE[Purpose.STAFF_INVITE].total_seconds() // 3600)


class InviteProblem(Exception):
    """Why a link cannot be used: expired, used or invalid."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass(frozen=True)
class Invitee:
    staff_id: int
    email: str
    full_name: str


def _problem(error: TokenError) -> InviteProblem:
    if isinstance(error, TokenExpired):
        return InviteProblem("expired")
    if isinstance(error, TokenUsed):
        return InviteProblem("used")
    return InviteProblem("invalid")


def _staff_id(subject: str) -> int:
    prefix, _, raw = subject.partition(":")
    if prefix != "staff" or not raw.isdigit():
        raise InviteProblem("invalid")
    return int(raw)


async def _invitee(staff_id: int) -> Invitee:
    rows = await fetch("SELECT id, email, full_name, is_active, password_hash <> '' AS set "
                       "FROM staff_users WHERE id = $1", staff_id)
    if not rows or not rows[0]["is_active"]:
        raise InviteProblem("invalid")
    if rows[0]["set"]:
        raise InviteProblem("used")
    return Invitee(rows[0]["id"], rows[0]["email"], rows[0]["full_name"])


async def check(token: str, *, clock: Clock) -> Invitee:
    """Who a link would set a password for, without using it up (for the GET page)."""
    try:
        claims = await tokens.peek(purpose=Purpose.STAFF_INVITE, token=token, clock=clock)
    except TokenError as exc:
        raise _problem(exc) from exc
    return await _invitee(_staff_id(claims.subject))


async def accept(token: str, *, password: str, confirm: str, ip: str, clock: Clock) -> Invitee:
    """Set the password and use the link up. Invalid input (the form is shown again with
    its messages) leaves the link usable."""
    invitee = await check(token, clock=clock)
    errors = password_errors(password, confirm, email=invitee.email)
    if errors:
        raise Invalid(errors=errors)
    password_hash = await accounts.hash_password(password)
    async with transaction():
        try:
            claims = await tokens.consume(purpose=Purpose.STAFF_INVITE, token=token, clock=clock)
        except TokenError as exc:
            raise _problem(exc) from exc
        rows = await fetch(
            "UPDATE staff_users SET password_hash = $2 "
            "WHERE id = $1 AND is_active AND password_hash = '' RETURNING id",
            _staff_id(claims.subject), password_hash)
        if not rows:
            raise InviteProblem("used")
        await audit.record(action="staff.invite_accepted", at=clock.now(), actor=invitee.email,
                           subject=staff_subject(invitee.staff_id), ip=ip)
    return invitee


async def email_context(template: str, stored: dict, *, clock: Clock) -> dict:
    staff_id = int(stored["staff_id"])
    rows = await fetch(
        "SELECT s.full_name, s.roles, i.full_name AS inviter FROM staff_users s "
        "LEFT JOIN staff_users i ON i.id = s.invited_by WHERE s.id = $1", staff_id)
    if not rows:
        raise LookupError(f"staff account {staff_id} is gone")
    token = await tokens.issue(purpose=Purpose.STAFF_INVITE, subject=staff_subject(staff_id),
                               clock=clock)
    row = rows[0]
    return {
        "person_name": first_name(row["full_name"]),
        "inviter": row["inviter"] or "An administrator",
        "roles": ", ".join(ROLE_LABELS.get(role, role) for role in row["roles"] or ()),
        "set_password_url": f"{get_settings().base_url}{INVITE_PATH}{token}",
        "expires_hours": EXPIRES_HOURS,
    }


EMAIL_CONTEXTS: dict = {"staff_invite": email_context}
