"""The campaign sender's public face: batch tasks (campaign and sequence emails share one
send path, domain.campaigns.delivery), the tick (domain.campaigns.dispatch), and the
controls staff use: pause, resume, cancel, and the decision on sends left in doubt.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

from domain.accounts.service import Staff
from domain.audit import service as audit
from domain.campaigns import delivery
from domain.campaigns.compose import Content, campaign_content, sequence_content
from domain.campaigns.delivery import CLAIM_CAMPAIGN, CLAIM_SEQUENCE, Sender
from domain.campaigns.dispatch import kick, tick
from domain.db import execute, fetch, fetchval, transaction
from domain.errors import Conflict, Invalid, NotFound
from domain.ports import Clock, TaskQueue

__all__ = ["cancel", "decide_in_doubt", "kick", "pause", "resume", "send_campaign_batch",
           "send_sequence_batch", "tick"]
PAGE = 500
RETRY_WAIT = timedelta(seconds=10)


async def _queued_ids(sql: str, *args: Any) -> list[int]:
    return [row["id"] for row in await fetch(sql, *args)]


async def _run(sender: Sender, pages: Any, content_of: Any, claim_sql: str) -> dict:
    """Send page after page until none is left; on cancellation (SIGTERM, timeout) stop
    claiming, let the sends in flight finish or give their rows back, then re-raise."""
    counts: Counter[str] = Counter()
    try:
        async for ids in pages:
            counts.update(await delivery.process_all(ids, content_of, sender,
                                                     claim_sql=claim_sql,
                                                     lanes=sender.lanes))
    except asyncio.CancelledError:
        sender.stop.set()
        await sender.outlet.drain()
        raise
    return dict(counts)


async def _retry_soon(campaign_id: int, batch: int, sender: Sender) -> bool:
    """Rows of this batch waiting for a retry due within RETRY_WAIT: wait for them here
    (True) rather than leave them to a later tick. Later retries are the tick's."""
    due = await fetchval("SELECT min(not_before) FROM marketing_sends WHERE campaign = $1 "
                         "AND batch = $2 AND state = 'queued'", campaign_id, batch)
    if due is None or due - sender.clock.now() > RETRY_WAIT:
        return False
    await asyncio.sleep(max(0.0, (due - sender.clock.now()).total_seconds()))
    return True


async def send_campaign_batch(campaign_id: int, batch: int, *, sender: Sender) -> dict:
    """Send the due queued rows of one batch of a campaign that is sending."""
    content = await campaign_content(campaign_id)
    if content is None:
        return {"not_sending": 1}

    async def pages():
        after = 0
        while True:
            ids = await _queued_ids(
                "SELECT id FROM marketing_sends WHERE campaign = $1 AND batch = $2 "
                "AND state = 'queued' AND id > $3 AND (not_before IS NULL OR not_before <= $4) "
                "ORDER BY id LIMIT $5", campaign_id, batch, after, sender.clock.now(), PAGE)
            if not ids:
                if not await _retry_soon(campaign_id, batch, sender):
                    return
                after = 0
                continue
            yield ids
            after = ids[-1]
            if not await fetchval("SELECT state = 'sending' AND approved_revision = revision "
                                  "FROM campaigns WHERE id = $1", campaign_id):
                return  # paused, cancelled or edited: stop at once

    async def same(_send_id: int) -> Content:
        return content

    return await _run(sender, pages(), same, CLAIM_CAMPAIGN)


async def send_sequence_batch(first_id: int, last_id: int, *, sender: Sender) -> dict:
    """Send the due queued sequence emails with ids in [first_id, last_id]."""
    rows = await fetch(
        "SELECT s.id, s.enrollment, s.step_key, e.sequence, e.version FROM marketing_sends s "
        "JOIN sequence_enrollments e ON e.id = s.enrollment WHERE s.enrollment IS NOT NULL "
        "AND s.state = 'queued' AND s.id BETWEEN $1 AND $2 ORDER BY s.id", first_id, last_id)
    keys = {row["id"]: (row["sequence"], row["version"], row["step_key"]) for row in rows}
    cache: dict[tuple, Content | None] = {}
    by_id = {row["id"]: row for row in rows}

    async def content_of(send_id: int) -> Content | None:
        key = keys[send_id]
        if key not in cache:
            cache[key] = await sequence_content(by_id[send_id]["enrollment"], key[2])
        return cache[key]

    async def pages():
        yield list(keys)

    counts = await _run(sender, pages(), content_of, CLAIM_SEQUENCE)
    # A step whose enrolment was exited meanwhile (applied, unsubscribed, by hand) is not
    # sent; the scheduler reads 'skipped'. A paused one waits; a completed one is sent.
    await execute("UPDATE marketing_sends s SET state = 'skipped', reason = 'enrollment' "
                  "FROM sequence_enrollments e WHERE s.id BETWEEN $1 AND $2 "
                  "AND s.state = 'queued' AND e.id = s.enrollment "
                  "AND e.state = 'exited'", first_id, last_id)
    return counts


# --- Controls ------------------------------------------------------------------------


def _actor(by: Staff | str) -> str:
    return by if isinstance(by, str) else by.email


async def _transition(campaign_id: int, sql: str, action: str, by: Staff | str,
                      clock: Clock, *args: Any) -> dict:
    now = clock.now()
    async with transaction():
        rows = await fetch(sql, campaign_id, now, *args)
        if not rows:
            if not await fetch("SELECT 1 FROM campaigns WHERE id = $1", campaign_id):
                raise NotFound("There is no such campaign.")
            raise Conflict("The campaign cannot do that in its current state.")
        await audit.record(action=action, at=now, actor=_actor(by),
                           subject=f"campaign:{campaign_id}", detail=dict(rows[0]))
    return rows[0]


async def pause(campaign_id: int, by: Staff | str, clock: Clock) -> None:
    """Stop sending now: claims need state 'sending', so no new send starts; sends
    already claimed finish."""
    await _transition(campaign_id,
                      "UPDATE campaigns SET state = 'paused', paused_at = $2 WHERE id = $1 "
                      "AND state IN ('scheduled', 'sending') RETURNING name, state",
                      "campaign.paused", by, clock)


async def resume(campaign_id: int, by: Staff | str, clock: Clock,
                 queue: TaskQueue | None = None) -> None:
    """Continue exactly where it stopped: the queued rows are still queued."""
    await _transition(campaign_id,
                      "UPDATE campaigns SET state = CASE WHEN started_at IS NULL THEN "
                      "'scheduled' ELSE 'sending' END, paused_at = NULL, "
                      # The lease ends now, so the kick below can take over at once.
                      "sender_until = least(sender_until, $2) WHERE id = $1 "
                      "AND state = 'paused' AND approved_revision = revision "
                      "RETURNING name, state", "campaign.resumed", by, clock)
    if queue is not None:
        await kick(campaign_id, queue)


async def cancel(campaign_id: int, by: Staff | str, clock: Clock) -> None:
    """No more sends: queued rows become skipped ('cancelled')."""
    await _transition(
        campaign_id, "UPDATE campaigns SET state = 'cancelled', cancelled_at = $2 "
        "WHERE id = $1 AND state IN ('scheduled', 'sending', 'paused') RETURNING name, state",
        "campaign.cancelled", by, clock)
    await execute("UPDATE marketing_sends SET state = 'skipped', reason = 'cancelled' "
                  "WHERE campaign = $1 AND state = 'queued'", campaign_id)


async def decide_in_doubt(send_ids: list[int], decision: str, by: Staff | str,
                          clock: Clock, queue: TaskQueue | None = None) -> int:
    """A person's decision on sends left in doubt: 'sent' (count it as delivered) or
    'resend' (queue it again: their explicit choice). Returns how many were decided."""
    if decision not in {"sent", "resend"}:
        raise Invalid("Choose whether these emails were sent or should be sent again.",
                      {"decision": "Choose sent or resend."})
    now, actor = clock.now(), _actor(by)
    async with transaction():
        rows = await fetch(
            "UPDATE marketing_sends SET state = CASE WHEN $2 = 'sent' THEN 'sent' "
            "ELSE 'queued' END, sent_at = CASE WHEN $2 = 'sent' THEN claimed_at END, "
            "claimed_by = '', decided_by = $3, decided_at = $4 "
            "WHERE id = ANY($1::bigint[]) AND state = 'in_doubt' RETURNING id, campaign",
            send_ids, decision, actor, now)
        campaigns = sorted({row["campaign"] for row in rows if row["campaign"]})
        if decision == "resend" and campaigns:
            # A finished campaign has work again: the tick picks it up.
            await execute("UPDATE campaigns SET state = 'sending', finished_at = NULL "
                          "WHERE id = ANY($1::int[]) AND state = 'finished'", campaigns)
        for campaign_id in campaigns:
            ids = [row["id"] for row in rows if row["campaign"] == campaign_id]
            action = "campaign.in_doubt_sent" if decision == "sent" \
                else "campaign.in_doubt_resend"
            await audit.record(action=action, at=now, actor=actor,
                               subject=f"campaign:{campaign_id}",
                               detail={"send_ids": ids})
    if decision == "resend" and queue is not None:
        for campaign_id in campaigns:
            await kick(campaign_id, queue)
    return len(rows)
