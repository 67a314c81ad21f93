"""Reading a meeting tool's attendance report (CSV): pure, no database.

Columns: email, joined at, minutes. Headers are matched ignoring case, spaces, `_` and
`-`, with the names Zoom, Teams and Meet use as aliases; other columns are ignored. Row
numbers are spreadsheet rows (the header is row 1), so a host finds them in Excel.
Naive times are in the event's time zone. Several rows for one email (a person who left
and rejoined) merge: earliest join, minutes added up.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime

from domain.events import attendance_rules

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_MINUTES = 7 * 24 * 60  # more than a week of meeting is a wrong column, not a long talk

COLUMNS = {
    "email": {"email", "e mail", "email address", "user email", "attendee email",
              "participant email"},
    "joined at": {"joined at", "joined", "join time", "time joined", "first join",
                  "first joined", "join date", "joined on"},
    "minutes": {"minutes", "duration", "duration (minutes)", "duration minutes",
                "minutes attended", "attended minutes", "attendance minutes"},
}


@dataclass(frozen=True, order=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if not self.row:
            return self.message
        if not self.column:
            return f"Row {self.row}: {self.message}"
        return f"Row {self.row}, column '{self.column}': {self.message}"


@dataclass(frozen=True)
class AttendanceRow:
    row: int
    email: str
    joined_at: datetime
    minutes: int


@dataclass
class Report:
    rows: list[AttendanceRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # our name -> the file's header
    # (row, email) of every row with an email, valid or not, so an unregistered email is
    # reported even on a row that has other problems: one upload shows them all.
    emails: list[tuple[int, str]] = field(default_factory=list)


class FileRejected(ValueError):
    """The file as a whole cannot be read (size, encoding, header): one message."""


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Teams), else Windows-1252 (Excel)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def delimiter(text: str) -> str:
    """The most frequent of , ; and tab on the header line (Excel in much of Europe
    writes `;`, Teams writes tabs)."""
    first = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=first.count)


def normalise_header(text: str) -> str:
    return " ".join(re.sub(r"[_\-]+", " ", text).lower().split())


def column_map(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = normalise_header(raw)
        for column, aliases in COLUMNS.items():
            if name in aliases and column not in found:
                found[column] = index
    missing = [column for column in COLUMNS if column not in found]
    if missing:
        listed = ", ".join(f"'{h.strip()}'" for h in header if h.strip()) or "nothing"
        raise FileRejected(
            f"The first row must name the columns email, joined at and minutes; "
            f"{', '.join(repr(m) for m in missing)} not found (found {listed}).")
    return found


def parse(data: bytes, *, time_zone: str, earliest: datetime, latest: datetime) -> Report:
    """Every row checked; `errors` lists each problem by row and column."""
    if len(data) > MAX_BYTES:
        raise FileRejected(f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is "
                           f"{MAX_BYTES // 1024 // 1024} MB. Split it into smaller files.")
    text = decode(data)
    if not text.strip():
        raise FileRejected("The file is empty.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter(text))
    try:
        return _read(reader, time_zone, (earliest, latest))
    except csv.Error as exc:
        raise FileRejected(f"Row {reader.line_num}: the file is not valid CSV ({exc}).") \
            from exc


def _read(reader, time_zone: str, window: tuple[datetime, datetime]) -> Report:
    header = next(reader)
    columns = column_map(header)
    report = Report(headers={name: header[index].strip() for name, index in columns.items()})
    for number, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue
        if number - 1 > MAX_ROWS:
            raise FileRejected(f"The file has more than {MAX_ROWS:,} rows. "
                               "Split it into smaller files.")
        _row(report, number, record, columns, time_zone, window)
    return report


def _row(report: Report, number: int, record: list[str], columns: dict[str, int],
         time_zone: str, window: tuple[datetime, datetime]) -> None:
    def cell(name: str) -> str:
        index = columns[name]
        return record[index].strip() if index < len(record) else ""

    errors = []
    email = cell("email").lower()
    if email:
        report.emails.append((number, email))
    else:
        errors.append(RowError(number, report.headers["email"], "is empty"))
    joined, problem = parse_moment(cell("joined at"), time_zone, window)
    if problem:
        errors.append(RowError(number, report.headers["joined at"], problem))
    minutes, problem = parse_minutes(cell("minutes"))
    if problem:
        errors.append(RowError(number, report.headers["minutes"], problem))
    if errors:
        report.errors.extend(errors)
    elif joined is not None and minutes is not None:
        report.rows.append(AttendanceRow(number, email, joined, minutes))


def _quoted(value: str) -> str:
    shown = value if len(value) <= 60 else value[:57] + "..."
    return f"'{shown}'"


def parse_minutes(value: str) -> tuple[int | None, str]:
    if not value:
        return None, "is empty"
    if re.fullmatch(r"-\s*\d+", value):
        return None, f"{_quoted(value)} is negative; minutes cannot be"
    if not re.fullmatch(r"\d+", value):
        return None, f"{_quoted(value)} is not a whole number"
    minutes = int(value)
    if minutes > MAX_MINUTES:
        return None, f"{_quoted(value)} is more than a week"
    return minutes, ""


_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
            "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d %b %Y %H:%M:%S", "%d %b %Y %H:%M",
            "%b %d %Y %I:%M:%S %p", "%b %d %Y %I:%M %p", "%b %d %Y %H:%M:%S", "%b %d %Y %H:%M")
_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})\s+(.+)")


def parse_moment(value: str, time_zone: str,
                 window: tuple[datetime, datetime]) -> tuple[datetime | None, str]:
    """A join time: ISO-8601 or a common spreadsheet form, near the event."""
    if not value:
        return None, "is empty"
    text = " ".join(value.replace(",", " ").split())
    moment = _iso(value.strip()) or _known_format(text) or _slashed(text)
    if moment == "ambiguous":
        return None, (f"{_quoted(value)} could be day/month or month/day; "
                      "write dates as YYYY-MM-DD HH:MM")
    if not isinstance(moment, datetime):
        return None, (f"{_quoted(value)} is not a date and time "
                      "(use YYYY-MM-DD HH:MM, for example 2026-12-10 17:05)")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=attendance_rules.zone(time_zone))
    if not window[0] <= moment <= window[1]:
        return None, f"{_quoted(value)} is not within a day of the event"
    return moment, ""


def _iso(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _known_format(text: str) -> datetime | None:
    for pattern in _FORMATS:
        try:
            return datetime.strptime(text, pattern)  # naive: the caller adds the zone
        except ValueError:
            continue
    return None


def _slashed(text: str) -> datetime | str | None:
    """1/2/2026: month first with AM/PM (US tools), else whichever reading is possible;
    when both are, it is ambiguous rather than a guess."""
    match = _SLASHED.fullmatch(text)
    if not match:
        return None
    first, second, year, clock = match.groups()
    twelve_hour = clock.upper().endswith(("AM", "PM"))
    a, b = int(first), int(second)
    if twelve_hour or b > 12 or a == b:
        month, day = (a, b) if a <= 12 else (b, a)
    elif a > 12:
        month, day = b, a
    else:
        return "ambiguous"
    return _clock_on(int(year) + (2000 if len(year) == 2 else 0), month, day, clock)


def _clock_on(year: int, month: int, day: int, clock: str) -> datetime | None:
    for pattern in ("%I:%M:%S %p", "%I:%M %p", "%H:%M:%S", "%H:%M"):
        try:
            moment = datetime.strptime(clock.upper(), pattern)
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return None


def merge(rows: list[AttendanceRow]) -> dict[str, AttendanceRow]:
    """One entry per email: the first join and the minutes of every session."""
    merged: dict[str, AttendanceRow] = {}
    for row in rows:
        seen = merged.get(row.email)
        if seen is None:
            merged[row.email] = row
            continue
        merged[row.email] = AttendanceRow(seen.row, row.email,
                                          min(seen.joined_at, row.joined_at),
                                          min(seen.minutes + row.minutes, MAX_MINUTES))
    return merged
