"""Single sign-on policy as pure rules: the settings form, role mapping from an IdP's groups
claim, and whether an ID token reports multi-factor authentication."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.accounts.permissions import Role
from domain.errors import Invalid

# RFC 8176 methods that are a second factor or a phishing-resistant key: a token whose
# `amr` holds one of them (or "mfa"/"mca" itself) reports multi-factor sign-in.
MFA_AMR = frozenset({"mfa", "mca", "otp", "hwk", "swk", "sc", "fpt", "face", "iris",
                     "retina", "vbm", "sms", "tel"})
# `acr` values some providers use for multi-factor: the PAPE policy URI, Entra/Okta style
# names, NIST assurance levels 2 and 3.
MFA_ACR_WORDS = frozenset({"multi-factor", "multifactor", "mfa", "phr", "phrh", "aal2",
                           "aal3", "2fa"})
_DOMAIN = re.compile(r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_CLAIM = re.compile(r"[A-Za-z0-9_:./-]{1,100}")
MAX_GROUPS = 200  # entries in the mapping, and groups read from one token


@dataclass(frozen=True)
class SsoPolicy:
    local_login_enabled: bool = True
    jit_provisioning: bool = False
    default_role: str = ""
    allowed_domains: tuple[str, ...] = ()
    groups_claim: str = "groups"
    group_roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    mfa_required_roles: tuple[str, ...] = ()
    updated_by: str = ""


def policy_from_row(row: Mapping[str, Any] | None) -> SsoPolicy:
    if row is None:
        return SsoPolicy()
    raw = row["group_roles"]
    mapping = json.loads(raw) if isinstance(raw, str) else (raw or {})
    return SsoPolicy(
        local_login_enabled=bool(row["local_login_enabled"]),
        jit_provisioning=bool(row["jit_provisioning"]),
        default_role=row["default_role"] or "",
        allowed_domains=tuple(row["allowed_domains"] or ()),
        groups_claim=row["groups_claim"] or "groups",
        group_roles={str(k): tuple(v) for k, v in mapping.items() if isinstance(v, list)},
        mfa_required_roles=tuple(row["mfa_required_roles"] or ()),
        updated_by=row.get("updated_by") or "",
    )


def _role(name: str, errors: dict[str, str], key: str) -> str:
    if name not in Role._value2member_map_:
        errors[key] = f"“{name[:40]}” is not a role. Choose from: " + \
            ", ".join(role.value for role in Role) + "."
    return name


def _domains(raw: str, errors: dict[str, str]) -> tuple[str, ...]:
    found = []
    for item in re.split(r"[\s,]+", raw.strip().lower()):
        if not item:
            continue
        if not _DOMAIN.fullmatch(item):
            errors["allowed_domains"] = f"“{item[:60]}” is not a domain name like example.com."
        elif item not in found:
            found.append(item)
    return tuple(found)


def _group_roles(raw: str, errors: dict[str, str]) -> dict[str, tuple[str, ...]]:
    message = ('Write the mapping as JSON: {"idp-group": ["recruiter"], …} '
               "with role names as values.")
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        errors["group_roles"] = message
        return {}
    if not isinstance(value, dict) or len(value) > MAX_GROUPS or not all(
            isinstance(k, str) and 0 < len(k) <= 200 and isinstance(v, list)
            and all(isinstance(r, str) for r in v) for k, v in value.items()):
        errors["group_roles"] = message
        return {}
    mapping = {}
    for group, roles in value.items():
        mapping[group] = tuple(dict.fromkeys(_role(r, errors, "group_roles") for r in roles))
    return mapping


def parse_policy(form: Mapping[str, str], roles_required: list[str]) -> SsoPolicy:
    """The policy a settings form describes; Invalid with a message per field."""
    errors: dict[str, str] = {}
    default_role = (form.get("default_role") or "").strip()
    if default_role:
        _role(default_role, errors, "default_role")
    claim = (form.get("groups_claim") or "").strip() or "groups"
    if not _CLAIM.fullmatch(claim):
        errors["groups_claim"] = "Use a claim name of letters, digits and _ : . / - only."
    policy = SsoPolicy(
        local_login_enabled=form.get("local_login_enabled") == "on",
        jit_provisioning=form.get("jit_provisioning") == "on",
        default_role=default_role,
        allowed_domains=_domains(form.get("allowed_domains") or "", errors),
        groups_claim=claim,
        group_roles=_group_roles(form.get("group_roles") or "", errors),
        mfa_required_roles=tuple(dict.fromkeys(
            _role(r, errors, "mfa_required_roles") for r in roles_required if r)),
    )
    if policy.jit_provisioning and not policy.allowed_domains:
        errors["allowed_domains"] = "Provisioning needs at least one allowed email domain."
    if policy.jit_provisioning and not policy.default_role and not policy.group_roles:
        errors["default_role"] = "Provisioning needs a default role or a group mapping."
    if errors:
        raise Invalid(errors=errors)
    return policy


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].lower()


def groups_in(claims: Mapping[str, Any], claim: str) -> list[str] | None:
    """The token's groups (None when the claim is absent: then roles are left alone)."""
    value = claims.get(claim)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return None
    return [group for group in value[:MAX_GROUPS] if isinstance(group, str)]


def mapped_roles(policy: SsoPolicy, groups: list[str]) -> tuple[str, ...]:
    roles: dict[str, None] = {}
    for group in groups:
        for role in policy.group_roles.get(group, ()):
            roles[role] = None
    return tuple(roles)


def roles_for(policy: SsoPolicy, groups: list[str] | None) -> tuple[str, ...]:
    """Roles an SSO account gets: those mapped from its groups, else the default role."""
    mapped = mapped_roles(policy, groups or []) if policy.group_roles else ()
    return mapped or ((policy.default_role,) if policy.default_role else ())


def reports_mfa(claims: Mapping[str, Any]) -> bool:
    amr = claims.get("amr")
    if isinstance(amr, list) and any(isinstance(m, str) and m.lower() in MFA_AMR for m in amr):
        return True
    acr = claims.get("acr")
    words = re.split(r"[^a-z0-9-]+", acr.lower()) if isinstance(acr, str) else []
    return any(word in MFA_ACR_WORDS for word in words)


def needs_mfa(policy: SsoPolicy, roles: tuple[str, ...] | list[str]) -> bool:
    return bool(set(roles) & set(policy.mfa_required_roles))
