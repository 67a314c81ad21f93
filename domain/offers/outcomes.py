"""What happens after an offer is sent and the candidate answers, or does not.

Decision: an accepted or declined offer is told to the requisition's hiring team
(recruiters and hiring managers) and to the offer's author and approver, each once.
Expiry: a cron task expires every `sent` offer whose response deadline has ended (the
end of `expires_on` in the company's time zone), with an audit entry and a timeline
event, tells the candidate the offer lapsed and tells the team. Set-based: a constant
number of statements per batch of offers; the conditional UPDATE (`status = 'sent'`)
makes a re-run or a concurrent run expire and email nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from domain.db import fetch, transaction
from domain.mail import service as mail
from domain.offers import rules
from domain.ports import Clock, TaskQueue

TEAM_TEMPLATE = "offer_outcome"
EXPIRED_TEMPLATE = "offer_expired"
BATCH = 500

# Active staff on the hiring team of each offer's requisition, plus its author and
# approver: one row per (offer, address).
_TEAM = (
    "SELECT DISTINCT o.id, lower(s.email) AS email FROM offers o "
    "JOIN applications a ON a.id = o.application JOIN staff_users s ON s.is_active AND ("
    "s.id IN (SELECT m.staff FROM requisition_members m WHERE m.requisition = a.requisition "
    "AND m.role IN ('recruiter', 'hiring_manager')) "
    "OR lower(s.email) IN (lower(o.created_by), lower(o.approved_by))) "
    "WHERE o.id = ANY($1::int[]) ORDER BY o.id, 2")

_CLAIM_EXPIRED = (
    "UPDATE offers SET status = 'expired', updated_at = $2 WHERE id IN (SELECT id FROM "
    "offers WHERE status = 'sent' AND expires_on < $1 ORDER BY id LIMIT $3 "
    "FOR UPDATE SKIP LOCKED) AND status = 'sent' RETURNING id")

_RECORD_EXPIRED = """
WITH expired AS (
    SELECT o.id, o.application, o.title, a.person, p.email FROM offers o
    JOIN applications a ON a.id = o.application JOIN people p ON p.id = a.person
    WHERE o.id = ANY($1::int[])
), audited AS (
    INSERT INTO audit_entries (occurred_at, actor, action, subject, ip, detail)
    SELECT $2::timestamptz, 'system', 'offer.expired', 'offer:' || e.id, '',
           jsonb_build_object('application', e.application)
    FROM expired e
), timeline AS (
    INSERT INTO engagement_events (person, type, occurred_at, source, payload)
    SELECT e.person, 'offer_expired', $2::timestamptz, 'offer:' || e.id,
           jsonb_build_object('title', e.title)
    FROM expired e
)
SELECT id, person, email FROM expired ORDER BY id
"""


async def tell_team(offer_ids: list[int], outcome: str, *, now: datetime,
                    queue: TaskQueue | None) -> int:
    """Queue the outcome (accepted | declined | expired) to each offer's team."""
    rows = await fetch(_TEAM, offer_ids)
    return await mail.queue_emails([
        mail.Outgoing(None, row["email"], {"offer_id": row["id"], "outcome": outcome},
                      f"{TEAM_TEMPLATE}:{row['id']}:{outcome}:{row['email']}")
        for row in rows], template=TEAM_TEMPLATE, now=now, queue=queue)


async def record_expired(offer_ids: list[int], *, now: datetime,
                         queue: TaskQueue | None) -> None:
    """Audit, timeline and emails for offers just marked expired (in the caller's
    transaction)."""
    rows = await fetch(_RECORD_EXPIRED, offer_ids, now)
    await mail.queue_emails([
        mail.Outgoing(row["person"], row["email"], {"offer_id": row["id"]},
                      f"{EXPIRED_TEMPLATE}:{row['id']}") for row in rows],
        template=EXPIRED_TEMPLATE, now=now, queue=queue)
    await tell_team(offer_ids, "expired", now=now, queue=queue)


async def expire_due(*, clock: Clock, queue: TaskQueue | None, batch: int = BATCH) -> int:
    """Expire the sent offers whose deadline has ended; returns how many this run did."""
    now = clock.now()
    today = rules.deadline_today(now)
    expired = 0
    while True:
        async with transaction():
            rows = await fetch(_CLAIM_EXPIRED, today, now, batch)
            if rows:
                await record_expired([row["id"] for row in rows], now=now, queue=queue)
        expired += len(rows)
        if len(rows) < batch:
            return expired
