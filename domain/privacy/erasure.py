"""Erasure (GDPR Art. 17) and the retention purge, driven by the registry.

Erasure deletes marketing and community data at once. Records under a legal retention
duty (Art. 17(3)(b): EEOC/OFCCP hiring records, RETAINED_TABLES) and people under an
active legal hold stay, with the person anonymised, until `purge_person` finds the
retention period over and no hold in place. Every function here runs inside the
caller's transaction and returns the files to delete once it commits: a rolled-back
erasure must not have removed files already.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from domain.db import fetch, fetchval
from domain.privacy import retention
from domain.privacy.export import stored_file
from domain.privacy.registry import (
    RETAINED_TABLES,
    TOKEN_SUBJECTS,
    Files,
    Retained,
    Rules,
    owner_condition,
    personal_tables,
)


def _paths(files: Files, keys: list[str]) -> list[Path]:
    paths = []
    for key in keys:
        try:
            paths.append(stored_file(files.directory, key))
        except ValueError:
            continue  # never delete outside the storage directory
    return paths


async def _delete_rows(rules: Rules, person_id: int) -> list[Path]:
    assert rules.person_path is not None
    condition = owner_condition(rules.table, rules.person_path)
    if rules.kept_while:
        condition = f"({condition}) AND NOT ({rules.kept_while})"
    returning = f' RETURNING "{rules.files.column}" AS key' if rules.files else ""
    rows = await fetch(
        f'DELETE FROM "{rules.name}" WHERE {condition}{returning}',  # noqa: S608  # nosec B608 # registry names
        person_id,
    )
    return _paths(rules.files, [row["key"] for row in rows]) if rules.files else []


async def has_active_hold(person_id: int) -> bool:
    return await fetchval(
        "SELECT 1 FROM legal_holds WHERE person = $1 AND released_at IS NULL", person_id
    ) is not None


async def has_retained_rows(person_id: int) -> bool:
    for table in RETAINED_TABLES:
        found = await fetchval(
            f'SELECT 1 FROM "{table.table}" WHERE "{table.person_column}" = $1 '  # noqa: S608  # nosec B608 # registry names
            "LIMIT 1",
            person_id,
        )
        if found is not None:
            return True
    return False


async def erase_marketing_data(person_id: int, *, email: str) -> list[Path]:
    """Delete every registered row of the person except compliance records."""
    union = " UNION ".join(TOKEN_SUBJECTS)
    await fetch(f"DELETE FROM issued_tokens WHERE subject IN ({union})", person_id)  # noqa: S608  # nosec B608 # constant subjects
    files: list[Path] = []
    for rules in personal_tables():
        if rules.erase == "delete":
            files += await _delete_rows(rules, person_id)
    # Mail queued to the address before the person row existed (or without it).
    await fetch("DELETE FROM outbound_emails WHERE to_address = $1", email)
    return files


async def anonymise(person_id: int, *, now: datetime) -> None:
    await fetch(
        "UPDATE people SET email = 'erased-' || id || '@invalid', full_name = '', "
        "updated_at = $2 WHERE id = $1",
        person_id, now,
    )


async def delete_person(person_id: int) -> None:
    # Released holds would block the delete (ON DELETE RESTRICT); the audit log keeps
    # who placed and released them.
    await fetch(
        "DELETE FROM legal_holds WHERE person = $1 AND released_at IS NOT NULL", person_id
    )
    await fetch("DELETE FROM people WHERE id = $1", person_id)


def _as_date(value: date | datetime | None) -> date | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).date()
    return value


async def _purge_table(table: Retained, person_id: int, *, today: date,
                       federal_contractor: bool) -> tuple[int, list[Path]]:
    """Delete the person's rows whose retention ended; returns (rows left, files)."""
    action = f'"{table.action_date}"' if table.action_date else "NULL"
    key = f'"{table.files.column}"' if table.files else "NULL"
    columns = f'"id", "{table.record_date}" AS recorded, {action} AS acted, {key} AS key'
    rows = await fetch(
        f'SELECT {columns} FROM "{table.table}" WHERE "{table.person_column}" = $1',  # noqa: S608  # nosec B608 # registry names
        person_id,
    )
    expired = [
        row for row in rows
        if retention.may_purge(today, retention.retention_until(
            _as_date(row["recorded"]) or today, _as_date(row["acted"]),
            federal_contractor=federal_contractor), on_hold=False)
    ]
    if expired:
        await fetch(f'DELETE FROM "{table.table}" WHERE "id" = ANY($1)',  # noqa: S608  # nosec B608 # registry names
                    [row["id"] for row in expired])
    keys = [row["key"] for row in expired if row["key"]]
    return len(rows) - len(expired), _paths(table.files, keys) if table.files else []


async def purge_person(person_id: int, *, now: datetime,
                       federal_contractor: bool) -> tuple[bool, list[Path]]:
    """Delete retained rows past their period; once none are left (and no hold is
    active) delete the person. Returns (person deleted, files to remove)."""
    if await has_active_hold(person_id):
        return False, []
    today, remaining, files = now.astimezone(UTC).date(), 0, []
    for table in RETAINED_TABLES:
        left, removed = await _purge_table(table, person_id, today=today,
                                           federal_contractor=federal_contractor)
        remaining += left
        files += removed
    if remaining:
        return False, files
    files += await _files_left(person_id)
    await delete_person(person_id)
    return True, files


async def _files_left(person_id: int) -> list[Path]:
    """Files of rows erasure kept for a retained record (`kept_while`): they go with the
    person, whose delete cascades to the rows."""
    paths: list[Path] = []
    for rules in personal_tables():
        if rules.files is None or not rules.kept_while:
            continue
        assert rules.person_path is not None
        rows = await fetch(
            f'SELECT "{rules.files.column}" AS key FROM "{rules.name}" '  # noqa: S608 registry constants  # nosec B608
            f"WHERE {owner_condition(rules.table, rules.person_path)}", person_id)
        paths += _paths(rules.files, [row["key"] for row in rows])
    return paths


async def find_person(reference: str) -> dict | None:
    """A person by id ("42") or by email address."""
    value = reference.strip()
    if value.isdigit():
        rows = await fetch("SELECT id, email FROM people WHERE id = $1", int(value))
    else:
        rows = await fetch("SELECT id, email FROM people WHERE email = lower($1)", value)
    return rows[0] if rows else None


async def place_hold(person_id: int, *, reason: str, placed_by: str, now: datetime) -> int:
    rows = await fetch(
        "INSERT INTO legal_holds (person, reason, placed_by, placed_at) "
        "VALUES ($1, $2, $3, $4) RETURNING id",
        person_id, reason, placed_by[:320], now,
    )
    return int(rows[0]["id"])


async def release_hold(hold_id: int, *, now: datetime) -> dict | None:
    """Release an active hold; None when it is unknown or already released."""
    rows = await fetch(
        "UPDATE legal_holds SET released_at = $2 WHERE id = $1 AND released_at IS NULL "
        "RETURNING id, person, reason",
        hold_id, now,
    )
    return rows[0] if rows else None
