"""Click and open tracking links.

A click link is `/c/<token>` where the token signs (send id, link id) with HMAC-SHA-256
and a salt of its own; the link id names a row of `tracked_links`, stored when the
content was prepared for sending. So the redirect can only ever lead to a URL we stored
for that content: there is no URL in the token to tamper with (no open redirect), and a
forged or altered token fails the signature. The open pixel is `/o/<token>` signing the
send id alone. Verifying either is pure computation (no database), which keeps the
tracking endpoints O(1).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import lru_cache

from itsdangerous import BadSignature

from domain.campaigns import rules
from domain.db import fetch
from domain.tokens.signer import FastSigner
from settings import get_settings


@lru_cache(maxsize=4)
def _signer(secret: str, kind: str) -> FastSigner:
    return FastSigner(secret, salt=f"talentloop.tracking-{kind}", sep=".",
                  digest_method=hashlib.sha256)


def _sign(kind: str, value: str) -> str:
    return _signer(get_settings().secret_key, kind).sign(value).decode()


def _unsign(kind: str, token: str) -> str | None:
    try:
        return _signer(get_settings().secret_key, kind).unsign(token).decode()
    except (BadSignature, UnicodeError, ValueError):
        return None


def click_token(send_id: int, link_id: int) -> str:
    return _sign("click", f"{send_id:x}-{link_id:x}")


def open_token(send_id: int) -> str:
    return _sign("open", f"{send_id:x}")


def _hex(value: str) -> int | None:
    if not value or len(value) > 16 or any(c not in "0123456789abcdef" for c in value):
        return None
    return int(value, 16)


def parse_click(token: str) -> tuple[int, int] | None:
    """(send id, link id) of a genuine click token, else None."""
    value = _unsign("click", token)
    if value is None or value.count("-") != 1:
        return None
    send, link = (_hex(part) for part in value.split("-"))
    return None if send is None or link is None else (send, link)


def parse_open(token: str) -> int | None:
    value = _unsign("open", token)
    return None if value is None else _hex(value)


def click_url(send_id: int, link_id: int) -> str:
    return f"{get_settings().base_url}/c/{click_token(send_id, link_id)}"


def open_url(send_id: int) -> str:
    return f"{get_settings().base_url}/o/{open_token(send_id)}"


async def register(content_key: str, html_body: str) -> dict[str, int]:
    """Store the content's links (once per content, not per recipient): URL → link id."""
    urls = rules.link_urls(html_body)
    if not urls:
        return {}
    rows = await fetch(
        "INSERT INTO tracked_links (content_key, url, position, clicks, unique_clicks) "
        "SELECT $1, u.url, u.position, 0, 0 FROM unnest($2::text[]) WITH ORDINALITY "
        "AS u(url, position) ON CONFLICT (content_key, url) "
        "DO UPDATE SET position = excluded.position RETURNING id, url",
        content_key, urls)
    return {row["url"]: int(row["id"]) for row in rows}


def rewriter(links: Mapping[str, int], send_id: int):
    """The `rewrite` hook for rules.render_template: stored links become click links."""
    def rewrite(url: str) -> str | None:
        link_id = links.get(url)
        return None if link_id is None else click_url(send_id, link_id)
    return rewrite


async def url_of(link_id: int) -> str | None:
    rows = await fetch("SELECT url FROM tracked_links WHERE id = $1", link_id)
    return rows[0]["url"] if rows else None
