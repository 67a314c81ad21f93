"""A short-lived in-process cache for public portal pages seen by anonymous visitors
("microcaching"): under a traffic spike on a community page, one render serves
everyone for a couple of seconds instead of one render (and two queries) per request.

Safe by construction:
- only GETs of listed paths, only for visitors without a session cookie (a signed-in
  candidate sees personal navigation, so their pages are never cached or served cached);
- only 200 responses are stored; pages served from here must have no per-request side
  effects (tracking of UTM parameters would have to happen elsewhere);
- the CSRF token is per visitor: pages are rendered with a placeholder token, and each
  response gets the visitor's own token (their cookie's, or a fresh one plus its cookie),
  exactly what Litestar's CSRF middleware would have done.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie

from litestar.config.csrf import CSRFConfig
from litestar.datastructures import Cookie
from litestar.middleware.csrf import generate_csrf_token
from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("talentloop.access")
PLACEHOLDER = "tlcsrfplaceholder0d6f1c2b9a"
CACHEABLE = re.compile(r"^/(communities/[a-z0-9-]{1,80})?$")
MAX_ENTRIES = 512


@dataclass(frozen=True)
class _Entry:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    expires: float


class PublicPageCache:
    def __init__(self, app: ASGIApp, *, csrf: CSRFConfig, ttl_seconds: float,
                 session_cookies: tuple[str, ...]) -> None:
        self.app = app
        self.csrf = csrf
        self.ttl = ttl_seconds
        self.session_cookies = session_cookies
        self.entries: dict[tuple[str, bytes], _Entry] = {}
        # Built once: Litestar's Cookie formatting goes through http.cookies, which is
        # slow enough to show on a page served in a fraction of a millisecond.
        marker = "tlcookievalue"
        self._cookie_template = self._csrf_cookie(marker).split(marker)

    def __getattr__(self, name: str):  # state, lifespan, … of the wrapped app
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cookies = _cookies(scope) if scope["type"] == "http" else {}
        if not self._applies(scope, cookies):
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope.get("query_string", b""))
        entry = self.entries.get(key)
        hit = entry is not None and entry.expires > time.monotonic()
        if not hit:
            entry = await self._render(scope, receive)
        assert entry is not None
        await self._reply(entry, send, cookies.get(self.csrf.cookie_name), hit)
        # Hits are the spike case: logging each one would cost as much as serving it.
        log.log(logging.DEBUG if hit else logging.INFO, "%s %s %s %s (page cache %s)",
                (scope.get("client") or ("-",))[0], scope["method"], scope["path"],
                entry.status, "hit" if hit else "miss")

    def _applies(self, scope: Scope, cookies: dict[str, str]) -> bool:
        return (self.ttl > 0 and scope["type"] == "http"
                and scope["method"] == "GET"
                and bool(CACHEABLE.match(scope["path"]))
                and not any(name in cookies for name in self.session_cookies))

    async def _render(self, scope: Scope, receive: Receive) -> _Entry:
        """Render through the whole app as a visitor whose CSRF token is the placeholder."""
        headers = [(k, v) for k, v in scope["headers"] if k != b"cookie"]
        headers.append((b"cookie", f"{self.csrf.cookie_name}={PLACEHOLDER}".encode()))
        messages: list[Message] = []

        async def capture(message: Message) -> None:
            messages.append(message)

        await self.app({**scope, "headers": headers}, receive, capture)
        start = next(m for m in messages if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
        kept = [(k, v) for k, v in start.get("headers", [])
                if k.lower() not in {b"set-cookie", b"content-length"}]
        entry = _Entry(start["status"], kept, body, time.monotonic() + self.ttl)
        if entry.status == 200:
            self._store((scope["path"], scope.get("query_string", b"")), entry)
        return entry

    def _store(self, key: tuple[str, bytes], entry: _Entry) -> None:
        if len(self.entries) >= MAX_ENTRIES:  # bounded: drop the oldest insertions
            for stale in list(self.entries)[: MAX_ENTRIES // 4]:
                del self.entries[stale]
        self.entries[key] = entry

    async def _reply(self, entry: _Entry, send: Send, visitor_token: str | None,
                     hit: bool) -> None:
        token = visitor_token or generate_csrf_token(self.csrf.secret)
        body = entry.body.replace(PLACEHOLDER.encode(), token.encode())
        headers = [*entry.headers, (b"content-length", str(len(body)).encode()),
                   (b"x-page-cache", b"hit" if hit else b"miss")]
        if visitor_token is None:
            before, after = self._cookie_template
            headers.append((b"set-cookie", f"{before}{token}{after}".encode()))
        await send({"type": "http.response.start", "status": entry.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _csrf_cookie(self, token: str) -> str:
        return Cookie(key=self.csrf.cookie_name, value=token, path=self.csrf.cookie_path,
                      secure=self.csrf.cookie_secure, httponly=self.csrf.cookie_httponly,
                      samesite=self.csrf.cookie_samesite,
                      domain=self.csrf.cookie_domain).to_header(header="")


def _cookies(scope: Scope) -> dict[str, str]:
    raw = b"; ".join(v for k, v in scope["headers"] if k == b"cookie").decode("latin-1")
    if not raw:
        return {}
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed cookie header: treat as no cookies, never fail
        return {}
    return {name: morsel.value for name, morsel in jar.items()}
