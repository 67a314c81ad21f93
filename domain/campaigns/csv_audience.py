"""A campaign's CSV audience: a file with an `email` column (header matched without
regard to case) naming people who already exist. Addresses are normalised as the people
records are (domain.people.rules.normalise_email) and matched in one query.

The upload is all or nothing: a file with any invalid row stores nothing, and says which
rows and column; rows naming nobody we know are listed too (they are not stored, the
matched ones are — replacing the campaign's previous list in the same transaction that
returns the campaign to draft, like any edit).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from domain.accounts.service import Staff
from domain.audit import service as audit
from domain.campaigns.campaigns import bump_revision
from domain.db import fetch, transaction
from domain.errors import Invalid
from domain.imports.rules import FileRejected, decode, sniff_delimiter
from domain.people.rules import InvalidEmail, normalise_email
from domain.ports import Clock

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 50_000
MAX_LISTED = 50  # problems listed on the page; the count says how many in all


@dataclass
class CsvReport:
    matched: int = 0
    rows: int = 0
    invalid: list[tuple[int, str, str]] = field(default_factory=list)  # row, column, why
    unmatched: list[tuple[int, str]] = field(default_factory=list)  # row, address
    invalid_count: int = 0
    unmatched_count: int = 0


def read(data: bytes) -> tuple[list[tuple[int, str]], CsvReport]:
    """[(row number, normalised email)] and the report of invalid rows. Row numbers are
    the file's line numbers as a spreadsheet shows them (the header is row 1)."""
    if not data.strip():
        raise Invalid("That file is empty.", {"file": "Choose a CSV file with an email column."})
    if len(data) > MAX_BYTES:
        raise Invalid("That file is too large.",
                      {"file": f"The file must be {MAX_BYTES // 1024 // 1024} MB or smaller."})
    try:
        text = decode(data)
    except FileRejected as exc:
        raise Invalid(str(exc), {"file": str(exc)}) from exc
    reader = csv.reader(io.StringIO(text, newline=""),
                        delimiter=sniff_delimiter(text.split("\n", 1)[0]))
    try:
        header = [cell.strip().lower() for cell in next(reader, [])]
    except csv.Error as exc:
        raise Invalid("That is not a CSV file.", {"file": "Export the list as CSV."}) from exc
    if "email" not in header:
        raise Invalid("The file has no email column.",
                      {"file": "The first row must name the columns, one of them “email”."})
    column = header.index("email")
    report, found = CsvReport(), []
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            report.rows += 1
            if report.rows > MAX_ROWS:
                raise Invalid("Too many rows.",
                              {"file": f"At most {MAX_ROWS:,} people per campaign file."})
            raw = cells[column] if column < len(cells) else ""
            try:
                found.append((number, normalise_email(raw)))
            except InvalidEmail as exc:
                report.invalid_count += 1
                if len(report.invalid) < MAX_LISTED:
                    report.invalid.append((number, "email", str(exc)))
    except csv.Error as exc:
        raise Invalid("The file could not be read as CSV.",
                      {"file": f"Row {reader.line_num}: {exc}"}) from exc
    return found, report


async def upload(campaign_id: int, data: bytes, *, by: Staff, clock: Clock) -> CsvReport:
    """Replace the campaign's CSV audience; raises Invalid (nothing stored) when a row is
    invalid, returns the report (matched, unmatched) otherwise."""
    found, report = read(data)
    if report.invalid_count:
        raise Invalid(f"{report.invalid_count} row(s) have an invalid email address; "
                      "nothing was stored.", {"file": "Fix the rows listed and upload again."}
                      ) from _Report(report)
    emails = list(dict.fromkeys(email for _, email in found))
    ids = {row["email"]: row["id"] for row in await fetch(
        "SELECT id, email FROM people WHERE email = ANY($1::varchar[]) "
        "AND merged_into IS NULL AND email NOT LIKE 'erased-%@invalid'", emails)}
    for number, email in found:
        if email not in ids:
            report.unmatched_count += 1
            if len(report.unmatched) < MAX_LISTED:
                report.unmatched.append((number, email))
    report.matched = len(ids)
    now = clock.now()
    async with transaction():
        changed = await bump_revision(campaign_id, "audience_kind = $2, audience_ref = $3",
                              ("csv", ""), by=by, now=now)
        await fetch("DELETE FROM campaign_csv_people WHERE campaign = $1", campaign_id)
        await fetch("INSERT INTO campaign_csv_people (campaign, person) "
                    "SELECT $1, unnest($2::int[]) ON CONFLICT DO NOTHING",
                    campaign_id, list(ids.values()))
        await audit.record(action="campaign.audience_uploaded", at=now, actor=by.email,
                           subject=f"campaign:{campaign_id}",
                           detail={"rows": report.rows, "matched": report.matched,
                                   "unmatched": report.unmatched_count,
                                   "revision": changed["revision"]})
    return report


class _Report(Exception):
    """Carries the row-by-row report of a refused upload (Invalid.__cause__)."""

    def __init__(self, report: CsvReport) -> None:
        super().__init__("csv report")
        self.report = report


def refused_report(exc: Invalid) -> CsvReport | None:
    cause = exc.__cause__
    return cause.report if isinstance(cause, _Report) else None
