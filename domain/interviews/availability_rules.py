"""The candidate's availability form, checked: pure, no I/O.

Each row is a date and a from/to time in the zone the candidate chose; rows left empty
are ignored. Windows are kept as UTC instants, so the recruiter sees them in any zone.
Errors are keyed by the form's field names (`date-1`, `from-1`, `to-1`, … and
`time_zone`, `note`, `windows` for the form as a whole).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.events.drafts import ZONES, _zone

MAX_WINDOWS = 10
HORIZON = timedelta(days=30)
SUGGESTED_DAYS = 14
MAX_NOTE = 1000
MAX_ROWS = 40  # rows numbered past this are ignored (a crafted form cannot make us loop)
TIME_ZONES = ZONES


@dataclass(frozen=True)
class Availability:
    time_zone: str
    windows: list[tuple[datetime, datetime]]  # UTC, sorted
    note: str

    def stored_windows(self) -> list[dict[str, str]]:
        return [{"starts_at": start.isoformat(), "ends_at": end.isoformat()}
                for start, end in self.windows]


def row_count(raw: dict) -> int:
    """How many rows the form sent (the page shows at least MAX_WINDOWS)."""
    numbers = [int(number) for name, _, number in (key.partition("-") for key in raw)
               if name in ("date", "from", "to") and number.isdigit() and len(number) <= 2]
    return min(max(numbers, default=0), MAX_ROWS)


def parse_availability(raw: dict, *, now: datetime) -> tuple[Availability | None,
                                                              dict[str, str]]:
    """`raw` maps field names to strings."""
    errors: dict[str, str] = {}
    zone = _zone(str(raw.get("time_zone") or ""), errors)
    windows: list[tuple[datetime, datetime]] = []
    for index in range(1, row_count(raw) + 1):
        window = _window(raw, index, zone, now, errors)
        if window:
            windows.append(window)
    filled = sum(1 for index in range(1, row_count(raw) + 1) if _filled(raw, index))
    if filled > MAX_WINDOWS:
        errors["windows"] = f"Give at most {MAX_WINDOWS} time windows."
    elif filled == 0:
        errors["windows"] = "Add at least one time window when you are available."
    note = str(raw.get("note") or "").strip()
    if len(note) > MAX_NOTE:
        errors["note"] = f"Use at most {MAX_NOTE:,} characters."
    if errors or zone is None:
        return None, errors
    return Availability(time_zone=zone.key, windows=sorted(windows), note=note), {}


def _filled(raw: dict, index: int) -> bool:
    return any(str(raw.get(f"{name}-{index}") or "").strip()
               for name in ("date", "from", "to"))


def _window(raw: dict, index: int, zone: ZoneInfo | None, now: datetime,
            errors: dict[str, str]) -> tuple[datetime, datetime] | None:
    if not _filled(raw, index):
        return None
    day = _parse(raw.get(f"date-{index}"), date.fromisoformat, f"date-{index}",
                 "Enter a date like 2026-12-10.", errors)
    start = _parse(raw.get(f"from-{index}"), time.fromisoformat, f"from-{index}",
                   "Enter a start time like 09:30.", errors)
    end = _parse(raw.get(f"to-{index}"), time.fromisoformat, f"to-{index}",
                 "Enter an end time like 12:00.", errors)
    if day is None or start is None or end is None or zone is None:
        return None
    starts_at = datetime.combine(day, start, tzinfo=zone).astimezone(now.tzinfo)
    ends_at = datetime.combine(day, end, tzinfo=zone).astimezone(now.tzinfo)
    if ends_at <= starts_at:
        errors[f"to-{index}"] = "The end must be after the start."
    elif starts_at <= now:
        errors[f"date-{index}"] = "Choose a time in the future."
    elif ends_at > now + HORIZON:
        errors[f"date-{index}"] = f"Choose a date within the next {HORIZON.days} days."
    else:
        return starts_at, ends_at
    return None


def _parse(value: object, parser, name: str, message: str, errors: dict[str, str]):
    text = str(value or "").strip()
    if not text:
        errors[name] = "Fill this in, or clear the whole row."
        return None
    try:
        return parser(text)
    except ValueError:
        errors[name] = message
        return None


def in_zone(windows: list[dict], zone_name: str) -> list[tuple[datetime, datetime]]:
    """Stored windows as aware datetimes in `zone_name` (UTC when unknown)."""
    try:
        zone = ZoneInfo(zone_name or "UTC")
    except (ValueError, KeyError):
        zone = ZoneInfo("UTC")
    return [(datetime.fromisoformat(w["starts_at"]).astimezone(zone),
             datetime.fromisoformat(w["ends_at"]).astimezone(zone)) for w in windows]


def describe(windows: list[dict], zone_name: str) -> list[str]:
    """"Tue 10 Nov 2026, 09:00 to 12:00 (Europe/Paris)" per window."""
    return [f"{start:%a %-d %b %Y, %H:%M} to {end:%H:%M}"
            f"{'' if start.date() == end.date() else f' on {end:%a %-d %b}'} ({zone_name})"
            for start, end in in_zone(windows, zone_name or "UTC")]
