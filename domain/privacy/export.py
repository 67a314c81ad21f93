"""Build a person's data archive (GDPR Art. 15 and 20) from the personal-data registry.

The archive is a zip with `data.json` (every registered personal column of every row
that belongs to the person, plus the consent texts and communities those rows point at)
and the files the person gave us (CVs). Nothing outside the registry is read, so the
archive can never pick up another person's rows by accident.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from piccolo.columns import JSON, JSONB

from domain.db import fetch
from domain.errors import NotFound
from domain.ports import Clock
from domain.privacy.registry import REFERENCES, Rules, owner_condition, personal_tables
from settings import get_settings

FORMAT = "talentloop.data-export/1"
ORPHAN_AGE = timedelta(hours=1)
_SAFE_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,79}")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")

README = """This archive holds everything {company} keeps about you, as of {generated_at}.

data.json  one section per kind of record ("tables"), each a list of rows; "references"
           holds the consent texts you saw and the communities your rows mention.
files/     the files you gave us (for example your CV), named after the row that lists
           them (its "file" field in data.json).
"""


@dataclass
class Archive:
    document: dict[str, Any]
    files: list[tuple[str, Path]] = field(default_factory=list)


def stored_file(directory: str, key: str) -> Path:
    """The path of a stored file; keys are random names, never paths (no traversal)."""
    if not _SAFE_KEY.fullmatch(key or ""):
        raise ValueError(f"unsafe storage key {key!r}")
    return get_settings().var_dir / directory / key


def exports_dir() -> Path:
    path = get_settings().var_dir / "exports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)  # mkdir's mode is ignored for a directory that already existed
    return path


def new_storage_key() -> str:
    return f"{secrets.token_urlsafe(24)}.zip"


def _json_columns(rules: Rules) -> set[str]:
    return {name for name in rules.personal
            if isinstance(rules.table._meta.get_column_by_name(name), JSON | JSONB)}


def _decode(row: dict[str, Any], json_columns: set[str]) -> dict[str, Any]:
    for name in json_columns:
        if isinstance(row.get(name), str):
            row[name] = json.loads(row[name])
    return row


async def _rows(rules: Rules, person_id: int) -> list[dict[str, Any]]:
    assert rules.person_path is not None
    names = list(rules.personal)
    if rules.files and rules.files.exported:
        names.append(rules.files.column)
    columns = ", ".join(f'"{name}"' for name in names)
    condition = owner_condition(rules.table, rules.person_path)
    # Stable order by the table's primary key (a one-row-per-person table such as
    # engagement_scores is keyed by its person column, not "id").
    key = rules.table._meta.primary_key._meta.db_column_name
    rows = await fetch(
        f'SELECT {columns} FROM "{rules.name}" WHERE {condition} ORDER BY "{key}"',  # noqa: S608  # nosec B608 # registry names
        person_id,
    )
    json_columns = _json_columns(rules)
    return [_decode(row, json_columns) for row in rows]


def _archive_name(rules: Rules, row: dict[str, Any], number: int) -> str:
    label = _UNSAFE_NAME.sub("_", str(row.get("display_name") or "file")).strip(" .")[:80]
    return f"files/{rules.name}/{number}-{label or 'file'}"


def _attach_files(rules: Rules, rows: list[dict[str, Any]], archive: Archive) -> None:
    """Swap each row's storage key for the file's place in the archive (or None if lost)."""
    assert rules.files is not None
    for number, row in enumerate(rows, start=1):
        key = row.pop(rules.files.column)
        row["file"] = None
        try:
            source = stored_file(rules.files.directory, key)
        except ValueError:
            continue  # a key we did not write: never follow it
        if source.is_file():
            row["file"] = _archive_name(rules, row, number)
            archive.files.append((row["file"], source))


async def _references(tables: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for (table, column), (target, columns) in REFERENCES.items():
        ids = sorted({row[column] for row in tables.get(table, []) if row[column] is not None})
        selected = ", ".join(f'"{name}"' for name in columns)
        found[target] = await fetch(
            f'SELECT {selected} FROM "{target}" WHERE "id" = ANY($1::int[]) '  # noqa: S608  # nosec B608 # registry names
            'ORDER BY "id"',
            ids,
        ) if ids else []
    return found


async def collect(person_id: int, *, now: datetime) -> Archive:
    archive = Archive(document={})
    tables: dict[str, list[dict[str, Any]]] = {}
    for rules in personal_tables():
        if not rules.personal:
            continue  # nothing exportable (see the registry for why)
        rows = await _rows(rules, person_id)
        if rules.files and rules.files.exported:
            _attach_files(rules, rows, archive)
        tables[rules.name] = rows
    archive.document = {
        "format": FORMAT,
        "generated_at": now,
        "person_id": person_id,
        "tables": tables,
        "references": await _references(tables),
    }
    return archive


def _json_default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot export {type(value).__name__}")


def write_archive(path: Path, archive: Archive, *, company: str) -> int:
    """Write the zip (owner-only permissions) and return its size. Blocking: run in a
    thread. Fails if `path` exists, so two runs never write the same file."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as raw, \
            zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        generated = _json_default(archive.document["generated_at"])
        bundle.writestr("README.txt", README.format(company=company, generated_at=generated))
        bundle.writestr("data.json", json.dumps(archive.document, default=_json_default,
                                                indent=2, ensure_ascii=False))
        for name, source in archive.files:
            bundle.write(source, name)
    return path.stat().st_size


def remove_file(path: Path) -> None:
    path.unlink(missing_ok=True)


async def download(*, person_id: int, export_id: int, clock: Clock) -> tuple[Path, str]:
    """The owner's unexpired archive; anyone else's id is indistinguishable from none."""
    now = clock.now()
    rows = await fetch(
        "UPDATE data_exports SET downloaded_at = $3 WHERE id = $1 AND person = $2 "
        "AND expires_at > $3 RETURNING storage_key, created_at",
        export_id, person_id, now,
    )
    path = stored_file("exports", rows[0]["storage_key"]) if rows else None
    if path is None or not path.is_file():
        raise NotFound("This download does not exist or has expired.")
    return path, f"your-data-{rows[0]['created_at']:%Y-%m-%d}.zip"


async def expire_archives(*, clock: Clock) -> int:
    """Delete archives past their expiry and mark their requests; safe to run twice."""
    now = clock.now()
    rows = await fetch(
        "SELECT e.storage_key, e.request FROM data_exports e JOIN data_requests r "
        "ON r.id = e.request WHERE e.expires_at <= $1 AND NOT r.detail ? 'archive_deleted_at'",
        now,
    )
    for row in rows:
        await asyncio.to_thread(remove_file, stored_file("exports", row["storage_key"]))
        await fetch(
            "UPDATE data_requests SET detail = detail || jsonb_build_object("
            "'archive_deleted_at', $2::text) WHERE id = $1",
            row["request"], now.isoformat(),
        )
    return len(rows)


def _files_in(directory: Path) -> list[Path]:
    return [path for path in directory.iterdir() if path.is_file()]


async def sweep_orphans(*, clock: Clock) -> int:
    """Remove archives that a worker wrote but never recorded (it died in between).
    Only old ones: a fresh file may belong to a run that is about to commit."""
    files = await asyncio.to_thread(_files_in, exports_dir())
    known = {row["storage_key"] for row in await fetch(
        "SELECT storage_key FROM data_exports WHERE storage_key = ANY($1::varchar[])",
        [path.name for path in files],
    )}
    cutoff = (clock.now() - ORPHAN_AGE).timestamp()
    orphans = [path for path in files if path.name not in known and path.stat().st_mtime < cutoff]
    for path in orphans:
        await asyncio.to_thread(remove_file, path)
    return len(orphans)
