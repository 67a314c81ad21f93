"""Signed links to one registration (cancel, accept an offer).

Not single use on purpose: the link must keep working for a later cancel, and each action
is idempotent in the registration's state machine, so a replay changes nothing.
"""

from __future__ import annotations

from domain.errors import DomainError
from domain.events import rules
from domain.tokens.signer import Purpose, TokenError, new_nonce, sign, unsign
from settings import get_settings


class LinkInvalid(DomainError):
    """Forged, tampered or expired link: maps to 400 (not a domain rule the person broke)."""


def sign_registration(purpose: Purpose, registration_id: int) -> str:
    return sign(get_settings().secret_key, purpose, rules.subject(registration_id),
                new_nonce())


def registration_signed_for(purpose: Purpose, token: str, *, refusal: str) -> int:
    """The registration a genuine token of this purpose names; LinkInvalid(refusal) for
    forged, expired or other-purpose ones."""
    try:
        claims = unsign(get_settings().secret_key, purpose, token)
    except TokenError as exc:
        raise LinkInvalid(refusal) from exc
    registration_id = rules.registration_id(claims.subject)
    if not registration_id:
        raise LinkInvalid(refusal)
    return registration_id


def registration_token(registration_id: int) -> str:
    return sign_registration(Purpose.EVENT_REGISTRATION, registration_id)


def registration_from_token(token: str) -> int:
    return registration_signed_for(Purpose.EVENT_REGISTRATION, token,
                                   refusal="This link is not valid.")


def manage_url(registration_id: int) -> str:
    return f"{get_settings().base_url}/events/registrations/{registration_token(registration_id)}"


def offer_url(registration_id: int) -> str:
    base = get_settings().base_url
    return f"{base}/events/offers/{registration_token(registration_id)}"
