"""The host's view of an event's registrants: search, filters, keyset pages, CSV export."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

from domain.csv_safety import csv_line
from domain.db import fetch
from domain.events import history, queries

STATUSES = ("registered", "offered", "waitlisted", "attended", "no_show", "cancelled")
PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    rows: list[dict]
    next_after: int | None


def _filters(event_id: int, q: str, status: str) -> tuple[str, list]:
    where: list[str] = ["r.event = $1"]
    args: list[object] = [event_id]
    if status in STATUSES:
        args.append(status)
        where.append(f"r.status = ${len(args)}")
    if q.strip():
        # Name or email, case-insensitive; LIKE wildcards in the input are literal.
        pattern = "%" + q.strip().lower().replace("\\", "\\\\").replace("%", "\\%") \
            .replace("_", "\\_") + "%"
        args.append(pattern)
        where.append(f"(lower(p.full_name) LIKE ${len(args)} OR p.email LIKE ${len(args)})")
    return " AND ".join(where), args


async def page(event_id: int, *, q: str = "", status: str = "", after: int = 0,
               size: int = PAGE_SIZE) -> Page:
    where, args = _filters(event_id, q, status)
    args += [after, size + 1]
    # `where` holds only constant SQL and $n placeholders; every value is a parameter.
    sql = ("SELECT r.id, r.person, r.status, r.position, r.source, r.answers, r.created_at, "  # nosec B608
           "r.checked_in_at, r.checked_in_by, r.attended_minutes, p.full_name, p.email "
           "FROM event_registrations r JOIN people p ON p.id = r.person WHERE " + where
           + f" AND r.id > ${len(args) - 1} ORDER BY r.id LIMIT ${len(args)}")
    rows = await fetch(sql, *args)
    more = len(rows) > size
    rows = rows[:size]
    no_shows = await history.no_show_counts([row["person"] for row in rows])
    for row in rows:
        row["answers"] = _answers(row["answers"])
        row["no_shows"] = no_shows.get(row["person"], 0)
    return Page(rows, rows[-1]["id"] if more else None)


def _answers(raw: object) -> dict:
    if isinstance(raw, str):
        return json.loads(raw) if raw else {}
    return dict(raw) if isinstance(raw, dict) else {}


async def status_counts(event_id: int) -> dict[str, int]:
    rows = await fetch("SELECT status, count(*) AS n FROM event_registrations "
                       "WHERE event = $1 GROUP BY status", event_id)
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({row["status"]: int(row["n"]) for row in rows})
    return counts


async def export_csv(event_id: int, *, q: str = "", status: str = "") -> AsyncIterator[str]:
    """The filtered list as CSV, streamed in keyset batches so a 10,000-person event never
    sits in memory at once. One column per registration question."""
    event = await queries.event_by_id(event_id)
    questions = event["questions"] or []
    header = ["Name", "Email", "Status", "Registered at", "Source", "Checked in at",
              "Minutes attended", "No-shows (all events)"] + [q_["label"] for q_ in questions]
    yield csv_line(header)
    after = 0
    while True:
        batch = await page(event_id, q=q, status=status, after=after, size=1000)
        for row in batch.rows:
            yield csv_line([row["full_name"], row["email"], row["status"],
                         row["created_at"].isoformat(timespec="seconds"), row["source"],
                         row["checked_in_at"].isoformat(timespec="seconds")
                         if row["checked_in_at"] else "",
                         row["attended_minutes"] if row["attended_minutes"] is not None
                         else "", row["no_shows"]]
                        + [row["answers"].get(q_["key"], "") for q_ in questions])
        if batch.next_after is None:
            return
        after = batch.next_after


async def belongs_to(registration_id: int, event_id: int) -> bool:
    rows = await fetch("SELECT 1 FROM event_registrations WHERE id = $1 AND event = $2",
                       registration_id, event_id)
    return bool(rows)
