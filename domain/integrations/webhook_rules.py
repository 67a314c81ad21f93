"""Webhooks out, the pure part: event types, payload envelope, signing, retry schedule,
and the SSRF policy for subscriber URLs (QUALITY.md X7). Unit-tested without a DB.

Signature (Standard Webhooks style), on every POST:

    Webhook-Id: <event id, a UUID; receivers dedupe on it>
    Webhook-Timestamp: <unix seconds>
    Webhook-Signature: v1=<hex HMAC-SHA256(secret, f"{timestamp}.{raw_body}")>

A receiver recomputes the HMAC over the exact bytes it received, compares in constant
time, and refuses timestamps far from its clock (replay).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

# Event type → what `data` holds (ids and a few type-specific fields; never EEO data, nor
# the consent record's IP address or user agent).
EVENT_TYPES: dict[str, str] = {
    "person.created": "person_id, source",
    "consent.changed": "person_id, purpose, scope, action (requested|given|withdrawn|"
                       "expired|noted: an import's legitimate interest), method",
    "application.created": "application_id, requisition_id, person_id",
    "application.stage_changed": "application_id, requisition_id, person_id, "
                                 "from_stage_id, to_stage_id, to_stage, kind",
    "application.hired": "application_id, requisition_id, person_id, to_stage_id",
    "registration.created": "registration_id, event_id, person_id, status",
    "registration.cancelled": "registration_id, event_id, person_id",
}
TEST_EVENT = "webhook.test"  # "send test": delivered to one subscription only

MAX_ATTEMPTS = 8
DISABLE_AFTER_FAILURES = 10
BASE_DELAY_SECONDS = 30
MAX_DELAY_SECONDS = 6 * 3600
TIMEOUT_SECONDS = 10.0
ERROR_LIMIT = 500
RETENTION_DAYS = 30

_CGNAT = ipaddress.ip_network("100.64.0.0/10")


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def envelope(*, event_id: str, type_: str, occurred_at: datetime, data: dict) -> bytes:
    """The raw body: signed and sent byte for byte."""
    return json.dumps({"id": event_id, "type": type_, "occurred_at": occurred_at.isoformat(),
                       "data": data}, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def headers(*, event_id: str, secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {"Content-Type": "application/json", "User-Agent": "talentloop-webhooks/1",
            "Webhook-Id": event_id, "Webhook-Timestamp": str(timestamp),
            "Webhook-Signature": signature(secret, timestamp, body)}


def retry_delay(attempts: int) -> timedelta:
    """After the `attempts`-th failed attempt: 30 s * 2^(attempts-1), capped at 6 h, plus up
    to 10 % jitter so a recovering receiver is not hit by every retry at once."""
    base = min(BASE_DELAY_SECONDS * 2 ** max(attempts - 1, 0), MAX_DELAY_SECONDS)
    return timedelta(seconds=base + secrets.randbelow(base // 10 + 1))


def outcome(status_code: int | None) -> str:
    return "delivered" if status_code is not None and 200 <= status_code < 300 else "failed"


def parse_event_types(values: list[str]) -> list[str]:
    return [value for value in EVENT_TYPES if value in set(values)]


# --- SSRF policy -------------------------------------------------------------------------

def url_problem(url: str) -> str | None:
    """Why this URL may not be a webhook target (None: fine to resolve and check)."""
    if not url:
        return "Enter the URL to send events to."
    if len(url) > 2000:
        return "The URL is too long (2,000 characters at most)."
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "This is not a valid URL."
    if parts.scheme not in {"http", "https"}:
        return "Use an http:// or https:// URL."
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return "The URL must not contain a user name or password."
    if not parts.hostname:
        return "The URL needs a host name."
    if port == 0:
        return "This is not a valid port."
    return None


def ip_problem(address: str) -> str | None:
    """Why connecting to this resolved address is refused (None: a public address)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "an unparsable address"
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            return ip_problem(str(mapped))
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "a shared (CGNAT) address"
    if ip.is_private or ip.is_reserved or not ip.is_global:
        return "a private network address"
    return None
