"""Running bulk actions: validate, record a BulkAction, then act on the target in keyset
batches of person ids with set-based SQL.

Up to `rules.INLINE_LIMIT` people (counted at confirmation) the action runs inline in the
request's transaction; above, the row and its outbox task are written together and the
worker runs it, updating `done` after every batch for the progress page. A target is
re-evaluated when the action runs, so "all matching" means whoever matches then.

Running twice is harmless (arq runs tasks at least once): a run carries on from the last
committed batch (its cursor is kept in params["resume"]), and every kind is idempotent
anyway: tags and pool membership are inserted with ON CONFLICT DO NOTHING, a stage move
skips people already there, an invitation has the dedupe key event_invite:<event>:
<person>, an export cuts its file back to the size recorded with the cursor.
"""

from __future__ import annotations

import json
import secrets
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from domain.accounts.permissions import Permission
from domain.accounts.service import Staff
from domain.audit import service as audit
from domain.bulk import queries, rules
from domain.consent import service as consent
from domain.consent.rules import EVENT_EMAILS
from domain.csv_safety import csv_line
from domain.db import fetch, transaction
from domain.errors import Invalid, NotFound, PermissionDenied
from domain.mail import service as mail
from domain.outbox import service as outbox
from domain.people.tags import add_tags
from domain.pools import queries as pool_queries
from domain.pools import rules as pool_rules
from domain.pools import service as pools
from domain.ports import TaskQueue
from domain.segments import queries as segment_queries
from settings import get_settings

INVITE_SCOPE = "all"  # event-email consent is given for all events (domain.events.news)


def export_path(storage_key: str) -> Path:
    return get_settings().var_dir / "bulk_exports" / storage_key


async def _check(kind: str, params: dict, staff: Staff, now: datetime) -> dict:
    """The resources a kind names exist and may be used by this staff member."""
    if kind == "add_to_pool":
        try:
            pool = await pool_queries.pool(params["pool"], staff.id)
        except NotFound:
            pool = None
        if pool is None or pool["kind"] != "static":
            raise Invalid("Choose a pool.", {"to_pool": "Choose one of your static pools."})
    if kind == "invite_to_event":
        events = {e["slug"]: e for e in await queries.invitable_events(now)}
        if params["event"] not in events:
            raise Invalid("Choose an event.",
                          {"event": "Choose a published event that has not started."})
        params = {**params, "event_id": events[params["event"]]["id"]}
    return params


async def start(kind: str, target: dict, params: dict, *, staff: Staff, now: datetime,
                queue: TaskQueue | None) -> int:
    """Record the action and run it inline, or enqueue it; returns the BulkAction id."""
    if kind == "export_csv" and not staff.can(Permission.CANDIDATES_EXPORT):
        # Pools can be worked without it (marketing); contact data leaves only with it.
        raise PermissionDenied("Your role does not allow exporting people's details.")
    params = await _check(kind, params, staff, now)
    total = await queries.count(target, now=now)
    async with transaction():
        rows = await fetch(
            "INSERT INTO bulk_actions (kind, target, params, status, total, created_by, "
            "created_at) VALUES ($1, $2::jsonb, $3::jsonb, 'queued', $4, $5, $6) RETURNING id",
            kind, json.dumps(target), json.dumps(params), total, staff.email, now)
        bulk_id = int(rows[0]["id"])
        await audit.record(action="bulk.requested", at=now, actor=staff.email,
                           subject=f"bulk:{bulk_id}",
                           detail={"kind": kind, "target": rules.describe_target(target),
                                   "count_at_confirmation": total, "params": params})
        if total <= rules.INLINE_LIMIT:
            await run(bulk_id, now=now, queue=queue)
        else:
            await outbox.add("run_bulk_action", bulk_id, now=now, queue=queue)
    return bulk_id


async def run(bulk_id: int, *, now: datetime, queue: TaskQueue | None) -> str:
    """Run a bulk action, carrying on from its last committed batch (a re-run by arq, or
    the follow-up task a long run hands over to). A finished one is left alone."""
    rows = await fetch(
        "UPDATE bulk_actions SET status = 'running', started_at = coalesce(started_at, $2) "
        "WHERE id = $1 AND status IN ('queued', 'running') RETURNING *", bulk_id, now)
    if not rows:
        return "already finished"
    action = _decoded(rows[0])
    try:
        skipped = await _each_batch(action, now=now, queue=queue)
    except Invalid as exc:
        await _finish(action, "failed", str(exc), Counter(), now)
        return "failed"
    if skipped is None:
        return "handed over"
    await _finish(action, "done", rules.skipped_text(skipped), skipped, now)
    return "done"


def _decoded(row: dict) -> dict:
    for key in ("target", "params"):
        if isinstance(row[key], str):
            row[key] = json.loads(row[key])
    return row


async def _each_batch(action: dict, *, now: datetime, queue: TaskQueue | None) \
        -> Counter | None:
    """Batches from the saved cursor; after each, in the batch's transaction, the counts
    and the cursor (with the export file's size, so a batch written to the file but not
    committed is cut off on resume). Past HANDOVER_SECONDS a follow-up task carries on
    (returns None), so no run outlives the worker's job timeout."""
    resume = action["params"].get("resume") or {}
    after, skipped = int(resume.get("after", 0)), Counter[str](resume.get("skipped", {}))
    staff_id = await _staff_id(action["created_by"])
    if action["kind"] == "export_csv":
        action["storage_key"] = await _prepare_export(action, int(resume.get("bytes", 0)))
    started = time.monotonic()
    while True:
        ids = await queries.batch(action["target"], now=now, after=after,
                                  limit=rules.BATCH_SIZE)
        if not ids:
            return skipped
        async with transaction():
            changed = await _apply(action, ids, staff_id=staff_id, now=now, queue=queue,
                                   skipped=skipped)
            state = {"after": ids[-1], "skipped": dict(skipped), "bytes": _size(action)}
            await fetch("UPDATE bulk_actions SET done = done + $2, changed = changed + $3, "
                        "params = params || jsonb_build_object('resume', $4::jsonb) "
                        "WHERE id = $1", action["id"], len(ids), changed, json.dumps(state))
            if time.monotonic() - started > rules.HANDOVER_SECONDS:
                await outbox.add("run_bulk_action", action["id"], now=now, queue=queue)
                return None
        after = ids[-1]


def _size(action: dict) -> int:
    key = action.get("storage_key") if action["kind"] == "export_csv" else None
    return export_path(key).stat().st_size if key else 0


async def _apply(action: dict, ids: list[int], *, staff_id: int, now: datetime,
                 queue: TaskQueue | None, skipped: Counter) -> int:
    kind, params, by = action["kind"], action["params"], action["created_by"]
    if kind == "tag":
        return await add_tags(ids, params["tags"], by=by, at=now)
    if kind == "add_to_pool":
        return await pools.add_people(params["pool"], ids, source="bulk", by=by, at=now)
    if kind == "set_pool_stage":
        return await pools.set_stage(params["pool"], ids, params["stage"], by=by, at=now)
    if kind == "invite_to_event":
        return await _invite(params["event_id"], ids, now=now, queue=queue, skipped=skipped)
    rows = await queries.export_rows(ids, staff_id=staff_id)
    with export_path(action["storage_key"]).open("a", encoding="utf-8", newline="") as out:
        out.writelines(csv_line(row[c] for c in rules.EXPORT_COLUMNS) for row in rows)
    return len(rows)


async def _invite(event_id: int, ids: list[int], *, now: datetime, queue: TaskQueue | None,
                  skipped: Counter) -> int:
    """Invitation emails to those with event-email consent; the rest are counted by
    reason. Marketing mail: the sender checks consent again when it sends."""
    checks = await queries.invitation_checks(ids, purpose=EVENT_EMAILS, scope=INVITE_SCOPE,
                                             event_id=event_id, at=now)
    candidates = [row for row in checks if not row["problem"]]
    skipped.update(row["problem"] for row in checks if row["problem"])
    suppressed = await consent.suppressed_emails([row["email"] for row in candidates])
    skipped["suppressed"] += len(suppressed)
    sendable = [row for row in candidates if row["email"] not in suppressed]
    sent = await mail.queue_emails([
        mail.Outgoing(row["id"], row["email"],
                      {"event_id": event_id, "person_id": row["id"],
                       "consent_purpose": EVENT_EMAILS,
                       "consent_scope": INVITE_SCOPE},
                      f"event_invite:{event_id}:{row['id']}")
        for row in sendable], template="event_invitation", now=now, queue=queue,
        kind="marketing")
    skipped["already_invited"] += len(sendable) - sent
    return sent


async def _prepare_export(action: dict, size: int) -> str:
    """The export file: started with its header, or cut back to what was committed."""
    key = action["storage_key"] or f"bulk-{action['id']}-{secrets.token_urlsafe(18)}.csv"
    if not action["storage_key"]:
        await fetch("UPDATE bulk_actions SET storage_key = $2 WHERE id = $1",
                    action["id"], key)
    path = export_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    if size and path.is_file():
        with path.open("r+b") as out:
            out.truncate(size)
    else:
        path.write_text(csv_line(rules.EXPORT_COLUMNS), encoding="utf-8")
    return key


async def _staff_id(email: str) -> int:
    rows = await fetch("SELECT id FROM staff_users WHERE email = $1", email)
    return int(rows[0]["id"]) if rows else 0


async def _finish(action: dict, status: str, message: str, skipped: Counter,
                  now: datetime) -> None:
    rows = await fetch("UPDATE bulk_actions SET status = $2, message = $3, finished_at = $4 "
                       "WHERE id = $1 RETURNING done, changed", action["id"], status, message,
                       now)
    params = {k: v for k, v in action["params"].items() if k != "resume"}
    await audit.record(action=f"bulk.{action['kind']}", at=now, actor=action["created_by"],
                       subject=f"bulk:{action['id']}",
                       detail={"status": status, "target":
                               rules.describe_target(action["target"]),
                               "done": rows[0]["done"], "changed": rows[0]["changed"],
                               "skipped": dict(skipped), "params": params})


def export_file(action: dict, *, now: datetime) -> Path:
    """The export's file while it may still be downloaded (EXPORT_DAYS after it finished)."""
    key, finished = action["storage_key"], action["finished_at"]
    if action["kind"] != "export_csv" or not key or finished is None or \
            finished < now - timedelta(days=rules.EXPORT_DAYS):
        raise NotFound("This export is no longer available.")
    path = export_path(key)
    if not path.is_file():
        raise NotFound("This export is no longer available.")
    return path


async def expire_exports(*, now: datetime) -> int:
    """Delete export files older than EXPORT_DAYS (daily cron); returns files removed."""
    rows = await fetch(
        "WITH old AS (SELECT id, storage_key FROM bulk_actions WHERE kind = 'export_csv' "
        "  AND storage_key IS NOT NULL AND finished_at < $1 FOR UPDATE) "
        "UPDATE bulk_actions b SET storage_key = NULL, "
        "message = b.message || ' The file was deleted after 7 days.' FROM old "
        "WHERE b.id = old.id RETURNING old.storage_key AS key",
        now - timedelta(days=rules.EXPORT_DAYS))
    for row in rows:
        if row["key"]:
            export_path(row["key"]).unlink(missing_ok=True)
    return len(rows)


async def resolve(staff_id: int, *, pool_id: int | None, segment_id: int | None,
                  in_stage: str, person_ids: list[int], everyone: bool) -> dict:
    """Who a request means, checked against what this staff member may see: returns the
    target, the pool it came from (if any, for "move to a stage") and a description.
    A private pool or segment of someone else is a NotFound, as if it did not exist."""
    if segment_id is not None:
        segment = await segment_queries.segment(segment_id, staff_id)
        return {"target": {"segment": segment["definition"]}, "pool": None,
                "label": f"everyone matching the segment “{segment['name']}”",
                "source": {"segment": segment_id}}
    pool = await pool_queries.pool(pool_id, staff_id) if pool_id is not None else None
    source = {"pool": pool["id"]} if pool else {}
    if pool and pool["kind"] == "dynamic":
        definition = pool["segment"]
        definition = json.loads(definition) if isinstance(definition, str) else definition
        return {"target": {"segment": definition}, "pool": None, "source": source,
                "label": f"everyone matching the dynamic pool “{pool['name']}”"}
    if pool and everyone:
        stage = in_stage if in_stage in pool["stages"] else ""
        label = f"everyone in “{pool['name']}”" + (
            f" at {pool_rules.stage_label(stage)}" if stage else "")
        return {"target": {"pool": pool["id"], "stage": stage}, "pool": pool,
                "label": label, "source": {**source, "in_stage": stage}}
    if not person_ids:
        raise Invalid("Tick some people first.", {"person": "Tick the people to act on."})
    return {"target": {"person_ids": person_ids}, "pool": pool, "source": source,
            "label": rules.describe_target({"person_ids": person_ids})}
