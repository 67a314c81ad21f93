"""Transactional outbox: tasks are written with the change and relayed after commit."""

from __future__ import annotations

import functools
import json
import logging
from datetime import datetime
from typing import Any

from domain.db import after_commit, fetch, transaction
from domain.ports import SystemClock, TaskQueue

log = logging.getLogger(__name__)


def job_id(outbox_id: int) -> str:
    # arq skips an enqueue whose job id is still known, so a relay racing the
    # after-commit enqueue cannot start the same task twice.
    return f"outbox:{outbox_id}"


async def add(task: str, *args: Any, now: datetime, queue: TaskQueue | None) -> int:
    """Write an outbox row in the current transaction; enqueue it right after commit."""
    rows = await fetch(
        "INSERT INTO outbox_messages (task, args, created_at) VALUES ($1, $2::jsonb, $3) "
        "RETURNING id",
        task,
        json.dumps(list(args)),
        now,
    )
    outbox_id = rows[0]["id"]
    if queue is not None:
        after_commit(lambda: _relay_committed(queue, outbox_id, task, args))
    return outbox_id


async def add_many(task: str, args_list: list[tuple[Any, ...]], *, now: datetime,
                   queue: TaskQueue | None) -> list[int]:
    """`add` for many rows in one INSERT (a message to a whole audience)."""
    if not args_list:
        return []
    rows = await fetch(
        "INSERT INTO outbox_messages (task, args, created_at) "
        "SELECT $1, a::jsonb, $3 FROM unnest($2::text[]) WITH ORDINALITY AS t(a, n) "
        "ORDER BY n RETURNING id",
        task, [json.dumps(list(args)) for args in args_list], now)
    ids = [row["id"] for row in rows]
    if queue is not None:
        for outbox_id, args in zip(ids, args_list, strict=True):
            after_commit(functools.partial(_relay_committed, queue, outbox_id, task, args))
    return ids


async def _relay_committed(queue: TaskQueue, outbox_id: int, task: str,
                           args: tuple[Any, ...]) -> None:
    """Right after commit we still hold the row's content: enqueue it, then mark it in one
    statement. Racing the periodic relay is harmless: both use the same arq job id, so the
    task runs once; a crash before the mark only means the relay enqueues it again, and
    arq refuses that duplicate job id too."""
    try:
        await queue.enqueue(task, *args, job_id=job_id(outbox_id))
    except Exception as exc:  # a down queue must not lose the row: the relay retries
        log.warning("outbox %s not enqueued yet: %s", outbox_id, exc)
        return
    await fetch("UPDATE outbox_messages SET enqueued_at = $2 WHERE id = $1 "
                "AND enqueued_at IS NULL", outbox_id, SystemClock().now())


async def _enqueue_rows(queue: TaskQueue, rows: list[dict], now: datetime) -> int:
    done = 0
    for row in rows:
        try:
            await queue.enqueue(row["task"], *json.loads(row["args"]), job_id=job_id(row["id"]))
        except Exception as exc:  # a down queue must not lose the row: the relay retries
            log.warning("outbox %s not enqueued yet: %s", row["id"], exc)
            await fetch(
                "UPDATE outbox_messages SET attempts = attempts + 1, last_error = $2 "
                "WHERE id = $1",
                row["id"],
                str(exc)[:500],
            )
            continue
        await fetch(
            "UPDATE outbox_messages SET enqueued_at = $2 WHERE id = $1", row["id"], now
        )
        done += 1
    return done


async def relay_pending(queue: TaskQueue, *, now: datetime, limit: int = 500) -> int:
    """Enqueue rows that were committed but never enqueued (crash, queue outage)."""
    async with transaction():
        rows = await fetch(
            "SELECT id, task, args FROM outbox_messages WHERE enqueued_at IS NULL "
            "ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
            limit,
        )
        return await _enqueue_rows(queue, rows, now)


async def pending_count() -> int:
    rows = await fetch("SELECT count(*) AS n FROM outbox_messages WHERE enqueued_at IS NULL")
    return int(rows[0]["n"])
