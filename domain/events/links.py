"""Signed links to one registration (cancel, accept an offer).

Not single use on purpose: the link must keep working for a later cancel, and each action
is idempotent in the registration's state machine, so a replay changes nothing.
"""

from __future__ import annotations

from domain.tokens.links import LinkExpired, LinkInvalid, record_from, sign_record
from domain.tokens.signer import Purpose
from settings import get_settings

__all__ = ["LinkExpired", "LinkInvalid", "manage_url", "offer_url", "registration_from_token",
           "registration_signed_for", "registration_token", "sign_registration"]
KIND = "registration"


def sign_registration(purpose: Purpose, registration_id: int) -> str:
    return sign_record(purpose, KIND, registration_id)


def registration_signed_for(purpose: Purpose, token: str, *, refusal: str) -> int:
    """The registration a genuine token of this purpose names; LinkInvalid(refusal) for
    forged, expired or other-purpose ones."""
    return record_from(purpose, KIND, token, invalid=refusal)


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
