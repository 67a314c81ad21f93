"""The retention purge of application records, for everyone (not only erased people).

29 CFR 1602.14 keeps hiring records one year from the later of the record and the
personnel action (two years for federal contractors, 41 CFR 60-1.12); after that, data
minimisation (GDPR Art. 5(1)(e)) says they go. The date rule is the privacy context's
`retention_until`, so erasure and this purge can never disagree.

An application goes with its stage history, self-identification, interviews and
scorecards (ON DELETE CASCADE). Its CV file goes too unless something else still uses
it: another application, or the profile (the person's current CV). A legal hold on the
person keeps everything. Each batch commits on its own, files are removed only after
their rows are gone for good, and every run leaves one audit entry.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from domain.audit import service as audit
from domain.db import after_commit, fetch, transaction
from domain.ports import Clock
from domain.privacy.retention import may_purge, retention_until, retention_years
from domain.profiles import files

BATCH = 500
ACTOR = "system:retention"


@dataclass
class PurgeResult:
    applications: int = 0
    files: int = 0
    held: int = 0


def _day(value: datetime) -> date:
    return value.astimezone(UTC).date()


def expired(row: dict, *, today: date, federal_contractor: bool) -> bool:
    until = retention_until(_day(row["applied_at"]), _day(row["last_action_at"]),
                            federal_contractor=federal_contractor)
    return may_purge(today, until, on_hold=False)


def cutoff(today: date, *, federal_contractor: bool) -> datetime:
    """A time before which every purgeable record's last action lies (a superset: the
    exact rule, with leap days, runs on each row)."""
    days = 365 * retention_years(federal_contractor=federal_contractor) - 3
    return datetime.combine(today - timedelta(days=days), time.min, UTC)


async def _candidates(after: int, before: datetime, size: int) -> list[dict]:
    # Row locks: a step taken on one of these applications while we decide waits, and
    # SKIP LOCKED leaves an application being worked on for the next run.
    return await fetch(
        "SELECT a.id, a.applied_at, a.last_action_at FROM applications a "
        "WHERE a.id > $1 AND greatest(a.applied_at, a.last_action_at) < $2 "
        "AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.person = a.person "
        "AND h.released_at IS NULL) ORDER BY a.id LIMIT $3 FOR UPDATE OF a SKIP LOCKED",
        after, before, size)


async def _delete(ids: list[int]) -> list[str]:
    """Delete the applications; returns the storage keys of CVs nothing uses any more."""
    rows = await fetch("DELETE FROM applications WHERE id = ANY($1) RETURNING cv_file", ids)
    cvs = sorted({row["cv_file"] for row in rows if row["cv_file"] is not None})
    if not cvs:
        return []
    gone = await fetch(
        "DELETE FROM cv_files c WHERE c.id = ANY($1) AND NOT c.is_current AND NOT EXISTS "
        "(SELECT 1 FROM applications a WHERE a.cv_file = c.id) RETURNING storage_key", cvs)
    return [row["storage_key"] for row in gone]


def _remove_files_after_commit(keys: list[str]) -> None:
    async def remove() -> None:
        for key in keys:
            await asyncio.to_thread(files.remove, key)

    after_commit(remove)


async def _held() -> int:
    rows = await fetch(
        "SELECT count(*)::int AS n FROM applications a WHERE EXISTS (SELECT 1 FROM "
        "legal_holds h WHERE h.person = a.person AND h.released_at IS NULL)")
    return int(rows[0]["n"])


async def purge_expired_applications(*, clock: Clock, federal_contractor: bool,
                                     batch: int = BATCH) -> PurgeResult:
    """Delete every application past its retention period, batch by batch."""
    now = clock.now()
    today, result, after = _day(now), PurgeResult(), 0
    before = cutoff(today, federal_contractor=federal_contractor)
    while True:
        async with transaction():
            rows = await _candidates(after, before, batch)
            if not rows:
                break
            after = rows[-1]["id"]
            ids = [row["id"] for row in rows
                   if expired(row, today=today, federal_contractor=federal_contractor)]
            keys = await _delete(ids) if ids else []
            _remove_files_after_commit(keys)
        result.applications += len(ids)
        result.files += len(keys)
    result.held = await _held()
    async with transaction():
        await audit.record(action="compliance.applications_purged", at=now, actor=ACTOR,
                           subject="applications",
                           detail={"applications": result.applications, "files": result.files,
                                   "kept_under_hold": result.held,
                                   "years": retention_years(
                                       federal_contractor=federal_contractor)})
    return result
