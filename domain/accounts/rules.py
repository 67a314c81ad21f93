"""Pure rules for staff administration: parsing the admin forms and the password one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from domain.accounts.permissions import Role
from domain.people.rules import InvalidEmail, clean_name, normalise_email

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
MAX_REASON_LENGTH = 300
ROLE_LABELS: dict[str, str] = {
    Role.ADMIN: "Admin",
    Role.RECRUITER: "Recruiter",
    Role.HIRING_MANAGER: "Hiring manager",
    Role.EVENT_HOST: "Event host",
    Role.MARKETING: "Marketing",
    Role.EEO_REPORTER: "EEO reporter",
}


@dataclass(frozen=True)
class InviteDraft:
    email: str
    full_name: str
    roles: tuple[str, ...]


def parse_roles(values: Iterable[str]) -> tuple[tuple[str, ...], dict[str, str]]:
    """Known role names in the enum's order, or an error naming the field."""
    given = {str(value).strip() for value in values if str(value).strip()}
    unknown = given - {role.value for role in Role}
    if unknown:
        return (), {"roles": "Choose roles from the list."}
    if not given:
        return (), {"roles": "Choose at least one role."}
    return tuple(role.value for role in Role if role.value in given), {}


def parse_invite(email: str, full_name: str, roles: Iterable[str]
                 ) -> tuple[InviteDraft, dict[str, str]]:
    errors: dict[str, str] = {}
    address = ""
    try:
        address = normalise_email(email, internal=True)
    except InvalidEmail as exc:
        errors["email"] = str(exc).replace("your email", "their email")
    name = clean_name(full_name)
    if not name:
        errors["full_name"] = "Enter their name."
    chosen, role_errors = parse_roles(roles)
    errors.update(role_errors)
    return InviteDraft(address, name, chosen), errors


def parse_reason(raw: str, *, required: bool) -> tuple[str, dict[str, str]]:
    reason = clean_name(raw, max_length=MAX_REASON_LENGTH + 1)
    if len(reason) > MAX_REASON_LENGTH:
        return "", {"reason": f"Keep the reason under {MAX_REASON_LENGTH} characters."}
    if required and not reason:
        return "", {"reason": "Say why, for the audit log."}
    return reason, {}


def password_errors(password: str, confirm: str, *, email: str) -> dict[str, str]:
    if len(password) < MIN_PASSWORD_LENGTH:
        return {"password": f"Use at least {MIN_PASSWORD_LENGTH} characters."}
    if len(password) > MAX_PASSWORD_LENGTH:
        return {"password": f"Use at most {MAX_PASSWORD_LENGTH} characters."}
    if password.strip().lower() == email.lower():
        return {"password": "Choose a password that is not your email address."}
    if confirm != password:
        return {"confirm": "The two passwords differ. Type the same password twice."}
    return {}


def lost_roles(before: Iterable[str], after: Iterable[str]) -> tuple[str, ...]:
    """Roles taken away: losing any ends the account's sessions; gaining one does not."""
    kept = set(after)
    return tuple(role for role in before if role not in kept)
