"""Data-subject requests: export (Art. 15/20), erasure (Art. 17), legal holds.

Every request is a `data_requests` row due one calendar month after receipt
(Art. 12(3)). Exports are built by a worker (`build_data_export`) and expire after
EXPORT_LIFETIME (downloads and expiry: export.py); erasure runs at once when the person
confirms it.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from domain.audit import service as audit
from domain.db import after_commit, fetch, transaction
from domain.errors import Invalid, NotFound
from domain.events import service as events
from domain.mail import service as mail
from domain.outbox import service as outbox
from domain.ports import Clock, TaskQueue
from domain.privacy import erasure, export, suppression
from domain.privacy.retention import due_date
from settings import get_settings

EXPORT_LIFETIME = timedelta(days=7)
OPEN = ("received", "in_progress")
MAX_HOLD_REASON = 1000


async def _new_request(person_id: int, kind: str, now: datetime,
                       detail: dict[str, Any] | None = None) -> int:
    rows = await fetch(
        "INSERT INTO data_requests (person, kind, status, received_at, due_at, detail) "
        "VALUES ($1, $2, 'received', $3, $4, $5::jsonb) RETURNING id",
        person_id, kind, now, due_date(now), json.dumps(detail or {}),
    )
    return int(rows[0]["id"])


async def _lock_person(person_id: int) -> dict:
    """Serialises a person's requests (a double click makes one request)."""
    rows = await fetch("SELECT id, email FROM people WHERE id = $1 FOR UPDATE", person_id)
    if not rows:
        raise NotFound("There is no such account.")
    return rows[0]


async def request_export(*, person_id: int, clock: Clock, queue: TaskQueue | None) -> int:
    """Record an export request and its task; an open request is returned, not doubled."""
    now = clock.now()
    async with transaction():
        await _lock_person(person_id)
        rows = await fetch(
            "SELECT id FROM data_requests WHERE person = $1 AND kind = 'export' "
            "AND status = ANY($2::varchar[]) ORDER BY id LIMIT 1",
            person_id, list(OPEN),
        )
        if rows:
            return int(rows[0]["id"])
        request_id = await _new_request(person_id, "export", now)
        await outbox.add("build_data_export", request_id, now=now, queue=queue)
    return request_id


async def _claim_export(request_id: int) -> dict | None:
    # In progress too: a worker that died half-way left it so, and the unique
    # data_exports.request makes a second finished archive impossible.
    rows = await fetch(
        "UPDATE data_requests r SET status = 'in_progress' FROM people p "
        "WHERE r.id = $1 AND r.kind = 'export' AND r.status = ANY($2::varchar[]) "
        "AND p.id = r.person RETURNING r.person, p.email",
        request_id, list(OPEN),
    )
    return rows[0] if rows else None


async def build_export(request_id: int, *, clock: Clock, queue: TaskQueue | None) -> str:
    """Write the archive, record it, complete the request and announce it by email."""
    claimed = await _claim_export(request_id)
    if claimed is None:
        return "nothing to do (done, cancelled or unknown)"
    now = clock.now()
    archive = await export.collect(claimed["person"], now=now)
    path = export.exports_dir() / export.new_storage_key()
    size = await asyncio.to_thread(export.write_archive, path, archive,
                                   company=get_settings().company_name)
    try:
        async with transaction():
            done = await _record_export(request_id, claimed, path.name, size, now, queue)
    except BaseException:
        await asyncio.to_thread(export.remove_file, path)
        raise
    if not done:
        await asyncio.to_thread(export.remove_file, path)
        return "already built by another run"
    return "built"


async def _record_export(request_id: int, claimed: dict, storage_key: str, size: int,
                         now: datetime, queue: TaskQueue | None) -> bool:
    # The row lock taken here orders this against a concurrent run or erasure: whoever
    # comes second sees the request completed (or cancelled) and backs off.
    completed = await fetch(
        "UPDATE data_requests SET status = 'completed', completed_at = $2 "
        "WHERE id = $1 AND status = 'in_progress' RETURNING id",
        request_id, now,
    )
    rows = await fetch(
        "INSERT INTO data_exports (request, person, storage_key, size_bytes, created_at, "
        "expires_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (request) DO NOTHING "
        "RETURNING id",
        request_id, claimed["person"], storage_key, size, now, now + EXPORT_LIFETIME,
    ) if completed else []
    if not rows:
        return False
    await mail.queue_email(
        person_id=claimed["person"], to=claimed["email"], template="data_export_ready",
        context={"export_id": rows[0]["id"]}, dedupe_key=f"data_export_ready:{request_id}",
        now=now, queue=queue,
    )
    return True


def _remove_later(paths: list[Path]) -> None:
    async def remove() -> None:
        for path in paths:
            await asyncio.to_thread(export.remove_file, path)

    after_commit(remove)


async def erase_account(*, person_id: int, clock: Clock, queue: TaskQueue | None) -> int:
    """Erase a person now (or anonymise them while records must be kept). Returns the
    request id. The confirmation goes to the address before it is erased; the address
    itself is then kept only as a suppression hash."""
    now = clock.now()
    async with transaction():
        person = await _lock_person(person_id)
        request_id = await _new_request(person_id, "erasure", now)
        await fetch(
            "UPDATE data_requests SET status = 'cancelled', completed_at = $2 "
            "WHERE person = $1 AND kind = 'export' AND status = ANY($3::varchar[])",
            person_id, now, list(OPEN),
        )
        retained = await erasure.has_retained_rows(person_id) \
            or await erasure.has_active_hold(person_id)
        # Seats first: deleting registrations outright would leak them (taken never drops).
        await events.release_all_for(person_id, clock=clock, queue=queue)
        files = await erasure.erase_marketing_data(person_id, email=person["email"])
        if retained:
            await erasure.anonymise(person_id, now=now)
        else:
            await erasure.delete_person(person_id)
        await _erase_merged_records(person_id, clock=clock, queue=queue)
        await _complete_erasure(request_id, retained=retained, now=now)
        # Queued before the address is suppressed: this one email must still go out.
        await mail.queue_email(
            person_id=None, to=person["email"], template="account_erased",
            context={"request_id": request_id}, dedupe_key=f"account_erased:{request_id}",
            now=now, queue=queue,
        )
        await suppression.suppress(person["email"], reason=suppression.ERASED, now=now)
        _remove_later(files)
    return request_id


async def _erase_merged_records(person_id: int, *, clock: Clock,
                                queue: TaskQueue | None) -> None:
    """Records merged into this person (kept only so a merge can be undone) are the same
    human: they go too, each erased like the person, their addresses suppressed."""
    now = clock.now()
    merged = await fetch("SELECT id, email FROM people WHERE merged_into = $1 ORDER BY id "
                         "FOR UPDATE", person_id)
    for record in merged:
        retained = await erasure.has_retained_rows(record["id"]) \
            or await erasure.has_active_hold(record["id"])
        await events.release_all_for(record["id"], clock=clock, queue=queue)
        _remove_later(await erasure.erase_marketing_data(record["id"], email=record["email"]))
        if retained:
            await erasure.anonymise(record["id"], now=now)
        else:
            await erasure.delete_person(record["id"])
        await suppression.suppress(record["email"], reason=suppression.ERASED, now=now)


async def _complete_erasure(request_id: int, *, retained: bool, now: datetime) -> None:
    await fetch(
        "UPDATE data_requests SET status = $2, completed_at = $3, "
        "detail = detail || jsonb_build_object('retained', $4::boolean) WHERE id = $1",
        request_id, "retained" if retained else "completed", now, retained,
    )


async def purge_retained(*, clock: Clock) -> int:
    """Finish erasures that waited for retention periods or legal holds to end."""
    now, purged = clock.now(), 0
    federal = get_settings().federal_contractor
    waiting = await fetch(
        "SELECT id, person FROM data_requests WHERE kind = 'erasure' AND status = 'retained' "
        "AND person IS NOT NULL ORDER BY id"
    )
    for row in waiting:
        async with transaction():
            await _lock_person(row["person"])
            deleted, files = await erasure.purge_person(row["person"], now=now,
                                                        federal_contractor=federal)
            if deleted:
                await fetch(
                    "UPDATE data_requests SET status = 'completed', detail = detail || "
                    "jsonb_build_object('purged_at', $2::text) WHERE id = $1",
                    row["id"], now.isoformat(),
                )
                purged += 1
            _remove_later(files)
    return purged


async def scrub_erasure_notices() -> int:
    """Once the 'account erased' email is sent, its address has served its purpose."""
    rows = await fetch(
        "UPDATE outbound_emails SET to_address = 'erased@invalid' WHERE template = "
        "'account_erased' AND state IN ('sent', 'failed') AND to_address <> 'erased@invalid' "
        "RETURNING id"
    )
    return len(rows)


async def place_legal_hold(*, person_ref: str, reason: str, staff_email: str, ip: str,
                           clock: Clock) -> int:
    """Stop the purge of a person's records (e.g. an EEOC charge) until released."""
    reason = " ".join(reason.split())
    errors = {}
    if not reason:
        errors["reason"] = "Say why the records must be kept, for example the charge number."
    elif len(reason) > MAX_HOLD_REASON:
        errors["reason"] = f"Use at most {MAX_HOLD_REASON} characters."
    person = await erasure.find_person(person_ref[:320]) if person_ref.strip() else None
    if person is None:
        errors["person"] = "No candidate has that id or email address."
    if errors:
        raise Invalid(errors=errors)
    assert person is not None
    now = clock.now()
    async with transaction():
        hold_id = await erasure.place_hold(person["id"], reason=reason, placed_by=staff_email,
                                           now=now)
        await audit.record(action="privacy.legal_hold_placed", at=now, actor=staff_email,
                           subject=f"person:{person['id']}", ip=ip,
                           detail={"hold_id": hold_id, "reason": reason})
    return hold_id


async def release_legal_hold(*, hold_id: int, staff_email: str, ip: str, clock: Clock) -> None:
    now = clock.now()
    async with transaction():
        hold = await erasure.release_hold(hold_id, now=now)
        if hold is None:
            raise NotFound("This hold does not exist or has been released already.")
        await audit.record(action="privacy.legal_hold_released", at=now, actor=staff_email,
                           subject=f"person:{hold['person']}", ip=ip,
                           detail={"hold_id": hold_id, "reason": hold["reason"]})
