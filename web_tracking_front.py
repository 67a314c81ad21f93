"""The fast path of the open pixel and the click redirect (QUALITY.md 3.3 "Tracking").

Every email open and click hits `/o/{token}` or `/c/{token}`, and privacy proxies fetch
every pixel whether the mail is read or not: these are the app's hottest requests, and
Litestar's routing, handler signature and response building cost more than the hit
itself (B2 measured a third of a hello-world route's rate). So the app's ASGI handler is
fronted by this check: a GET or HEAD of `/o/<token>` or `/c/<token>` whose token is
genuine (and, for a click, whose link URL is already in the in-process cache) is
buffered and answered right here, with the same work the Litestar routes in
web_tracking.py do. Everything else — a forged or malformed token, a link URL not cached
yet, a Redis error — falls through to those routes, which give the 404 page, read the
URL from the database, or answer the error page; they stay the one place for the cold
and failing cases.

It runs inside `Litestar.__call__`, after the app's before_send hooks wrapped `send`:
the responses get the security headers like any other. No session or CSRF middleware
runs (they are route middleware), so no cookie is planted in a mail client.
"""

from __future__ import annotations

from typing import cast

from litestar import Litestar
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    HTTPScope,
    Receive,
    Scope,
    Send,
)

from web_access_log import QUIET
from web_tracking import NO_STORE, PIXEL, buffer_hit, cached_location, parse_click, parse_open

_NO_STORE = [(name.encode(), value.encode()) for name, value in NO_STORE.items()]
_PIXEL_HEADERS = [(b"content-type", b"image/gif"),
                  (b"content-length", str(len(PIXEL)).encode()), *_NO_STORE]
_REDIRECT_HEADERS = [(b"content-length", b"0"), *_NO_STORE]


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return ""


class TrackingFront:
    def __init__(self, app: Litestar, inner: ASGIApp) -> None:
        self.app = app
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and cast(HTTPScope, scope)["method"] in ("GET", "HEAD"):
            path = scope["path"]
            if (len(path) > 3 and path[2] == "/" and path[1] in "oc" and "/" not in path[3:]
                    and await self._answer(cast(HTTPScope, scope), send, path)):
                return
        await self.inner(scope, receive, send)

    async def _answer(self, scope: HTTPScope, send: Send, path: str) -> bool:
        """True when the hit was buffered and answered; False leaves it to the routes."""
        token = path[3:]
        if path[1] == "o":
            send_id, link_id, location = parse_open(token), None, None
        else:
            parsed = parse_click(token)
            if parsed is None:
                return False
            send_id, link_id = parsed
            location = cached_location(link_id)
            if location is None:  # not cached yet, or not a plain http(s) URL
                return False
        if send_id is None:
            return False
        try:
            await buffer_hit(self.app.state, "open" if link_id is None else "click",
                             send_id, link_id, method=scope["method"],
                             agent=_header(scope, b"user-agent")[:400],
                             address=(scope.get("client") or ("",))[0])
        except Exception:  # the route retries and answers the error page
            return False
        scope[QUIET] = True  # type: ignore[literal-required]  # no access log line
        if location is None:
            start = HTTPResponseStartEvent(type="http.response.start", status=200,
                                           headers=list(_PIXEL_HEADERS))
            body = b"" if scope["method"] == "HEAD" else PIXEL
        else:
            start = HTTPResponseStartEvent(
                type="http.response.start", status=302,
                headers=[(b"location", location.encode()), *_REDIRECT_HEADERS])
            body = b""
        await send(start)
        await send(HTTPResponseBodyEvent(type="http.response.body", body=body,
                                         more_body=False))
        return True


def install(app: Litestar) -> None:
    app.asgi_handler = TrackingFront(app, app.asgi_handler)
