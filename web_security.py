"""Security headers on every response (ASVS 5.0 3.4): a strict CSP, no sniffing, no
referrer (confirmation and sign-in links carry tokens in their path), no framing by others.
A route that needs another policy sets its own header, which is then left alone."""

from __future__ import annotations

from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-src 'self'; frame-ancestors 'self'; "
    "form-action 'self'; base-uri 'none'; object-src 'none'"
)

BASE_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "SAMEORIGIN",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def security_headers(*, https: bool):
    """A before_send hook: it sees every response, including 404s for unknown routes,
    which never pass through route middleware."""
    headers = dict(BASE_HEADERS)
    if https:
        headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"
    encoded = [(name.encode(), value.encode()) for name, value in headers.items()]

    # A coroutine: a plain function would run in a worker thread for every message.
    # One pass over the raw header list (lower-case bytes in ASGI): Litestar's
    # MutableScopeHeaders rescans the list per lookup, a third of a tracking hit's cost.
    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start":
            present = {name.lower() for name, _ in message.get("headers") or ()}
            missing = [pair for pair in encoded if pair[0] not in present]
            if missing:
                message["headers"] = [*(message.get("headers") or ()), *missing]

    return add_headers
