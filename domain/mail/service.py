"""Outbound email: queue once (unique dedupe key), claim, send, record.

Transactional mail (confirmations, sign-in links) prefers at-least-once: a send whose
worker died is claimed again after `STALE_CLAIM`. Marketing mail will use a stricter
state machine (in_doubt) when campaigns arrive.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.db import fetch, transaction
from domain.engagement import service as engagement
from domain.outbox import service as outbox
from domain.ports import TaskQueue

STALE_CLAIM = timedelta(minutes=5)
MAX_ATTEMPTS = 5


async def queue_email(
    *, person_id: int | None, to: str, template: str, context: dict[str, Any],
    dedupe_key: str, now: datetime, queue: TaskQueue | None, kind: str = "transactional",
) -> int | None:
    """Record an email to send and its outbox task. Returns None when the key was used."""
    rows = await fetch(
        "INSERT INTO outbound_emails (person, to_address, template, context, kind, state, "
        "dedupe_key, created_at) VALUES ($1, $2, $3, $4::jsonb, $5, 'queued', $6, $7) "
        "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        person_id,
        to,
        template,
        json.dumps(context),
        kind,
        dedupe_key,
        now,
    )
    if not rows:
        return None
    email_id = rows[0]["id"]
    await outbox.add("send_email", email_id, now=now, queue=queue)
    return email_id


@dataclass(frozen=True)
class Outgoing:
    """One email of a batch (see `queue_emails`)."""

    person_id: int | None
    to: str
    context: dict[str, Any]
    dedupe_key: str


async def queue_emails(emails: list[Outgoing], *, template: str, now: datetime,
                       queue: TaskQueue | None, kind: str = "transactional") -> int:
    """`queue_email` for a whole audience in two statements (emails, then their outbox
    rows) instead of two per recipient. Returns how many were new (keys not used yet)."""
    if not emails:
        return 0
    rows = await fetch(
        "INSERT INTO outbound_emails (person, to_address, template, context, kind, state, "
        "dedupe_key, created_at) SELECT p, t, $4, c::jsonb, $5, 'queued', k, $6 "
        "FROM unnest($1::int[], $2::text[], $3::text[], $7::text[]) AS u(p, t, c, k) "
        "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        [email.person_id for email in emails], [email.to for email in emails],
        [json.dumps(email.context) for email in emails], template, kind, now,
        [email.dedupe_key for email in emails])
    await outbox.add_many("send_email", [(row["id"],) for row in rows], now=now, queue=queue)
    return len(rows)


async def claim(email_id: int, *, now: datetime) -> dict | None:
    """Take the email for sending; None when it is sent, failed, or another worker has it."""
    rows = await fetch(
        "UPDATE outbound_emails SET state = 'sending', claimed_at = $2, attempts = attempts + 1 "
        "WHERE id = $1 AND (state = 'queued' OR (state = 'sending' AND claimed_at < $3)) "
        "RETURNING id, person, to_address, template, context, kind, attempts",
        email_id,
        now,
        now - STALE_CLAIM,
    )
    if not rows:
        return None
    row = rows[0]
    if isinstance(row["context"], str):
        row["context"] = json.loads(row["context"])
    return row


async def mark_sent(email_id: int, *, subject: str, message_id: str, now: datetime) -> None:
    async with transaction():
        rows = await fetch(
            "UPDATE outbound_emails SET state = 'sent', sent_at = $2, subject = $3, "
            "message_id = $4, last_error = '' WHERE id = $1 AND state = 'sending' "
            "RETURNING person, template",
            email_id,
            now,
            subject,
            message_id,
        )
        if rows and rows[0]["person"] is not None:
            await engagement.record(
                person_id=rows[0]["person"], type="email_sent", occurred_at=now,
                source=rows[0]["template"], payload={"email_id": email_id, "subject": subject},
            )


async def release_for_retry(email_id: int, *, error: str) -> bool:
    """Put a failed attempt back in the queue; after MAX_ATTEMPTS mark it failed.
    Returns True when another attempt should be made."""
    rows = await fetch(
        "UPDATE outbound_emails SET state = CASE WHEN attempts >= $3 THEN 'failed' "
        "ELSE 'queued' END, last_error = $2 WHERE id = $1 AND state = 'sending' "
        "RETURNING state",
        email_id,
        error[:1000],
        MAX_ATTEMPTS,
    )
    return bool(rows) and rows[0]["state"] == "queued"


async def mark_failed(email_id: int, *, error: str) -> None:
    await fetch(
        "UPDATE outbound_emails SET state = 'failed', last_error = $2 WHERE id = $1",
        email_id,
        error[:1000],
    )
