"""Open pixel `/o/{token}` and click redirect `/c/{token}` (QUALITY.md 3.3 "Tracking"),
and the signed inbound webhooks `/hooks/email-events` and `/hooks/inbound-mail`.

Top-level routes, outside the portal and back-office routers, so no session middleware
runs: each hit verifies its signed token (pure computation), pushes one record onto the
Redis buffer (domain.campaigns.tracking) and answers. The only database read is a miss of
the in-process link URL cache. A click can only ever lead to a URL stored for that
content (the token signs send and link ids, not a URL); a bad token gets the 404 page,
never a redirect. They are GETs with no form, so CSRF's cookie is not set on them
(`exclude_from_csrf`): a pixel must not plant a cookie in a mail client.
"""

from __future__ import annotations

import base64
import json
import time
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from litestar import HttpMethod, Request, post, route
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.response import Response
from litestar.response.base import ASGIResponse

from domain.campaigns import inbound, links, tracking, webhook_signature
from domain.campaigns.tracking_flags import classify
from domain.errors import Invalid
from web_common import client_ip, user_agent

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = {"cache-control": "no-store, no-cache, must-revalidate, private",
             "pragma": "no-cache"}
# No CSRF cookie on a pixel; no access-log line per hit either: hits are high-volume
# (privacy proxies fetch every pixel) and each one is stored in tracking_events anyway.
_OPTS = {"exclude_from_csrf": True, "access_log": False}
LINK_URLS = tracking.LinkUrls()
# Verifying a token is pure: the same tokens come back (every open of an email, every
# proxy refetch), so their HMAC checks are cached. Only genuine results are worth it,
# but caching a forgery's None costs no more than the check it saves.
parse_open = lru_cache(maxsize=20_000)(links.parse_open)
parse_click = lru_cache(maxsize=20_000)(links.parse_click)
# Printable ASCII a Location header may carry as is; anything else is percent-encoded.
_URL_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '"<>\\^`{|}')


@lru_cache(maxsize=20_000)
def _location(url: str) -> str | None:
    """The stored URL as a header value; None unless it is plainly http(s)."""
    if not url.lower().startswith(("http://", "https://")):
        return None
    location = quote(url, safe=_URL_SAFE)
    return location if location.isascii() and location.isprintable() else None


def cached_location(link_id: int) -> str | None:
    """The Location of a link whose URL is in the in-process cache (no database read)."""
    stored = LINK_URLS.cached(link_id)
    return _location(stored) if stored else None


async def buffer_hit(state: State, kind: str, send_id: int, link_id: int | None, *,
                     method: str, agent: str, address: str) -> None:
    """Classify the hit and push it onto the Redis buffer; returns once it is there."""
    hits = state.get("tracking_hits")
    if hits is None:
        hits = state.tracking_hits = tracking.HitBuffer(state.redis)
    flag = classify(kind, method=method, user_agent=agent, address=address)
    await hits.push(kind, send_id, link_id, flag=flag, at=state.clock.now())


async def _buffer(request: Request, kind: str, send_id: int, link_id: int | None) -> None:
    await buffer_hit(request.app.state, kind, send_id, link_id, method=request.method,
                     agent=user_agent(request), address=client_ip(request))


@route("/o/{token:str}", http_method=[HttpMethod.GET, HttpMethod.HEAD], name="tracking.open",
       opt=_OPTS, include_in_schema=False, cache=False)
async def open_pixel(request: Request, token: str) -> ASGIResponse:
    send_id = parse_open(token)
    if send_id is None:
        raise NotFoundException()
    await _buffer(request, "open", send_id, None)
    # The ASGI response itself: skips building a Response to convert (this is the
    # hottest route of the app).
    return ASGIResponse(body=PIXEL, media_type="image/gif", headers=NO_STORE)


@route("/c/{token:str}", http_method=[HttpMethod.GET, HttpMethod.HEAD], name="tracking.click",
       opt=_OPTS, include_in_schema=False, cache=False)
async def click(request: Request, token: str) -> ASGIResponse:
    parsed = parse_click(token)
    if parsed is None:
        raise NotFoundException()
    send_id, link_id = parsed
    stored = await LINK_URLS.url(link_id)
    location = _location(stored) if stored else None
    if location is None:
        raise NotFoundException()
    await _buffer(request, "click", send_id, link_id)
    return ASGIResponse(body=b"", status_code=302, headers={"location": location, **NO_STORE})


# -- signed webhooks (README "Bounce, complaint and inbound-mail webhooks") ---------------

MAX_EVENTS = 100


def _problem(status: int, title: str, detail: str) -> Response[Any]:
    return Response({"type": "about:blank", "title": title, "status": status,
                     "detail": detail}, status_code=status,
                    media_type="application/problem+json")


async def _signed_body(request: Request) -> bytes | None:
    body = await request.body()
    header = request.headers.get(webhook_signature.HEADER, "")
    return body if webhook_signature.verify(header, body, now=time.time()) else None


_UNSIGNED = ("Bad signature", f"The {webhook_signature.HEADER} header is missing, does not "
             "match the body, or is older than five minutes.")


@post("/hooks/email-events", name="hooks.email_events", include_in_schema=False,
      status_code=200)
async def email_events(request: Request) -> Response[Any]:
    """Bounces, complaints and deliveries from the sending provider: one JSON object or
    a list of up to 100. All are validated before any is applied."""
    body = await _signed_body(request)
    if body is None:
        return _problem(401, *_UNSIGNED)
    try:
        data = json.loads(body)
        items = data if isinstance(data, list) else [data]
        if len(items) > MAX_EVENTS:
            raise Invalid(f"at most {MAX_EVENTS} events per request")
        events = [inbound.parse_event(item) for item in items]
    except (ValueError, Invalid) as exc:
        return _problem(422, "Invalid event", str(exc) or "The body is not valid JSON.")
    state = request.app.state
    results = [await inbound.provider_event(e, clock=state.clock, queue=state.queue)
               for e in events]
    return Response({"received": len(results)})


@post("/hooks/inbound-mail", name="hooks.inbound_mail", include_in_schema=False,
      status_code=200)
async def inbound_mail(request: Request) -> Response[Any]:
    """One raw MIME message (a reply, a DSN or a complaint report) as the body."""
    body = await _signed_body(request)
    if body is None:
        return _problem(401, *_UNSIGNED)
    if not body.strip() or len(body) > inbound.MAX_RAW_BYTES:
        return _problem(422, "Invalid message", "The body must be one MIME message "
                        f"of at most {inbound.MAX_RAW_BYTES} bytes.")
    result = await inbound.receive(body, source="webhook", clock=request.app.state.clock,
                                   queue=request.app.state.queue)
    return Response({"kind": result["kind"]})


ROUTES = [open_pixel, click, email_events, inbound_mail]
