"""One marketing send, start to finish: claim the row, check eligibility under the
person's lock, compose, send over the pool, record the outcome.

Exactly-once-ish (QUALITY.md 1.1): the claim (`queued → sending`) commits before any
SMTP, and `sent` is written after the server accepted the message. A worker killed in
between leaves the row `sending`, which the tick turns `in_doubt` for a person to decide;
it is never sent again automatically. A graceful stop (SIGTERM: arq cancels the task)
never makes a send in doubt: once claimed, the rest runs shielded from cancellation, and
a send that has not reached SMTP yet is put back to `queued` instead.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from domain.campaigns import eligibility
from domain.campaigns.compose import Composed, Content, compose, new_identity
from domain.campaigns.throttle import TokenBuckets
from domain.db import execute, fetch, transaction
from domain.ports import Clock
from domain.sandbox import TemplateProblem

MAX_ATTEMPTS = 5
_ATTEMPTS = re.compile(r"^\[(\d+)\] ")


class TemporarySendError(Exception):
    """The server said 'later' (4xx) or the connection broke: retry the send later."""


class PermanentSendError(Exception):
    """The server refused the message for good (5xx)."""


class Outlet(Protocol):
    """The worker's side: a pooled SMTP client that wraps a Composed message in the brand
    layout and sends it, with `slots` bounding the sends in flight in this process."""

    slots: asyncio.Semaphore

    async def send(self, message: Composed) -> None: ...

    def track(self, task: asyncio.Future) -> None: ...

    async def drain(self) -> None: ...


@dataclass
class Sender:
    outlet: Outlet
    clock: Clock
    worker_id: str
    buckets: TokenBuckets | None = None
    global_rate: float = 50.0
    retry_delay: timedelta = timedelta(seconds=60)
    cap_days: int = 7
    lanes: int = 4
    stop: asyncio.Event = field(default_factory=asyncio.Event)


CLAIM_CAMPAIGN = (
    "UPDATE marketing_sends s SET state = 'sending', claimed_by = $2, claimed_at = $3, "
    "message_id = $4, reply_token = $5 FROM campaigns c, people p "
    "LEFT JOIN profiles pr ON pr.person = p.id "
    "WHERE s.id = $1 AND s.state = 'queued' AND c.id = s.campaign AND c.state = 'sending' "
    "AND c.approved_revision = c.revision AND p.id = s.person "
    "RETURNING s.id, s.person, s.error, s.message_id, s.reply_token, p.email, p.full_name, "
    "pr.skills")
CLAIM_SEQUENCE = (
    "UPDATE marketing_sends s SET state = 'sending', claimed_by = $2, claimed_at = $3, "
    "message_id = $4, reply_token = $5 FROM sequence_enrollments e, people p "
    "LEFT JOIN profiles pr ON pr.person = p.id "
    "WHERE s.id = $1 AND s.state = 'queued' AND e.id = s.enrollment "
    # 'completed' too: an email step followed at once by `end` completes the enrolment in
    # the same scheduler tick that queued the email, which must still go out.
    "AND e.state IN ('active', 'completed') "
    "AND p.id = s.person "
    "RETURNING s.id, s.person, s.error, s.message_id, s.reply_token, p.email, p.full_name, "
    "pr.skills")


def _rates(content: Content, sender: Sender) -> dict[str, float]:
    rates = {"global": sender.global_rate}
    if content.rate_per_minute:
        rates[content.key.rsplit(":", 1)[0]] = content.rate_per_minute / 60
    return rates


async def process(send_id: int, content: Content, sender: Sender, *, claim_sql: str) -> str:
    """Send one row if it can be claimed; returns what happened."""
    async with sender.outlet.slots:
        if sender.stop.is_set():
            return "stopped"
        if sender.buckets is not None and not await sender.buckets.acquire(
                _rates(content, sender), sender.stop):
            return "stopped"
        task = asyncio.ensure_future(_claim_and_deliver(send_id, content, sender, claim_sql))
        sender.outlet.track(task)
        # Cancellation (SIGTERM, timeout) stops the caller here, not the send: the
        # claimed row is finished or put back by the shielded task.
        return await asyncio.shield(task)


async def _claim_and_deliver(send_id: int, content: Content, sender: Sender,
                             claim_sql: str) -> str:
    message_id, reply_token = new_identity()
    rows = await fetch(claim_sql, send_id, sender.worker_id, sender.clock.now(),
                       message_id, reply_token)
    if not rows:
        return "not_claimed"
    return await _deliver(rows[0], content, sender)


async def _deliver(recipient: dict, content: Content, sender: Sender) -> str:
    send_id = recipient["id"]
    audience = eligibility.Audience(content.purpose, content.scope, content.exclude_applicants)
    async with transaction():
        why = await eligibility.check(recipient["person"], recipient["email"], send_id,
                                      audience, now=sender.clock.now(),
                                      window_days=sender.cap_days)
        if why:
            await _finish(send_id, "skipped", reason=why)
            return "skipped"
        try:
            message = compose(content, recipient)
        except TemplateProblem as exc:
            await _finish(send_id, "failed", error=str(exc))
            return "failed"
        if sender.stop.is_set():  # stopping, and SMTP has not started: give it back
            await _release(send_id)
            return "released"
        try:
            await sender.outlet.send(message)
        except TemporarySendError as exc:
            return await _retry_or_fail(recipient, str(exc), sender)
        except PermanentSendError as exc:
            await _finish(send_id, "failed", error=str(exc))
            return "failed"
        await _mark_sent(recipient, content, sender)
    return "sent"


async def _finish(send_id: int, state: str, *, reason: str = "", error: str = "") -> None:
    await execute("UPDATE marketing_sends SET state = $2, reason = $3, error = $4 "
                  "WHERE id = $1 AND state = 'sending'", send_id, state, reason, error[:2000])


async def _release(send_id: int) -> None:
    await execute("UPDATE marketing_sends SET state = 'queued', claimed_by = '', "
                  "claimed_at = NULL WHERE id = $1 AND state = 'sending'", send_id)


def attempts_of(error: str) -> int:
    """Temporary failures so far, kept as an "[n] " prefix of `error` (no column)."""
    match = _ATTEMPTS.match(error or "")
    return int(match.group(1)) if match else 0


async def _retry_or_fail(recipient: dict, error: str, sender: Sender) -> str:
    attempts = attempts_of(recipient["error"]) + 1
    if attempts >= MAX_ATTEMPTS:
        await _finish(recipient["id"], "failed", error=f"[{attempts}] {error}")
        return "failed"
    later = sender.clock.now() + sender.retry_delay * (2 ** (attempts - 1))
    await execute("UPDATE marketing_sends SET state = 'queued', claimed_by = '', "
                  "claimed_at = NULL, not_before = $2, error = $3 "
                  "WHERE id = $1 AND state = 'sending'",
                  recipient["id"], later, f"[{attempts}] {error}"[:2000])
    return "retry"


async def _mark_sent(recipient: dict, content: Content, sender: Sender) -> None:
    source = content.key.split(":", 1)[0]
    await execute(
        "WITH s AS (UPDATE marketing_sends SET state = 'sent', sent_at = $2, error = '' "
        "WHERE id = $1 AND state = 'sending' RETURNING id, person, campaign, enrollment, "
        "step_key) INSERT INTO engagement_events (person, type, occurred_at, source, payload) "
        "SELECT person, 'email_sent', $2, $3, jsonb_build_object('send_id', id, "
        "'campaign', campaign, 'enrollment', enrollment, 'step_key', step_key) FROM s",
        recipient["id"], sender.clock.now(), source)


async def process_all(ids: Iterable[int], content_of: Any, sender: Sender, *,
                      claim_sql: str, lanes: int) -> list[str]:
    """Send these rows with `lanes` concurrent sends; `content_of(id)` gives the content."""
    pending = iter(ids)
    results: list[str] = []

    async def lane() -> None:
        for send_id in pending:
            content = await content_of(send_id)
            if content is None:
                results.append("no_content")
                continue
            results.append(await process(send_id, content, sender, claim_sql=claim_sql))

    await asyncio.gather(*(lane() for _ in range(max(1, lanes))))
    return results
