"""Importing a meeting tool's attendance report: all or nothing.

Every row is checked first (domain.events.attendance_csv), then, under the event lock,
each email against the event's registrations. One problem anywhere and nothing changes:
the host gets the full list by row and column, fixes the file and uploads it again.

An email that is not registered for the event is a row error, not an automatic walk-in:
a third-party file must not create people and seats behind the host's back, and the
host can admit that person as a walk-in first (one click) and re-upload.
Importing again is safe: people already attended get their join time and minutes
updated, without a second engagement entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.audit import service as audit
from domain.db import fetch, transaction
from domain.engagement import service as engagement
from domain.errors import Invalid, NotFound
from domain.events import attendance_csv as csvfile
from domain.events.attendance_csv import AttendanceRow, FileRejected, RowError
from domain.ports import Clock

# Meeting tools report in UTC or local time; a day either side tolerates both while
# still catching the report of another event.
WINDOW = timedelta(days=1)
MAX_SHOWN = 200
_MAY_ATTEND = ("registered", "attended", "no_show")


@dataclass(frozen=True)
class Imported:
    rows: int
    people: int
    newly_attended: int
    updated: int


class ImportRejected(Invalid):
    """Nothing was changed; `problems` lists what to fix (at most MAX_SHOWN of `total`)."""

    def __init__(self, problems: list[str], total: int) -> None:
        super().__init__("Nothing was imported. Fix these problems and upload the file again.",
                         errors={"file": problems[0] if problems else ""})
        self.problems, self.total = problems, total


def _reject(errors: list[RowError]) -> ImportRejected:
    ordered = sorted(errors)
    return ImportRejected([str(error) for error in ordered[:MAX_SHOWN]], len(ordered))


async def import_attendance(event_id: int, data: bytes, *, by: str, clock: Clock) -> Imported:
    event = await _event(event_id)
    if event["status"] != "published":
        raise ImportRejected(["Attendance can only be imported for a published event."], 1)
    try:
        report = csvfile.parse(data, time_zone=event["time_zone"],
                               earliest=event["starts_at"] - WINDOW,
                               latest=event["ends_at"] + WINDOW)
    except FileRejected as exc:
        raise ImportRejected([str(exc)], 1) from exc
    if report.errors:
        raise _reject(report.errors + await _registration_errors(event_id, report))
    if not report.rows:
        raise ImportRejected(["The file has a header but no attendance rows."], 1)
    return await _apply(event, report, by, clock.now())


async def _event(event_id: int) -> dict:
    rows = await fetch("SELECT id, slug, status, starts_at, ends_at, time_zone FROM events "
                       "WHERE id = $1", event_id)
    if not rows:
        raise NotFound("There is no such event.")
    return rows[0]


_UNLOCKED = ("SELECT r.id, r.person, r.status, p.email FROM event_registrations r "
             "JOIN people p ON p.id = r.person WHERE r.event = $1 "
             "AND p.email = ANY($2::text[]) ORDER BY r.id")
_LOCKED = _UNLOCKED + " FOR UPDATE OF r"


async def _registrations(event_id: int, emails: list[str], *, lock: bool) -> dict[str, dict]:
    sql = _LOCKED if lock else _UNLOCKED
    rows = await fetch(sql, event_id, emails)
    return {row["email"]: row for row in rows}


async def _registration_errors(event_id: int, report: csvfile.Report,
                               found: dict[str, dict] | None = None) -> list[RowError]:
    """Rows whose email has no registration that may be marked attended."""
    if found is None:
        found = await _registrations(event_id, sorted({e for _, e in report.emails}),
                                     lock=False)
    column = report.headers.get("email", "email")
    errors = []
    for number, email in report.emails:
        registration = found.get(email)
        if registration is None:
            errors.append(RowError(number, column, f"{email} is not registered for this "
                                   "event (admit them as a walk-in first, or remove the row)"))
        elif registration["status"] not in _MAY_ATTEND:
            status = registration["status"].replace("_", " ")
            errors.append(RowError(number, column, f"{email} is {status}, not registered "
                                   "(admit them as a walk-in first, or remove the row)"))
    return errors


async def _apply(event: dict, report: csvfile.Report, by: str, now: datetime) -> Imported:
    merged = csvfile.merge(report.rows)
    async with transaction():
        # The service's lock order: the event row, then its registration rows.
        await fetch("SELECT id FROM events WHERE id = $1 FOR UPDATE", event["id"])
        found = await _registrations(event["id"], sorted(merged), lock=True)
        errors = await _registration_errors(event["id"], report, found)
        if errors:
            raise _reject(errors)
        newly = [found[email] for email in merged if found[email]["status"] != "attended"]
        await _write(found, merged, now)
        for registration in newly:
            await engagement.record(person_id=registration["person"], type="event_attended",
                                    occurred_at=now, source="events",
                                    payload={"event": event["slug"]})
        result = Imported(len(report.rows), len(merged), len(newly), len(merged) - len(newly))
        await audit.record(action="events.attendance_imported", at=now, actor=by,
                           subject=f"event:{event['id']}", detail=result.__dict__)
    return result


async def _write(found: dict[str, dict], merged: dict[str, AttendanceRow],
                 now: datetime) -> None:
    """One set-based UPDATE; no seat moves (registered, no-show and attended all hold one)."""
    ids = [found[email]["id"] for email in merged]
    joined = [row.joined_at for row in merged.values()]
    minutes = [row.minutes for row in merged.values()]
    await fetch(
        "UPDATE event_registrations r SET status = 'attended', joined_at = v.joined, "
        "attended_minutes = v.minutes, updated_at = $4 "
        "FROM unnest($1::int[], $2::timestamptz[], $3::int[]) AS v(id, joined, minutes) "
        "WHERE r.id = v.id", ids, joined, minutes, now)


def describe(result: Imported) -> str:
    people = "person" if result.people == 1 else "people"
    return (f"Imported {result.rows} rows for {result.people} {people}: "
            f"{result.newly_attended} newly marked as attended, {result.updated} updated.")

