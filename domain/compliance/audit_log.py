"""The audit log as admins read it: filters, keyset pages (newest first), CSV export.

Read-only on purpose: audit entries are append-only (29 CFR 1602.14 wants the hiring
record intact), so nothing here, nor any route, edits or deletes them.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from domain.compliance.audit_labels import action_label
from domain.csv_safety import csv_line
from domain.db import fetch

PAGE_SIZE = 50
EXPORT_BATCH = 1000
CSV_HEADER = ["Id", "When (UTC)", "Actor", "Action", "Subject", "IP", "Detail"]
# Entries never store tokens; this is a second line of defence should a future caller
# pass a URL with one (a signed link in a page would let its reader act as its owner).
_SECRET = re.compile(r"((?:token|password|secret)=)[^&\s\"']+", re.IGNORECASE)


@dataclass(frozen=True)
class Filters:
    actor: str = ""
    action: str = ""  # a prefix: "pipeline." matches every pipeline action
    subject: str = ""
    since: date | None = None
    until: date | None = None  # inclusive: the whole day

    def query(self) -> dict[str, str]:
        """The filters as query parameters, for links to the next page and the export."""
        values = {"actor": self.actor, "action": self.action, "subject": self.subject,
                  "since": self.since.isoformat() if self.since else "",
                  "until": self.until.isoformat() if self.until else ""}
        return {key: value for key, value in values.items() if value}


@dataclass(frozen=True)
class Page:
    rows: list[dict]
    next_before: int | None


def _day(raw: str, field: str, errors: dict[str, str]) -> date | None:
    if not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        errors[field] = "Enter a date as YYYY-MM-DD."
        return None


def parse_filters(raw: Mapping[str, str]) -> tuple[Filters, dict[str, str]]:
    """Filters from the query string, with a message per field that cannot be used."""
    errors: dict[str, str] = {}
    since = _day(raw.get("since", ""), "since", errors)
    until = _day(raw.get("until", ""), "until", errors)
    if since and until and until < since:
        errors["until"] = "The end date must be on or after the start date."
    filters = Filters(actor=raw.get("actor", "").strip()[:320],
                      action=raw.get("action", "").strip()[:60],
                      subject=raw.get("subject", "").strip()[:200],
                      since=since, until=until if "until" not in errors else None)
    return filters, errors


def _like_prefix(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _where(filters: Filters) -> tuple[list[str], list[object]]:
    where: list[str] = []
    args: list[object] = []
    if filters.actor:
        args.append(filters.actor.lower())
        where.append(f"lower(actor) = ${len(args)}")
    if filters.action:
        args.append(_like_prefix(filters.action))
        where.append(f"action LIKE ${len(args)}")
    if filters.subject:
        args.append(filters.subject)
        where.append(f"subject = ${len(args)}")
    if filters.since:
        args.append(datetime.combine(filters.since, time.min, UTC))
        where.append(f"occurred_at >= ${len(args)}")
    if filters.until:
        args.append(datetime.combine(filters.until + timedelta(days=1), time.min, UTC))
        where.append(f"occurred_at < ${len(args)}")
    return where, args


def redact(text: str) -> str:
    return _SECRET.sub(r"\1[redacted]", text)


def _shown(row: dict) -> dict:
    detail = row["detail"]
    if not isinstance(detail, str):
        detail = json.dumps(detail, sort_keys=True)
    detail = "" if detail in ("{}", "null") else detail
    return {**row, "subject": redact(row["subject"]), "detail": redact(detail),
            "label": action_label(row["action"])}


async def page(filters: Filters, *, before: int = 0, size: int = PAGE_SIZE) -> Page:
    """Entries matching `filters`, newest first, older than entry id `before` (0: newest)."""
    where, args = _where(filters)
    if before > 0:
        args.append(before)
        where.append(f"id < ${len(args)}")
    args.append(size + 1)
    # `where` holds only constant SQL and $n placeholders; every value is a parameter.
    sql = ("SELECT id, occurred_at, actor, action, subject, ip, detail::text AS detail "  # nosec B608
           "FROM audit_entries" + (" WHERE " + " AND ".join(where) if where else "")
           + f" ORDER BY id DESC LIMIT ${len(args)}")
    rows = await fetch(sql, *args)
    more = len(rows) > size
    rows = [_shown(row) for row in rows[:size]]
    return Page(rows, rows[-1]["id"] if more and rows else None)


async def export_csv(filters: Filters) -> AsyncIterator[str]:
    """The filtered log as CSV, streamed in keyset batches: a year of entries never sits
    in memory at once."""
    yield csv_line(CSV_HEADER)
    before = 0
    while True:
        batch = await page(filters, before=before, size=EXPORT_BATCH)
        for row in batch.rows:
            yield csv_line([row["id"], row["occurred_at"].astimezone(UTC).isoformat(
                timespec="seconds"), row["actor"], row["action"], row["subject"], row["ip"],
                row["detail"]])
        if batch.next_before is None:
            return
        before = batch.next_before
