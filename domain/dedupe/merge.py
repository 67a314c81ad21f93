"""Merging two records of one human, previewing it, and undoing it within 30 days.

Which rows move: every table the privacy registry says a person owns directly
(`person_path == "person"`), so a table added there later is merged too; the pair's own
duplicate hints are decided, not moved. A row that would break a unique key of its table
(both in the same community, both applied to the same requisition, both have a profile,
…) is not moved: the kept person's row wins and the other stays with the merged record,
where the preview shows it and the undo finds it. Two applications to one requisition are
therefore both kept — the pipeline shows both, and a recruiter rejects or withdraws one;
refusing the merge would leave the duplicate people in place for the commonest case.

Applications carry their interviews, scorecards, offers and stage history with them.
`kept.source` is never changed: the first attribution survives, and the merged record's
source is written to the audit entry. The merged record stays (merged_into = kept) so an
undo can move back exactly the ids recorded in PersonMerge.moved; keys starting with "_"
there are not tables: "_filled" (person fields copied onto kept), "_hints" (hints marked
merged) and "_cv_uncurrent" (the merged record's current CV, made an older CV of the kept
person, who has one current CV at most).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from domain.audit import service as audit
from domain.db import connection, fetch, transaction
from domain.dedupe import rules
from domain.engagement import scoring
from domain.errors import Conflict, Invalid, NotFound
from domain.privacy.registry import REGISTRY

FILLED_FIELDS = ("full_name", "phone", "linkedin")
_NOT_MOVED = {"duplicate_hints"}


def person_owned_tables() -> list[str]:
    return [r.name for r in REGISTRY if r.person_path == "person" and r.name not in _NOT_MOVED]


def row_key(table: str) -> str:
    """The primary-key column identifying a row of a person-owned table ("id", or "person"
    for one-row-per-person tables such as engagement_scores)."""
    rules_ = next(r for r in REGISTRY if r.name == table)
    return str(rules_.table._meta.primary_key._meta.db_column_name)


@dataclass(frozen=True)
class Preview:
    kept: dict
    merged: dict
    moves: dict[str, int]  # table → rows that will change owner
    stays: dict[str, int]  # table → rows that stay with the merged record (unique keys)
    staying_applications: list[str]  # requisition titles applied to by both
    filled: dict[str, str]  # empty fields of kept that will take the merged record's value


class _DryRun(Exception):
    """Raised to roll the preview's trial merge back."""


async def _unique_tables(tables: list[str]) -> set[str]:
    """Tables with a unique index that includes their `person` column."""
    rows = await fetch(
        "SELECT DISTINCT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'person' "
        "WHERE i.indisunique AND a.attnum = ANY(i.indkey::int2[]) "
        "AND c.relname = ANY($1::text[])", tables)
    return {row["relname"] for row in rows}


async def _repoint(table: str, ids: list[int] | None, source: int, target: int,
                   unique: bool) -> list[int]:
    """Give `source`'s rows (all, or those with these keys) to `target`; returns the keys
    of the rows that moved. With a unique key on the person, one row at a time in a
    savepoint, so a row that would collide stays where it is. A table keyed by the person
    itself has one row per person: its key is recorded as the source id."""
    key = row_key(table)
    if key == "person":
        ids = None  # the row's key changes with its owner; undo finds it by owner
    only = "" if ids is None else f" AND {key} = ANY($3::int[])"
    args: list[Any] = [target, source] + ([] if ids is None else [ids])
    if not unique and key != "person":
        rows = await fetch(f"UPDATE {table} SET person = $1 WHERE person = $2{only} "  # noqa: S608  # nosec B608 # registry table/key names
                           f"RETURNING {key} AS key", *args)
        return sorted(row["key"] for row in rows)
    candidates = await fetch(f"SELECT {key} AS key FROM {table} "  # noqa: S608  # nosec B608 # registry table/key names
                             f"WHERE person = $2{only} AND $1::int IS NOT NULL ORDER BY 1",
                             *args)
    moved: list[int] = []
    async with connection() as conn:
        for row in candidates:
            try:
                async with conn.transaction():  # a savepoint inside the merge
                    await conn.execute(f"UPDATE {table} SET person = $1 "  # noqa: S608  # nosec B608 # registry table/key names
                                       f"WHERE {key} = $2", target, row["key"])
                moved.append(row["key"])
            except asyncpg.UniqueViolationError:
                continue
    return moved


async def _move_all(kept: int, merged: int) -> tuple[dict[str, list[int]], dict[str, int]]:
    tables = person_owned_tables()
    unique = await _unique_tables(tables)
    moved: dict[str, list[int]] = {}
    stays: dict[str, int] = {}
    # One current CV per person: the merged record's becomes an older CV of the kept one.
    uncurrent = await fetch(
        "UPDATE cv_files SET is_current = false WHERE person = $1 AND is_current AND EXISTS "
        "(SELECT 1 FROM cv_files k WHERE k.person = $2 AND k.is_current) RETURNING id",
        merged, kept)
    if uncurrent:
        moved["_cv_uncurrent"] = [row["id"] for row in uncurrent]
    for table in tables:
        ids = await _repoint(table, None, merged, kept, table in unique)
        if ids:
            moved[table] = ids
        left = await fetch(f"SELECT count(*) AS n FROM {table} WHERE person = $1",  # noqa: S608  # nosec B608 # registry table names
                           merged)
        if left[0]["n"]:
            stays[table] = int(left[0]["n"])
    return moved, stays


async def _lock_pair(kept_id: int, merged_id: int) -> tuple[dict, dict]:
    """Both people rows, locked in id order (no deadlock between two merges of a pair)."""
    rows = await fetch(
        "SELECT id, email, full_name, phone, linkedin, source, merged_into, created_at "
        "FROM people WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE", [kept_id, merged_id])
    by_id = {row["id"]: row for row in rows}
    if set(by_id) != {kept_id, merged_id}:
        raise NotFound("There is no such person.")
    if kept_id == merged_id:
        raise Invalid("Choose two different people to merge.")
    return by_id[kept_id], by_id[merged_id]


def _check_live(kept: dict, merged: dict) -> None:
    for person in (kept, merged):
        if person["merged_into"] is not None:
            raise Conflict(f"{person['full_name'] or person['email']} has already been "
                           "merged into another record.")


def _fill(kept: dict, merged: dict) -> dict[str, str]:
    return {name: merged[name] for name in FILLED_FIELDS if not kept[name] and merged[name]}


async def preview(kept_id: int, merged_id: int) -> Preview:
    """What a merge would do, found by doing it and rolling it back (so the preview can
    never disagree with the merge about unique keys)."""
    result: Preview | None = None
    try:
        async with transaction():
            kept, merged = await _lock_pair(kept_id, merged_id)
            _check_live(kept, merged)
            moved, stays = await _move_all(kept_id, merged_id)
            titles = await fetch(
                "SELECT r.title FROM applications a JOIN requisitions r ON r.id = a.requisition "
                "WHERE a.person = $1 ORDER BY r.title", merged_id)
            counts = {t: len(ids) for t, ids in moved.items() if not t.startswith("_")}
            result = Preview(kept, merged, counts, stays,
                             [row["title"] for row in titles], _fill(kept, merged))
            raise _DryRun
    except _DryRun:
        pass
    assert result is not None
    return result


async def merge(kept_id: int, merged_id: int, *, by: str, now: datetime) -> int:
    """Fold `merged_id` into `kept_id` in one transaction; returns the PersonMerge id.
    Conflict when either record was merged already (a concurrent merge of the pair
    waits on the row locks and then gets this)."""
    async with transaction():
        kept, merged = await _lock_pair(kept_id, merged_id)
        _check_live(kept, merged)
        moved, stays = await _move_all(kept_id, merged_id)
        filled = _fill(kept, merged)
        for name, value in filled.items():
            await fetch(f"UPDATE people SET {name} = $2 WHERE id = $1", kept_id,  # noqa: S608  # nosec B608 # a FILLED_FIELDS name
                        value)
        await fetch("UPDATE people SET merged_into = $1, updated_at = $3 WHERE id = $2",
                    kept_id, merged_id, now)
        # The events moved: rescore now rather than show the old score until the cron.
        await scoring.refresh([kept_id, merged_id], now=now)
        low, high = rules.pair(kept_id, merged_id)
        hints = await fetch(
            "UPDATE duplicate_hints SET status = 'merged', decided_by = $3, decided_at = $4 "
            "WHERE person = $1 AND other = $2 AND status = 'open' RETURNING id",
            low, high, by, now)
        record: dict[str, Any] = {**moved, "_filled": sorted(filled),
                                  "_hints": sorted(row["id"] for row in hints)}
        rows = await fetch(
            "INSERT INTO person_merges (kept, merged, moved, status, merged_by, merged_at, "
            "undone_by) VALUES ($1, $2, $3::jsonb, 'done', $4, $5, '') RETURNING id",
            kept_id, merged_id, _dumps(record), by, now)
        await audit.record(
            action="person.merged", at=now, actor=by, subject=f"person:{kept_id}",
            detail={"merge": rows[0]["id"], "merged": merged_id,
                    "kept_source": kept["source"], "merged_source": merged["source"],
                    "moved": {t: len(ids) for t, ids in moved.items()
                              if not t.startswith("_")}, "stayed": stays,
                    "filled": sorted(filled)})
    return int(rows[0]["id"])


def _dumps(value: Any) -> str:
    return json.dumps(value)


def _loads(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value or {})


async def undo(merge_id: int, *, by: str, now: datetime) -> int:
    """Move exactly the recorded rows back and revive the merged record; returns the kept
    person's id. Invalid after UNDO_DAYS; Conflict when already undone or when the kept
    record was merged since."""
    async with transaction():
        found = await fetch("SELECT * FROM person_merges WHERE id = $1 FOR UPDATE", merge_id)
        if not found:
            raise NotFound("There is no such merge.")
        row = found[0]
        if row["status"] != "done":
            raise Conflict("This merge has already been undone.")
        if not rules.can_undo(row["merged_at"], now):
            raise Invalid(f"This merge was made on {row['merged_at']:%d %B %Y}; a merge can "
                          f"be undone for {rules.UNDO_DAYS} days only.")
        kept, merged = await _lock_pair(row["kept"], row["merged"])
        if kept["merged_into"] is not None:
            raise Conflict("The kept record has since been merged into another one; undo "
                           "that merge first.")
        moved = _loads(row["moved"])
        await _move_back(moved, kept["id"], merged["id"])
        await fetch("UPDATE cv_files SET is_current = true WHERE id = ANY($1::int[]) "
                    "AND person = $2", moved.get("_cv_uncurrent", []), merged["id"])
        for name in moved.get("_filled", []):
            if name in FILLED_FIELDS:
                await fetch(f"UPDATE people SET {name} = '' WHERE id = $1 "  # noqa: S608  # nosec B608 # a FILLED_FIELDS name
                            f"AND {name} = $2", kept["id"], merged[name])
        await fetch("UPDATE people SET merged_into = NULL, updated_at = $2 WHERE id = $1",
                    merged["id"], now)
        await scoring.refresh([kept["id"], merged["id"]], now=now)
        await fetch("UPDATE duplicate_hints SET status = 'open', decided_by = '', "
                    "decided_at = NULL WHERE id = ANY($1::int[]) AND status = 'merged'",
                    moved.get("_hints", []))
        await fetch("UPDATE person_merges SET status = 'undone', undone_by = $2, "
                    "undone_at = $3 WHERE id = $1", merge_id, by, now)
        await audit.record(action="person.merge_undone", at=now, actor=by,
                           subject=f"person:{kept['id']}",
                           detail={"merge": merge_id, "merged": merged["id"]})
    return int(kept["id"])


async def _move_back(moved: dict[str, Any], kept_id: int, merged_id: int) -> None:
    tables = [t for t in person_owned_tables() if t in moved]
    unique = await _unique_tables(tables)
    for table in tables:
        await _repoint(table, [int(i) for i in moved[table]], kept_id, merged_id,
                       table in unique)
