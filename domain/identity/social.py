"""Candidate sign-in through a social or single-sign-on account.

An account is identified by (issuer, subject) only: email addresses get reassigned and
some providers let people type any address. So an email is used once, when an account is
first seen, and only if the provider verified it; after that the account signs in as the
person it was linked to, whatever email it reports.
"""

from __future__ import annotations

from datetime import datetime

from domain.audit import service as audit
from domain.db import fetchval, transaction
from domain.errors import Invalid, PermissionDenied
from domain.people import service as people
from domain.people.rules import InvalidEmail, clean_name, normalise_email

MAX_KEY_LENGTH = 300  # social_identities.issuer / .subject


class UnverifiedEmail(PermissionDenied):
    """The provider did not vouch for the address: linking on it would let anyone who
    types someone else's email into a provider sign in as them."""

    def __init__(self) -> None:
        super().__init__("Your account's email address is not verified.")


async def link_or_create(
    *, provider: str, issuer: str, subject: str, email: str | None, email_verified: bool,
    full_name: str, now: datetime,
) -> int:
    """The person this provider account signs in as; links (or creates) them on first use."""
    _check_key(issuer, subject)
    async with transaction():
        known = await fetchval(
            "UPDATE social_identities SET last_used_at = $3 WHERE issuer = $1 AND subject = $2 "
            "RETURNING person", issuer, subject, now,
        )
        if known is not None:
            # A merge moves identities to the kept record; this covers any left behind.
            return await people.live_id(int(known))
        address = _verified_address(email, email_verified)
        person = await people.find_or_create(email=address, full_name=clean_name(full_name),
                                             source="social", now=now)
        person_id = await _insert_identity(person["id"], provider, issuer, subject, address, now)
        await audit.record(action="candidate.social_linked", at=now, actor=address,
                           subject=f"person:{person_id}",
                           detail={"provider": provider, "issuer": issuer,
                                   "new_person": bool(person["created"])})
    return person_id


def _check_key(issuer: str, subject: str) -> None:
    if not issuer or not subject or len(issuer) > MAX_KEY_LENGTH \
            or len(subject) > MAX_KEY_LENGTH:
        raise Invalid("The sign-in provider sent an account id we cannot use.")


def _verified_address(email: object, email_verified: object) -> str:
    # Claims are provider JSON: anything but a verified, well-formed address is refused.
    if not isinstance(email, str) or not email or email_verified is not True:
        raise UnverifiedEmail()
    try:
        return normalise_email(email)
    except InvalidEmail as exc:
        raise UnverifiedEmail() from exc


async def _insert_identity(person_id: int, provider: str, issuer: str, subject: str,
                           email: str, now: datetime) -> int:
    linked = await fetchval(
        "INSERT INTO social_identities "
        "(person, provider, issuer, subject, email, created_at, last_used_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (issuer, subject) DO NOTHING "
        "RETURNING person", person_id, provider[:40], issuer, subject, email, now,
    )
    if linked is None:
        # A concurrent first sign-in of the same account committed first; READ COMMITTED
        # lets this statement see its row. Both land on the one person it linked.
        linked = await fetchval(
            "SELECT person FROM social_identities WHERE issuer = $1 AND subject = $2",
            issuer, subject,
        )
    return int(linked)
