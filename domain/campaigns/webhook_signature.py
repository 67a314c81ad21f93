"""Signatures of the inbound webhooks (/hooks/email-events, /hooks/inbound-mail), pure.

Header `X-Talentloop-Signature: t=<unix seconds>,v1=<hex>` where hex is
HMAC-SHA-256(key, f"{t}." + raw body). The key is INBOUND_WEBHOOK_SECRET, or when that is
not set, one derived from SECRET_KEY (so a fresh install is signed too). The timestamp
must be within TOLERANCE_SECONDS of now, so a captured request cannot be replayed later;
several `v1=` values are accepted during a key rotation.
"""

from __future__ import annotations

import hashlib
import hmac

from settings import get_settings

HEADER = "X-Talentloop-Signature"
TOLERANCE_SECONDS = 300


def signing_key() -> bytes:
    settings = get_settings()
    if settings.inbound_webhook_secret:
        return settings.inbound_webhook_secret.encode()
    return hmac.new(settings.secret_key.encode(), b"talentloop.inbound-webhook",
                    hashlib.sha256).hexdigest().encode()


def _digest(key: bytes, timestamp: int, body: bytes) -> str:
    return hmac.new(key, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(body: bytes, *, timestamp: int, key: bytes | None = None) -> str:
    return f"t={timestamp},v1={_digest(key or signing_key(), timestamp, body)}"


def verify(header: str, body: bytes, *, now: float) -> bool:
    parts = [part.strip().split("=", 1) for part in (header or "").split(",")]
    pairs = [(p[0], p[1]) for p in parts if len(p) == 2]
    stamps = [value for name, value in pairs if name == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit() or len(stamps[0]) > 12:
        return False
    timestamp = int(stamps[0])
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = _digest(signing_key(), timestamp, body)
    return any(hmac.compare_digest(expected, value) for name, value in pairs if name == "v1")
