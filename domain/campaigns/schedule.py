"""When a recipient may be sent to: the campaign's send window in their time zone.

Pure functions (no database): the sender computes `not_before` once per recipient when
it materialises the audience, and a batch only claims rows whose `not_before` passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    for candidate in (name, fallback, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def has_window(days: Sequence[int], start: int | None, end: int | None) -> bool:
    return bool(days) or start is not None or end is not None


def not_before(now: datetime, *, send_at: datetime | None, tz: ZoneInfo,
               days: Sequence[int], start: int | None, end: int | None) -> datetime | None:
    """The first instant at or after max(now, send_at) inside the window (ISO weekdays
    `days`, local hours [start, end)), in UTC; None when that is now (send at once).
    A window that never opens (e.g. start >= end) does not hold anyone back."""
    earliest = max(now, send_at) if send_at else now
    if not has_window(days, start, end):
        return None if earliest <= now else earliest.astimezone(UTC)
    open_hour, close_hour = start or 0, 24 if end is None else end
    if open_hour >= close_hour:
        return None
    local = earliest.astimezone(tz)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        if days and day.isoweekday() not in days:
            continue
        opens = datetime.combine(day, time(open_hour), tz)
        closes = (datetime.combine(day + timedelta(days=1), time(0), tz) if close_hour == 24
                  else datetime.combine(day, time(close_hour), tz))
        candidate = max(local, opens)
        if candidate < closes:
            return None if candidate <= now else candidate.astimezone(UTC)
    return None
