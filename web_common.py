"""Helpers shared by the two HTTP entrypoints (portal and back office).

Kept at the root so portal/ and backoffice/ never import each other.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import nh3
from litestar import Request
from litestar.datastructures import State
from litestar.response import Template
from litestar.utils.scope.state import ScopeState
from markdown_it import MarkdownIt
from markupsafe import Markup


def client_ip(request: Request) -> str:
    # The socket peer, never X-Forwarded-For: a header is whatever the client says.
    return request.client.host if request.client else ""


def user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")[:400]


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Template:
    """A template response with the CSRF token (for htmx headers) in its context."""
    token = ScopeState.from_scope(request.scope).csrf_token  # Empty when CSRF failed
    context.setdefault("csrf_token", token if isinstance(token, str) else "")
    # For the portal nav only; pages that need the person use portal.auth.
    session = request.scope.get("session") or {}
    context.setdefault("portal_signed_in", isinstance(session, dict) and "person_id" in session)
    return Template(template_name=template, context=context, status_code=status_code)


def app_state(request: Request) -> State:
    return request.app.state


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def format_in_zone(value: datetime | None, zone: str | None) -> str:
    """An event's times in the zone it was planned in, e.g. "17 Dec 2026 09:30 CET"."""
    if value is None:
        return ""
    try:
        local = value.astimezone(ZoneInfo(zone or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        local = value.astimezone(UTC)
    return local.strftime("%-d %b %Y %H:%M %Z")


def format_date(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%-d %b %Y")


def time_ago(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return "never"
    seconds = int(((now or datetime.now(UTC)) - value).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("year", 31_536_000), ("month", 2_592_000), ("day", 86_400),
                       ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


_MARKDOWN = MarkdownIt("commonmark", {"html": False})
_ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h2", "h3", "h4",
                 "blockquote", "code", "pre", "hr"}


def markdown(text: str | None) -> Markup:
    """Markdown typed by staff, as HTML safe to show anywhere: raw HTML in the source is
    not rendered, and the output is cleaned again (nh3) so only plain formatting and
    http(s)/mailto links survive."""
    html = _MARKDOWN.render(text or "")
    return Markup(nh3.clean(html, tags=_ALLOWED_TAGS, attributes={"a": {"href"}},  # noqa: S704 nh3-cleaned
                            url_schemes={"http", "https", "mailto"},
                            link_rel="noopener noreferrer nofollow"))
