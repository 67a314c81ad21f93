"""The campaign tick: start due campaigns, materialise their audience into send rows,
enqueue batch tasks, turn stale sends `in_doubt`, and finish campaigns that are done.

Runs every minute (and at once when a campaign is scheduled to start now: `kick`). Two
ticks at the same time start one sender per campaign: the lease (sender_lock) goes to
one of them, and the other's fenced writes are refused.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from domain.campaigns import audience, schedule, sender_lock
from domain.campaigns.sender_lock import StaleSender
from domain.db import execute, fetch, fetchval, transaction
from domain.ports import Clock, TaskQueue

BATCH_SIZE = 1000
STALE_AFTER = timedelta(seconds=90)
IDLE_BATCH = timedelta(seconds=20)
CAMPAIGN_BATCH_TASK = "send_campaign_batch"
SEQUENCE_BATCH_TASK = "send_sequence_batch"
START_TASK = "start_campaign"


def batch_job_id(campaign_id: int, batch: int, generation: int) -> str:
    # arq keeps a job's id (and refuses it again) while its result is kept, so each
    # sender turn (generation = its fence) may queue a batch once more: a resumed
    # campaign, a retry that came due or a run cut short goes on. A run still going
    # meanwhile is harmless: both claim rows one at a time.
    return f"{_batch_prefix(campaign_id)}{batch}:{generation}"


def _batch_prefix(campaign_id: int) -> str:
    return f"campaign-batch:{campaign_id}:"


async def _waiting_batches(queue: TaskQueue, campaign_id: int) -> set[int]:
    """The campaign's batches with a job still waiting in the queue (not started)."""
    prefix = _batch_prefix(campaign_id)
    return {int(job_id[len(prefix):].split(":")[0]) for job_id in await queue.waiting(prefix)}


SEQUENCE_JOB_PREFIX = "sequence-batch:"


def sequence_job_id(first: int, last: int, now: datetime) -> str:
    return f"{SEQUENCE_JOB_PREFIX}{first}:{last}:{int(now.timestamp()) // 60}"


async def _waiting_ranges(queue: TaskQueue) -> tuple[list[int], list[int]]:
    """(firsts, lasts) of the id ranges whose sequence batch job is still waiting."""
    ranges = [job_id[len(SEQUENCE_JOB_PREFIX):].split(":")[:2]
              for job_id in await queue.waiting(SEQUENCE_JOB_PREFIX)]
    return [int(first) for first, _ in ranges], [int(last) for _, last in ranges]


async def kick(campaign_id: int, queue: TaskQueue) -> None:
    """Start (or continue) one campaign now instead of at the next tick."""
    await queue.enqueue(START_TASK, campaign_id)  # advance() itself is one-at-a-time


async def tick(*, queue: TaskQueue, clock: Clock, batch_size: int = BATCH_SIZE,
               stale_after: timedelta = STALE_AFTER) -> dict[str, int]:
    now = clock.now()
    doubted = await mark_in_doubt(now - stale_after)
    ids = await fetch("SELECT id FROM campaigns WHERE state = 'sending' OR (state = "
                      "'scheduled' AND (send_at IS NULL OR send_at <= $1)) ORDER BY id", now)
    advanced = 0
    for row in ids:
        advanced += await advance(row["id"], queue=queue, clock=clock, batch_size=batch_size)
    sequences = await enqueue_sequence_batches(queue, now=now)
    return {"in_doubt": doubted, "campaigns": advanced, "sequence_batches": sequences}


async def mark_in_doubt(claimed_before: datetime) -> int:
    """Sends claimed long ago and still `sending`: their worker is gone, and the mail may
    or may not have left. Listed for a person to decide; never resent automatically."""
    status = await execute("UPDATE marketing_sends SET state = 'in_doubt' "
                           "WHERE state = 'sending' AND claimed_at < $1", claimed_before)
    return int(status.split()[-1])


async def advance(campaign_id: int, *, queue: TaskQueue, clock: Clock,
                  batch_size: int = BATCH_SIZE, lease: timedelta = sender_lock.LEASE,
                  kicked: bool = False) -> int:
    """One sender's turn on one campaign; 0 when another sender holds it. A kick (start,
    resume) queues every due batch; the periodic tick only the idle ones."""
    now = clock.now()
    fence = await sender_lock.acquire(campaign_id, now=now, lease=lease)
    if fence is None:
        return 0
    try:
        if not await _start(campaign_id, fence, now):
            return 0
        deadline = time.monotonic() + lease.total_seconds() / 2
        while time.monotonic() < deadline:
            batch = await materialise_page(campaign_id, fence, now=clock.now(),
                                           batch_size=batch_size)
            if batch is None:
                break
            await queue.enqueue(CAMPAIGN_BATCH_TASK, campaign_id, batch,
                                job_id=batch_job_id(campaign_id, batch, fence))
        await enqueue_due_batches(campaign_id, queue, now=clock.now(), generation=fence,
                                  idle_for=None if kicked else IDLE_BATCH)
        await finish_if_done(campaign_id, fence, now=clock.now())
    except StaleSender:
        return 0
    await sender_lock.release(campaign_id, fence)
    return 1


async def _start(campaign_id: int, fence: int, now: datetime) -> bool:
    """scheduled → sending (only with approved content); True when it is sending."""
    state = await fetchval(
        "UPDATE campaigns SET state = CASE WHEN state = 'scheduled' AND "
        "approved_revision = revision THEN 'sending' ELSE state END, "
        "started_at = coalesce(started_at, $3) WHERE id = $1 AND sender_fence = $2 "
        "RETURNING state", campaign_id, fence, now)
    if state is None:
        raise StaleSender(f"campaign {campaign_id}")
    return bool(state == "sending")


async def materialise_page(campaign_id: int, fence: int, *, now: datetime,
                           batch_size: int) -> int | None:
    """Insert the next keyset page of recipients as batch N+1; None when all are in."""
    async with transaction():
        campaign = await sender_lock.hold(campaign_id, fence)
        if campaign["audience_done"]:
            return None
        people = await audience.page(campaign, int(campaign["audience_cursor"]), batch_size,
                                     now=now)
        if not people:
            await execute("UPDATE campaigns SET audience_done = true, recipients = (SELECT "
                          "count(*) FROM marketing_sends WHERE campaign = $1) "
                          "WHERE id = $1 AND sender_fence = $2", campaign_id, fence)
            return None
        batch = int(await fetchval("SELECT coalesce(max(batch), 0) + 1 FROM marketing_sends "
                                   "WHERE campaign = $1", campaign_id))
        await _insert_rows(campaign, people, batch, now)
        await execute("UPDATE campaigns SET audience_cursor = $3, recipients = (SELECT "
                      "count(*) FROM marketing_sends WHERE campaign = $1) "
                      "WHERE id = $1 AND sender_fence = $2", campaign_id, fence, people[-1])
    return batch


async def _insert_rows(campaign: dict[str, Any], people: list[int], batch: int,
                       now: datetime) -> None:
    holds = await _not_before(campaign, people, now)
    await execute(
        "INSERT INTO marketing_sends (campaign, person, batch, state, not_before, created_at) "
        "SELECT $1, u.person, $2, 'queued', u.not_before, $3 FROM unnest($4::int[], "
        "$5::timestamptz[]) AS u(person, not_before) ON CONFLICT DO NOTHING",
        campaign["id"], batch, now, people, holds)


async def _not_before(campaign: dict[str, Any], people: list[int],
                      now: datetime) -> list[datetime | None]:
    days, start, end = (list(campaign["window_days"] or []), campaign["window_start"],
                        campaign["window_end"])
    fixed = schedule.zone(campaign["time_zone"])
    if not schedule.has_window(days, start, end):
        return [None] * len(people)
    zones: dict[int, str] = {}
    if campaign["zone_mode"] == "recipient":
        rows = await fetch("SELECT person, time_zone FROM profiles WHERE person = ANY($1)",
                           people)
        zones = {row["person"]: row["time_zone"] for row in rows}
    return [schedule.not_before(now, send_at=None, days=days, start=start, end=end,
                                tz=schedule.zone(zones.get(p), campaign["time_zone"])
                                if zones.get(p) else fixed) for p in people]


async def enqueue_due_batches(campaign_id: int, queue: TaskQueue, *, now: datetime,
                              generation: int, idle_for: timedelta | None = None) -> int:
    """Batches with queued rows that may go now (a window opened, a retry is due, the
    campaign was resumed, or a run was cut short). With `idle_for`, only batches nobody
    claimed a row of lately and whose job is not still waiting in the queue: a run still
    going or about to needs no second one (a second one would be safe, but would draw
    rate tokens and claims for rows the first one takes)."""
    # A batch whose job is still queued is not idle, only waiting its turn: queuing it
    # again gave it a second, third … job, all claiming the same rows (B5 saw eleven).
    waiting = await _waiting_batches(queue, campaign_id) if idle_for else set()
    rows = await fetch(
        "SELECT batch FROM marketing_sends WHERE campaign = $1 GROUP BY batch "
        "HAVING bool_or(state = 'queued' AND (not_before IS NULL OR not_before <= $2)) "
        "AND ($3::interval IS NULL OR NOT coalesce(bool_or(claimed_at > $2 - $3::interval), "
        "false))", campaign_id, now, idle_for)
    due = [row["batch"] for row in rows if row["batch"] not in waiting]
    for batch in due:
        await queue.enqueue(CAMPAIGN_BATCH_TASK, campaign_id, batch,
                            job_id=batch_job_id(campaign_id, batch, generation))
    return len(due)


async def finish_if_done(campaign_id: int, fence: int, *, now: datetime) -> bool:
    status = await execute(
        "UPDATE campaigns c SET state = 'finished', finished_at = $3 WHERE c.id = $1 "
        "AND c.sender_fence = $2 AND c.state = 'sending' AND c.audience_done AND NOT EXISTS "
        "(SELECT 1 FROM marketing_sends s WHERE s.campaign = c.id "
        "AND s.state IN ('queued', 'sending'))", campaign_id, fence, now)
    return status.endswith(" 1")


async def enqueue_sequence_batches(queue: TaskQueue, *, now: datetime,
                                   size: int = BATCH_SIZE) -> int:
    """Due queued sequence emails, as tasks over id ranges of about `size` rows. Rows in
    the range of a job still waiting in the queue are left to it (each minute's ids are
    new, so it would otherwise get a second job claiming the same rows)."""
    firsts, lasts = await _waiting_ranges(queue)
    rows = await fetch(
        "SELECT min(id) AS first, max(id) AS last FROM (SELECT id, (row_number() OVER "
        "(ORDER BY id) - 1) / $2 AS chunk FROM marketing_sends WHERE enrollment IS NOT NULL "
        "AND state = 'queued' AND (not_before IS NULL OR not_before <= $1) "
        "AND NOT EXISTS (SELECT 1 FROM unnest($3::bigint[], $4::bigint[]) AS w(first, last) "
        "WHERE id BETWEEN w.first AND w.last)) q "
        "GROUP BY chunk ORDER BY chunk", now, size, firsts, lasts)
    for row in rows:
        await queue.enqueue(SEQUENCE_BATCH_TASK, row["first"], row["last"],
                            job_id=sequence_job_id(row["first"], row["last"], now))
    return len(rows)
