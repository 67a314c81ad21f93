"""Staff single sign-on: who an OIDC identity signs in as, and the admins' SSO policy.

Staff are keyed on (issuer, subject). An email address is used once, when an identity is
first seen, and only if the provider verified it and its domain is on the allow-list: it
then links to the active account with that address — unless that account is already
linked to another identity (the same email under another subject is never merged) — or,
with just-in-time provisioning on, creates one. Roles follow the groups claim on every
sign-in when a mapping is configured (the default role when no group maps to one); losing
a role ends the account's other sessions.
Every refusal is a security event in the audit log, without tokens.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.accounts.admin import Actor
from domain.accounts.permissions import Role
from domain.accounts.rules import lost_roles
from domain.accounts.service import Staff
from domain.accounts.sso_rules import (
    SsoPolicy,
    email_domain,
    groups_in,
    needs_mfa,
    policy_from_row,
    reports_mfa,
    roles_for,
)
from domain.audit import service as audit
from domain.db import fetch, transaction
from domain.errors import Invalid, PermissionDenied
from domain.people.rules import InvalidEmail, clean_name, normalise_email
from domain.ports import Clock

MAX_KEY_LENGTH = 255  # staff_identities.subject (issuer allows 300)
LOCKOUT = ("Local sign-in can be turned off only once single sign-on is configured and "
           "you have signed in with it at least once: otherwise nobody could sign in.")


class SsoRefused(PermissionDenied):
    """Why an identity may not sign in; `kind` names the case for the page and the log."""

    def __init__(self, kind: str, reason: str = "") -> None:
        super().__init__(kind)
        self.kind, self.reason = kind, reason


@dataclass(frozen=True)
class SsoIdentity:
    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    full_name: str
    claims: dict[str, Any] = field(default_factory=dict)


async def load_policy() -> SsoPolicy:
    rows = await fetch("SELECT * FROM sso_settings WHERE id = 1")
    return policy_from_row(rows[0] if rows else None)


async def has_identity(staff_id: int) -> bool:
    rows = await fetch("SELECT 1 FROM staff_identities WHERE staff = $1 LIMIT 1", staff_id)
    return bool(rows)


async def save_policy(policy: SsoPolicy, *, actor: Actor, clock: Clock,
                      sso_configured: bool) -> None:
    """Store the policy; refuses what would lock everyone (this admin first) out."""
    if not policy.local_login_enabled and not (
            sso_configured and await has_identity(actor.staff_id)):
        raise Invalid(LOCKOUT, {"local_login_enabled": LOCKOUT})
    before = await load_policy()
    mapping = json.dumps({k: list(v) for k, v in policy.group_roles.items()})
    await fetch(
        "INSERT INTO sso_settings (id, local_login_enabled, jit_provisioning, default_role, "
        "allowed_domains, groups_claim, group_roles, mfa_required_roles, updated_by, "
        "updated_at) VALUES (1, $1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9) "
        "ON CONFLICT (id) DO UPDATE SET local_login_enabled = $1, jit_provisioning = $2, "
        "default_role = $3, allowed_domains = $4, groups_claim = $5, group_roles = $6::jsonb, "
        "mfa_required_roles = $7, updated_by = $8, updated_at = $9",
        policy.local_login_enabled, policy.jit_provisioning, policy.default_role,
        list(policy.allowed_domains), policy.groups_claim, mapping,
        list(policy.mfa_required_roles), actor.email, clock.now())
    await audit.record(action="sso.settings_changed", at=clock.now(), actor=actor.email,
                       subject="sso_settings", ip=actor.ip,
                       detail={"before": _summary(before), "after": _summary(policy)})


def _summary(policy: SsoPolicy) -> dict[str, Any]:
    return {"local_login_enabled": policy.local_login_enabled,
            "jit_provisioning": policy.jit_provisioning, "default_role": policy.default_role,
            "allowed_domains": list(policy.allowed_domains),
            "groups_claim": policy.groups_claim,
            "group_roles": {k: list(v) for k, v in policy.group_roles.items()},
            "mfa_required_roles": list(policy.mfa_required_roles)}


async def record_refusal(kind: str, reason: str, *, issuer: str, email: str = "",
                         ip: str, clock: Clock) -> None:
    """A refused SSO sign-in as a security event (never a token or a code)."""
    await audit.record(action="staff.sso_refused", at=clock.now(), actor=email[:320], ip=ip,
                       detail={"kind": kind, "reason": reason[:200], "issuer": issuer[:300]})


async def sign_in(identity: SsoIdentity, *, ip: str, clock: Clock) -> Staff:
    """The staff member this identity signs in as; refusals are audited and raised."""
    try:
        return await _sign_in(identity, ip=ip, clock=clock)
    except SsoRefused as refused:
        email = identity.email if isinstance(identity.email, str) else ""
        await record_refusal(refused.kind, refused.reason, issuer=identity.issuer,
                             email=email, ip=ip, clock=clock)
        raise


async def _sign_in(identity: SsoIdentity, *, ip: str, clock: Clock) -> Staff:
    if not identity.issuer or not identity.subject or len(identity.issuer) > 300 \
            or len(identity.subject) > MAX_KEY_LENGTH:
        raise SsoRefused("unknown", "unusable issuer or subject")
    policy, now = await load_policy(), clock.now()
    async with transaction():
        row = await _linked(identity)
        if row is None:
            row = await _link_first_time(identity, policy, now)
        if not row["is_active"]:
            raise SsoRefused("disabled", "account disabled")
        row = await _sync_roles(row, identity, policy, now)
        if needs_mfa(policy, row["roles"]) and not reports_mfa(identity.claims):
            raise SsoRefused("mfa", "no multi-factor method in amr/acr")
        await fetch("UPDATE staff_identities SET last_login_at = $3 "
                    "WHERE issuer = $1 AND subject = $2", identity.issuer, identity.subject, now)
        await fetch("UPDATE staff_users SET last_login_at = $2 WHERE id = $1", row["id"], now)
        await audit.record(action="staff.login", at=now, actor=row["email"], ip=ip,
                           detail={"method": "sso", "issuer": identity.issuer})
    return Staff(row["id"], row["email"], row["full_name"], tuple(row["roles"] or ()),
                 int(row["session_epoch"]))


async def _linked(identity: SsoIdentity) -> dict | None:
    rows = await fetch(
        "SELECT s.id, s.email, s.full_name, s.roles, s.is_active, s.session_epoch "
        "FROM staff_identities i JOIN staff_users s ON s.id = i.staff "
        "WHERE i.issuer = $1 AND i.subject = $2 FOR UPDATE OF s",
        identity.issuer, identity.subject)
    return rows[0] if rows else None


def _allowed_address(identity: SsoIdentity, policy: SsoPolicy) -> str:
    if not isinstance(identity.email, str) or identity.email_verified is not True:
        raise SsoRefused("unverified", "email missing or not verified")
    try:
        address = normalise_email(identity.email, internal=True)
    except InvalidEmail as exc:
        raise SsoRefused("unverified", "malformed email") from exc
    if email_domain(address) not in policy.allowed_domains:
        raise SsoRefused("domain", f"domain {email_domain(address)} not allowed")
    return address


async def _link_first_time(identity: SsoIdentity, policy: SsoPolicy, now: datetime) -> dict:
    address = _allowed_address(identity, policy)
    rows = await fetch("SELECT id, email, full_name, roles, is_active, session_epoch "
                       "FROM staff_users WHERE email = $1 FOR UPDATE", address)
    if rows:
        row = rows[0]
        if await has_identity(row["id"]):
            # The account signs in with another identity: an email match is no proof.
            raise SsoRefused("conflict", "account already linked to another subject")
    elif policy.jit_provisioning:
        row = await _provision(identity, policy, address, now)
    else:
        raise SsoRefused("unknown", "no staff account for this email")
    if row["is_active"]:
        await fetch("INSERT INTO staff_identities (staff, issuer, subject, email_at_link, "
                    "created_at) VALUES ($1, $2, $3, $4, $5)",
                    row["id"], identity.issuer, identity.subject, address, now)
        await audit.record(action="staff.sso_linked", at=now, actor=address,
                           subject=f"staff:{row['id']}", detail={"issuer": identity.issuer})
    return row


async def _provision(identity: SsoIdentity, policy: SsoPolicy, address: str,
                     now: datetime) -> dict:
    roles = roles_for(policy, groups_in(identity.claims, policy.groups_claim))
    if not roles:
        raise SsoRefused("unknown", "no role to provision with")
    rows = await fetch(
        "INSERT INTO staff_users (email, full_name, password_hash, roles, is_active, "
        "created_at) VALUES ($1, $2, '', $3, true, $4) RETURNING id, email, full_name, "
        "roles, is_active, session_epoch",
        address, clean_name(identity.full_name) or address, list(roles), now)
    await audit.record(action="staff.sso_provisioned", at=now, actor=address,
                       subject=f"staff:{rows[0]['id']}",
                       detail={"issuer": identity.issuer, "roles": list(roles)})
    return rows[0]


async def _sync_roles(row: dict, identity: SsoIdentity, policy: SsoPolicy,
                      now: datetime) -> dict:
    """Roles from the groups claim, when a mapping is configured and the token has one."""
    groups = groups_in(identity.claims, policy.groups_claim)
    if not policy.group_roles or groups is None:
        return row
    before = tuple(row["roles"] or ())
    after = roles_for(policy, groups)
    if Role.ADMIN.value in before and Role.ADMIN.value not in after \
            and not await _other_admins(row["id"]):
        after = (*after, Role.ADMIN.value)  # never demote the last admin from a token
    if set(after) == set(before):
        return row
    lost = lost_roles(before, after)
    rows = await fetch(
        "UPDATE staff_users SET roles = $2, session_epoch = session_epoch + "
        "CASE WHEN $3 THEN 1 ELSE 0 END WHERE id = $1 RETURNING id, email, full_name, "
        "roles, is_active, session_epoch", row["id"], list(after), bool(lost))
    await audit.record(action="staff.roles_changed", at=now, actor="sso",
                       subject=f"staff:{row['id']}",
                       detail={"reason": "groups claim", "before": list(before),
                               "after": list(after), "sessions_ended": bool(lost)})
    return rows[0]


async def _other_admins(staff_id: int) -> bool:
    rows = await fetch("SELECT 1 FROM staff_users WHERE is_active AND $2 = ANY(roles) "
                       "AND id <> $1 LIMIT 1", staff_id, Role.ADMIN.value)
    return bool(rows)
