"""Keyset page links over (timestamp, id): newest first lists hand the last row's pair to
the next page as an opaque, URL-safe cursor. A damaged cursor is an Invalid with a
message a person can act on, never a database error."""

from __future__ import annotations

import base64
from datetime import datetime

from domain.errors import Invalid


def encode_cursor(moment: datetime, row_id: int) -> str:
    raw = f"{moment.isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _, row_id = raw.partition("|")
        return datetime.fromisoformat(stamp), int(row_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid("That page link is damaged; start again from the first page.") from exc


def older_than(cursor: str | None, args: list, time_column: str, id_column: str) -> str | None:
    """The WHERE fragment for rows after `cursor` in a newest-first list, its values
    appended to `args` as $n parameters (column names are the caller's constants)."""
    if not cursor:
        return None
    args += list(decode_cursor(cursor))
    return f"({time_column}, {id_column}) < (${len(args) - 1}, ${len(args)})"


def split_page(rows: list[dict], limit: int, time_key: str) -> tuple[list[dict], str | None]:
    """Rows fetched with LIMIT limit + 1 → this page and the next page's cursor, if any."""
    page = rows[:limit]
    if len(rows) <= limit or not page:
        return page, None
    return page, encode_cursor(page[-1][time_key], page[-1]["id"])
