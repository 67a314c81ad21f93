"""People imports from CSV: upload, mapping, start, and the run (a worker task).

status: uploaded → mapped → queued → running → done | failed.

A run commits every batch of BATCH_ROWS rows together with `processed_rows` and the
counters, so a worker that dies half-way leaves the import `running` with an exact
checkpoint: arq runs the task again and it carries on after the last committed batch
(rows are upserted by email, so even a repeated batch would not duplicate anyone). An
error raised by the run marks the import `failed` with a message saying how far it got;
a run of a `done` or `failed` import does nothing. A run stops after RUN_BUDGET_SECONDS
and hands over to a follow-up task (outbox), so a large file never meets the worker's job
timeout. The file is deleted when the import ends.

Imported people are not added to a community: joining one needs the person's own
double opt-in, and the lawful basis recorded here is not consent to marketing emails.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from datetime import datetime
from typing import Any

from domain.audit import service as audit
from domain.consent import service as consent
from domain.db import fetch, transaction
from domain.errors import Conflict, Invalid, NotFound
from domain.imports import bulk, files, rules
from domain.imports.rules import PersonRow, RowError
from domain.outbox import service as outbox
from domain.ports import Clock, TaskQueue
from domain.skills.normalise import normalise_with, skill_index

log = logging.getLogger(__name__)
TASK = "run_people_import"
# Less than the worker's job timeout (120 s): a long file is done by a chain of tasks,
# each carrying on after the last committed batch, so none is cut off by the timeout.
RUN_BUDGET_SECONDS = 60.0
ANALYZE_ABOVE_ROWS = 10_000
MAX_CONSENT_TEXT = 2_000


async def get(import_id: int) -> dict[str, Any]:
    rows = await fetch("SELECT * FROM people_imports WHERE id = $1", import_id)
    if not rows:
        raise NotFound("There is no such import.")
    found = rows[0]
    for key in ("headers", "mapping", "errors"):
        if isinstance(found[key], str):
            found[key] = json.loads(found[key])
    return found


async def upload(*, filename: str, data: bytes, by: str, clock: Clock) -> int:
    """Check the file (in a thread: a large one takes a moment), keep it, guess a mapping."""
    try:
        headers, _, total = await asyncio.to_thread(rules.check_upload, data)
    except rules.FileRejected as exc:
        raise Invalid(str(exc), {"file": str(exc)}) from exc
    key = await asyncio.to_thread(files.save, data)
    rows = await fetch(
        "INSERT INTO people_imports (filename, storage_key, status, headers, mapping, "
        "total_rows, created_by, created_at) VALUES ($1, $2, 'uploaded', $3::jsonb, "
        "$4::jsonb, $5, $6, $7) RETURNING id", rules.clean_filename(filename), key,
        json.dumps(headers), json.dumps(rules.guess_mapping(headers)), total, by, clock.now())
    return int(rows[0]["id"])


async def read_text(found: dict[str, Any]) -> str:
    data = await asyncio.to_thread(files.read, found["storage_key"])
    return rules.decode(data)


async def preview(found: dict[str, Any]) -> list[dict[str, Any]]:
    """The first rows as they will be imported, each with its problems."""
    text = await read_text(found)
    shown = []
    rows = rules.data_rows(text, rules.sniff_delimiter(text.split("\n", 1)[0]),
                           found["headers"])
    parser = rules.RowParser(found["mapping"])
    for number, cells in itertools.islice(rows, rules.PREVIEW_ROWS):
        person, errors = parser(number, cells)
        shown.append({"row": number, "person": person, "errors": errors, "cells": cells})
    return shown


async def save_mapping(import_id: int, form: dict[str, str], *, by: str,
                       clock: Clock) -> None:
    """Mapping and batch options from the form; Invalid with per-field messages."""
    found = await get(import_id)
    if found["status"] not in ("uploaded", "mapped"):
        raise Conflict("This import has already started.")
    mapping = {h: form.get(f"column-{i}", rules.IGNORE) for i, h in
               enumerate(found["headers"])}
    errors: dict[str, str] = {}
    problems = rules.check_mapping(mapping)
    if problems:
        errors["mapping"] = " ".join(problems)
    basis = form.get("lawful_basis", "")
    if basis not in rules.LAWFUL_BASES:
        errors["lawful_basis"] = "Choose the lawful basis for importing these people."
    wording = " ".join(form.get("consent_text", "").split())[:MAX_CONSENT_TEXT]
    if basis == "consent_given_elsewhere" and len(wording) < 10:
        errors["consent_text"] = "Paste the wording of the box they ticked."
    tag = " ".join(form.get("tag", "").split())
    if len(tag) > 60:
        errors["tag"] = "Keep the tag to at most 60 characters."
    source = " ".join(form.get("source", "").split()) or "import"
    if len(source) > 40:
        errors["source"] = "Keep the source to at most 40 characters."
    if errors:
        raise Invalid("Check the mapping and options.", errors)
    async with transaction():
        if basis == "consent_given_elsewhere":
            await _batch_text(import_id, wording, clock.now())
        await fetch("UPDATE people_imports SET mapping = $2::jsonb, lawful_basis = $3, "
                    "tag = $4, source = $5, status = 'mapped' WHERE id = $1", import_id,
                    json.dumps(mapping), basis, tag, source)
        await audit.record(action="people_import.mapped", at=clock.now(), actor=by,
                           subject=f"people_import:{import_id}", detail={"basis": basis})


async def _batch_text(import_id: int, wording: str, now: datetime) -> None:
    """The wording they agreed to, as a consent text of this batch (texts are never
    edited: new wording on a re-map is a new version)."""
    purpose = f"import:{import_id}"
    await fetch(
        "INSERT INTO consent_texts (purpose, version, body, created_at) "
        "SELECT $1::varchar, coalesce(max(version), 0) + 1, $2::text, $3 FROM consent_texts "
        "WHERE purpose = $1::varchar HAVING NOT EXISTS (SELECT 1 FROM consent_texts t "
        "WHERE t.purpose = $1::varchar AND t.body = $2::text)", purpose, wording, now)


async def start(import_id: int, *, by: str, clock: Clock, queue: TaskQueue | None) -> None:
    """Queue the run through the outbox, so a crash between commit and enqueue loses
    nothing; starting twice is refused."""
    now = clock.now()
    async with transaction():
        rows = await fetch("UPDATE people_imports SET status = 'queued' WHERE id = $1 "
                           "AND status = 'mapped' RETURNING id", import_id)
        if not rows:
            await get(import_id)
            raise Conflict("This import cannot be started: map it first, or it has "
                           "already started.")
        await outbox.add(TASK, import_id, now=now, queue=queue)
        await audit.record(action="people_import.started", at=now, actor=by,
                           subject=f"people_import:{import_id}")


# -- the run ---------------------------------------------------------------------------

async def _claim(import_id: int, now: datetime) -> dict[str, Any] | None:
    rows = await fetch("UPDATE people_imports SET status = 'running', started_at = "
                       "coalesce(started_at, $2) WHERE id = $1 AND status IN "
                       "('queued', 'running') RETURNING id", import_id, now)
    return await get(import_id) if rows else None


async def _batch_of(found: dict[str, Any], now: datetime) -> bulk.Batch:
    basis = found["lawful_basis"]
    if basis == "consent_given_elsewhere":
        text = await consent.current_text(f"import:{found['id']}")
    else:
        await consent.ensure_text(purpose=rules.SOURCING, body=rules.LEGITIMATE_INTEREST_TEXT,
                                  now=now)
        text = await consent.current_text(rules.SOURCING)
    return bulk.Batch(import_id=found["id"], source=found["source"][:40], tag=found["tag"],
                      by=found["created_by"], purpose=rules.SOURCING, text_id=text["id"],
                      action=rules.BASIS_ACTIONS[basis])


async def run(import_id: int, *, clock: Clock, queue: TaskQueue | None = None,
              budget: float = RUN_BUDGET_SECONDS) -> str:
    """The task body; returns 'done', 'failed', 'continued' (the time budget ran out:
    a follow-up task carries on) or 'skipped' (nothing to run). Without a queue it runs
    to the end."""
    found = await _claim(import_id, clock.now())
    if found is None:
        return "skipped"
    deadline = time.monotonic() + budget if queue is not None else None
    try:
        if not await _run(found, clock, deadline):
            async with transaction():
                await outbox.add(TASK, import_id, now=clock.now(), queue=queue)
            return "continued"
    except Exception as exc:  # recorded on the import for staff; the traceback is logged
        log.exception("people import %s failed", import_id)
        await _finish(found, clock, status="failed",
                      message=f"Stopped after {await _processed(import_id):,} rows: {exc}"[:500])
        return "failed"
    return "done"


async def _processed(import_id: int) -> int:
    return int((await get(import_id))["processed_rows"])


Prepared = tuple[int, dict[str, PersonRow], list[RowError], dict[str, tuple[str, str]]]


async def _run(found: dict[str, Any], clock: Clock, deadline: float | None) -> bool:
    """True when the file was read to its end, False when the deadline came first."""
    text = await read_text(found)
    delimiter = rules.sniff_delimiter(text.split("\n", 1)[0])
    rows = itertools.islice(rules.data_rows(text, delimiter, found["headers"]),
                            found["processed_rows"], None)
    batch = await _batch_of(found, clock.now())
    index = await skill_index()
    progress = {"kept": len(found["errors"]), "spelling": {}}
    parser = rules.RowParser(found["mapping"])
    # The same skills text recurs across a file (a list from one event, one team):
    # matched against the taxonomy once per distinct text for this run.
    # Kept as the text of the two arrays (slugs, unmatched) that the staging table takes.
    matched: dict[str, tuple[str, str]] = {}

    def skills_of(text: str) -> tuple[str, str]:
        if not text:
            return "{}", "{}"
        found_ = matched.get(text)
        if found_ is None:
            slugs, unmatched = normalise_with([text], index)
            found_ = bulk.array_literal(slugs), bulk.array_literal(unmatched)
            if len(matched) < rules.RowParser.MAX_CACHED:
                matched[text] = found_
        return found_

    def prepare(size: int = rules.BATCH_ROWS) -> Prepared | None:
        # In a thread: reading and checking the next batch overlaps the database
        # writing the current one (the checks are pure Python, the writes mostly waiting).
        chunk = list(itertools.islice(rows, size))
        if not chunk:
            return None
        people, errors = _parse(chunk, parser)
        skills = {email: skills_of(p.skills) for email, p in people.items()}
        return len(chunk), people, errors, skills

    # The first batch is small: nothing overlaps reading it, so the database starts
    # sooner.
    pending = asyncio.ensure_future(asyncio.to_thread(prepare, rules.FIRST_BATCH_ROWS))
    analysed = None
    if found["total_rows"] > ANALYZE_ABOVE_ROWS:
        # Each batch looks its rows up in these tables; with statistics that lag behind
        # their growth (autovacuum is slower than a series of imports) the planner may
        # read them whole on every batch (or probe `people` by phone with a sequential
        # scan under a LIMIT). Only the columns the batch statements look rows up by:
        # the whole tables took ~0.8 s at 170,000 people, these ~0.2 s (measured). On
        # its own connection while the first (small) batch is read and written; the
        # later batches are planned with the new statistics.
        analysed = asyncio.ensure_future(fetch(
            "ANALYZE people (email, phone, linkedin, merged_into), "
            "person_tags (person, tag), profiles (person)"))
    try:
        while (prepared := await pending) is not None:
            pending = asyncio.ensure_future(asyncio.to_thread(prepare))
            await _write(found, batch, prepared, progress, clock)
            if analysed is not None:
                await analysed
                analysed = None
            if deadline is not None and time.monotonic() > deadline:
                # The batch read ahead is dropped: the next task starts at the checkpoint.
                return False
    finally:
        waiting = [task for task in (pending, analysed) if task is not None and not task.done()]
        if waiting:
            await asyncio.wait(waiting)
    await _finish(found, clock, status="done", message="")
    return True


async def _write(found: dict[str, Any], batch: bulk.Batch, prepared: Prepared,
                 progress: dict[str, Any], clock: Clock) -> None:
    """One batch in one transaction, with the import's counters and its checkpoint."""
    size, people, errors, skills = prepared
    async with transaction():
        # JIT compiling these set-based statements costs more than running them.
        await fetch("SET LOCAL jit = off")
        blocked = await bulk.suppressed(list(people))
        errors += [RowError(p.row, _email_column(found), rules.SUPPRESSED)
                   for email, p in people.items() if email in blocked]
        wanted = [(p, skills[email]) for email, p in people.items() if email not in blocked]
        written = await bulk.write(wanted, batch, clock.now(), progress["spelling"]) \
            if wanted else bulk.Written(set(), set())
        errors.sort(key=lambda e: e.row)
        room = max(0, rules.MAX_ERRORS_KEPT - progress["kept"])
        await fetch(
            "UPDATE people_imports SET processed_rows = processed_rows + $2, "
            "created_people = created_people + $3, updated_people = updated_people "
            "+ $4, error_count = error_count + $5, errors = errors || $6::jsonb "
            "WHERE id = $1", found["id"], size, len(written.created),
            # error_count counts rows (a row can have several problems), what pages say.
            len(written.touched), len({e.row for e in errors}),
            json.dumps([e.as_dict() for e in errors[:room]]))
        progress["kept"] += min(room, len(errors))


def _email_column(found: dict[str, Any]) -> str:
    return next((c for c, f in found["mapping"].items() if f == "email"), "email")


def _parse(chunk: list[tuple[int, dict[str, str]]],
           parser: rules.RowParser) -> tuple[dict[str, PersonRow], list[RowError]]:
    """Valid rows by email (a repeated email merged into its first row) and the errors."""
    people: dict[str, PersonRow] = {}
    errors: list[RowError] = []
    for number, cells in chunk:
        person, problems = parser(number, cells)
        errors += problems
        if person is None:
            continue
        if person.email in people:
            people[person.email].fill_blanks(person)
        else:
            people[person.email] = person
    return people, errors


async def _finish(found: dict[str, Any], clock: Clock, *, status: str, message: str) -> None:
    now = clock.now()
    async with transaction():
        rows = await fetch(
            "UPDATE people_imports SET status = $2, message = $3, finished_at = $4 "
            "WHERE id = $1 RETURNING processed_rows, created_people, updated_people, "
            "error_count", found["id"], status, message, now)
        await audit.record(action=f"people_import.{status}", at=now, actor=found["created_by"],
                           subject=f"people_import:{found['id']}", detail=rows[0])
    await asyncio.to_thread(files.remove, found["storage_key"])
