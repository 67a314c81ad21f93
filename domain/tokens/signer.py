"""Signed, per-purpose tokens (pure: no database).

HMAC-SHA-256 (itsdangerous defaults to SHA-1, which ASVS 5.0 rates legacy) and one
salt per purpose, so a token minted for one purpose never verifies for another.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

from itsdangerous import (
    BadData,
    SignatureExpired,
    Signer,
    TimestampSigner,
    URLSafeTimedSerializer,
    want_bytes,
)
from itsdangerous.signer import HMACAlgorithm


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


# Signing speed (B5: a campaign message carries four signed links, and itsdangerous
# spent most of their cost on work that is the same for every token: a new signer per
# token, the key derived again (a hash) and the HMAC keyed again (two more) per
# signature). The classes below keep itsdangerous's formats and checks and only reuse
# that work, so tokens are the same bytes (tests compare with plain itsdangerous).


@lru_cache(maxsize=64)
def _keyed_hmac(key: bytes, digest_method: Any) -> Any:
    return hmac.new(key, digestmod=digest_method)


class KeyedHMAC(HMACAlgorithm):
    """HMAC whose key is absorbed once per key; each signature copies that state."""

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        mac = _keyed_hmac(key, self.digest_method).copy()
        mac.update(value)
        return mac.digest()


@lru_cache(maxsize=64)
def _derived_key(secret: bytes, salt: bytes, derivation: str, digest_method: Any) -> bytes:
    return Signer(secret, salt=salt, key_derivation=derivation,
                  digest_method=digest_method).derive_key()


class _DerivedOnce(Signer):
    """A signer whose key derivation (a pure function of key, salt and method) is
    computed once per secret, and whose HMAC is KeyedHMAC."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        digest_method = kwargs.get("digest_method") or hashlib.sha256
        kwargs.setdefault("algorithm", KeyedHMAC(digest_method))
        super().__init__(*args, **kwargs)

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        secret = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        return _derived_key(secret, self.salt, self.key_derivation, self.digest_method)


class FastSigner(_DerivedOnce):
    pass


class FastTimestampSigner(_DerivedOnce, TimestampSigner):
    pass


class _Serializer(URLSafeTimedSerializer):
    """URLSafeTimedSerializer with one signer per salt instead of one per token."""

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        salt = self.salt if salt is None else want_bytes(salt)
        signers = self.__dict__.setdefault("_signers", {})
        signer = signers.get(salt)
        if signer is None:
            signer = signers[salt] = super().make_signer(salt)
        return signer


@lru_cache(maxsize=64)
def _serializer(secret: str, purpose: Purpose) -> URLSafeTimedSerializer:
    # One per key and purpose. Neither the serializer nor its signer keeps per-token
    # state, so sharing them is safe.
    return _Serializer(
        secret,
        salt=f"talentloop.{purpose.value}",
        signer=FastTimestampSigner,
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
