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
