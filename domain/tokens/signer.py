"""Signed, per-purpose tokens (pure: no database).

HMAC-SHA-256 (itsdangerous defaults to SHA-1, which ASVS 5.0 rates legacy) and one
salt per purpose, so a token minted for one purpose never verifies for another.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from functools import lru_cache

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer


class Purpose(StrEnum):
    COMMUNITY_OPTIN = "community-optin"
    MAGIC_LINK = "magic-link"
    UNSUBSCRIBE = "unsubscribe"
    PREFERENCES = "preferences"
    DATA_REQUEST = "data-request"
    CHECKIN = "checkin"
    EVENT_REGISTRATION = "event-registration"
    EVENT_NEWS_OPTIN = "event-news-optin"
    INTERVIEW_SCHEDULING = "interview-scheduling"
    OFFER_RESPONSE = "offer-response"
    INTERVIEW_AVAILABILITY = "interview-availability"
    STAFF_INVITE = "staff-invite"


MAX_AGE: dict[Purpose, timedelta] = {
    Purpose.COMMUNITY_OPTIN: timedelta(days=7),
    Purpose.MAGIC_LINK: timedelta(minutes=10),
    # CAN-SPAM: unsubscribe links must keep working for at least 30 days after sending.
    Purpose.UNSUBSCRIBE: timedelta(days=400),
    Purpose.PREFERENCES: timedelta(days=400),
    Purpose.DATA_REQUEST: timedelta(days=7),
    Purpose.CHECKIN: timedelta(days=400),
    # Cancel and offer links must work until the event is long past.
    Purpose.EVENT_REGISTRATION: timedelta(days=400),
    # Double opt-in for event news asked for on a registration form: like a community.
    Purpose.EVENT_NEWS_OPTIN: timedelta(days=7),
    # Offered slots are days or weeks ahead; past that the interview is long decided.
    Purpose.INTERVIEW_SCHEDULING: timedelta(days=30),
    # Response deadlines are weeks, not months; the offer's own deadline decides first.
    Purpose.OFFER_RESPONSE: timedelta(days=60),
    # Candidates answer within days; a month on, the stage has moved on and we ask again.
    Purpose.INTERVIEW_AVAILABILITY: timedelta(days=30),
    # Set-your-password links for invited staff: long enough to span a weekend.
    Purpose.STAFF_INVITE: timedelta(hours=72),
}


class TokenError(Exception):
    """Base class; `claims` is set when the signature was genuine."""

    def __init__(self, claims: TokenClaims | None = None) -> None:
        super().__init__(self.__class__.__name__)
        self.claims = claims


class TokenInvalid(TokenError):
    """Malformed, forged, or minted for another purpose."""


class TokenExpired(TokenError):
    pass


class TokenUsed(TokenError):
    pass


@dataclass(frozen=True)
class TokenClaims:
    purpose: Purpose
    subject: str
    nonce: str

    @property
    def nonce_hash(self) -> str:
        return hash_nonce(self.nonce)


def hash_nonce(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


@lru_cache(maxsize=64)
def _serializer(secret: str, purpose: Purpose) -> URLSafeTimedSerializer:
    # One per key and purpose: a campaign signs two links per recipient (B5). The
    # serializer keeps no per-token state, so sharing it is safe.
    return URLSafeTimedSerializer(
        secret,
        salt=f"talentloop.{purpose.value}",
        signer_kwargs={"digest_method": hashlib.sha256},
    )


def sign(secret: str, purpose: Purpose, subject: str, nonce: str) -> str:
    return _serializer(secret, purpose).dumps({"s": subject, "n": nonce})


def _claims(purpose: Purpose, payload: object) -> TokenClaims:
    if not isinstance(payload, dict):
        raise TokenInvalid()
    subject, nonce = payload.get("s"), payload.get("n")
    if not isinstance(subject, str) or not isinstance(nonce, str):
        raise TokenInvalid()
    return TokenClaims(purpose=purpose, subject=subject, nonce=nonce)


def unsign(secret: str, purpose: Purpose, token: str) -> TokenClaims:
    """Verify signature, purpose and age; raise TokenInvalid or TokenExpired."""
    serializer = _serializer(secret, purpose)
    max_age = int(MAX_AGE[purpose].total_seconds())
    try:
        return _claims(purpose, serializer.loads(token, max_age=max_age))
    except SignatureExpired as exc:
        claims = None
        if isinstance(exc.payload, bytes):
            try:
                claims = _claims(purpose, serializer.load_payload(exc.payload))
            except (BadData, TokenInvalid):
                claims = None
        raise TokenExpired(claims) from exc
    except BadData as exc:
        raise TokenInvalid() from exc
