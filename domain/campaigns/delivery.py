"""Marketing sends, start to finish, a small group at a time: claim the rows, check
eligibility under the people's locks, compose, send over the pool, record the outcomes.

Exactly-once-ish (QUALITY.md 1.1): the claim (`queued → sending`) commits before any
SMTP, and `sent` is written after the server accepted the message. A worker killed in
between leaves the row `sending`, which the tick turns `in_doubt` for a person to decide;
it is never sent again automatically. A graceful stop (SIGTERM: arq cancels the task)
never makes a send in doubt: once claimed, the rest runs shielded from cancellation, and
a send that has not reached SMTP yet is put back to `queued` instead.

Why groups: a send is cheap next to its database round trips (claim, begin, lock, read,
mark, commit), and the worker is CPU-bound (B5). A group of `group_size` sends shares
them, on one pool connection: one claim, one transaction opened together with the lock
on its people, one read of their facts, the messages, and every outcome recorded in one
statement. The sends claimed at once in a
worker (the in-doubt bound after a kill) stay `lanes`: groups in flight times group size.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from domain.campaigns import eligibility
from domain.campaigns.compose import Composed, Content, compose, new_identity
from domain.campaigns.throttle import TokenBuckets
from domain.db import execute, fetch, holding, transaction_opened_by
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
    layout and sends it, with `slots` bounding the groups in flight in this process."""

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
    lanes: int = 4  # sends claimed at once by one batch run
    group_size: int = 3  # sends sharing one claim and one transaction
    stop: asyncio.Event = field(default_factory=asyncio.Event)


# $1 the ids, in order; SKIP LOCKED: rows another worker is claiming right now are its
# (a claim that then fails leaves them queued for a later run), and two claims never wait
# on each other. Each id must be one primary-key lookup: given `state = 'queued'`, the
# planner may walk the whole queued-rows partial index instead (it did in B5, and
# always right after a campaign's rows are inserted, before there are statistics):
# hundreds of buffers per claim of three, growing with the campaign. `IS TRUE` keeps
# the condition but stops it matching the partial indexes' predicate.
_CLAIM_HEAD = (
    "WITH picked AS (SELECT m.id FROM unnest($1::bigint[]) AS x(id) "
    "JOIN marketing_sends m ON m.id = x.id WHERE (m.state = 'queued') IS TRUE "
    "ORDER BY m.id FOR UPDATE OF m SKIP LOCKED) "
    "UPDATE marketing_sends s SET state = 'sending', claimed_by = $2, claimed_at = $3, "
    "message_id = u.message_id, reply_token = u.reply_token "
    "FROM picked, unnest($1::bigint[], $4::text[], $5::text[]) "
    "AS u(id, message_id, reply_token), ")
_CLAIM_RETURNING = (
    "RETURNING s.id, s.person, s.error, s.message_id, s.reply_token, p.email, p.full_name, "
    "pr.skills")
CLAIM_CAMPAIGN = (
    _CLAIM_HEAD + "campaigns c, people p LEFT JOIN profiles pr ON pr.person = p.id "
    "WHERE s.id = picked.id AND u.id = s.id AND c.id = s.campaign AND c.state = 'sending' "
    "AND c.approved_revision = c.revision AND p.id = s.person " + _CLAIM_RETURNING)
CLAIM_SEQUENCE = (
    _CLAIM_HEAD + "sequence_enrollments e, people p LEFT JOIN profiles pr ON pr.person = p.id "
    "WHERE s.id = picked.id AND u.id = s.id AND e.id = s.enrollment "
    # 'completed' too: an email step followed at once by `end` completes the enrolment in
    # the same scheduler tick that queued the email, which must still go out.
    "AND e.state IN ('active', 'completed') "
    "AND p.id = s.person " + _CLAIM_RETURNING)

# Every outcome of a group in one statement; NULL keeps a column as it is. Rows marked
# `sent` get their engagement event in the same statement. As in the claim, `IS TRUE`:
# with `state = 'sending'` the planner walked the recent-sends partial index (every
# sending, sent and in-doubt row of the table) for each group of three (B5: 3.7 ms and
# ~550 buffers per group, growing with every send; 0.4 ms by primary key).
RECORD_OUTCOMES = """
WITH o AS (
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
    AS o(id, state, reason, error, not_before)),
u AS (
  UPDATE marketing_sends s SET state = o.state, reason = coalesce(o.reason, s.reason),
    error = coalesce(o.error, s.error), not_before = coalesce(o.not_before, s.not_before),
    sent_at = CASE WHEN o.state = 'sent' THEN $6 ELSE s.sent_at END,
    claimed_by = CASE WHEN o.state = 'queued' THEN '' ELSE s.claimed_by END,
    claimed_at = CASE WHEN o.state = 'queued' THEN NULL ELSE s.claimed_at END
  FROM o WHERE s.id = o.id AND (s.state = 'sending') IS TRUE
  RETURNING s.id, s.person, s.campaign, s.enrollment, s.step_key, s.state)
INSERT INTO engagement_events (person, type, occurred_at, source, payload)
SELECT person, 'email_sent', $6, $7, jsonb_build_object('send_id', id, 'campaign', campaign,
  'enrollment', enrollment, 'step_key', step_key) FROM u WHERE u.state = 'sent'
"""


_ASYNC_COMMIT = "SET LOCAL synchronous_commit TO off"


@dataclass(frozen=True)
class Outcome:
    result: str  # what process() reports: sent, skipped, failed, retry, released
    state: str  # the row's new state
    reason: str | None = None
    error: str | None = None
    not_before: datetime | None = None


def _rates(content: Content, sender: Sender) -> dict[str, float]:
    rates = {"global": sender.global_rate}
    if content.rate_per_minute:
        rates[content.key.rsplit(":", 1)[0]] = content.rate_per_minute / 60
    return rates


async def process(send_ids: list[int], content: Content, sender: Sender, *,
                  claim_sql: str) -> list[str]:
    """Send one group of rows (those that can be claimed); what happened to each."""
    async with sender.outlet.slots:
        if sender.stop.is_set():
            return ["stopped"] * len(send_ids)
        rest: list[str] = []
        if sender.buckets is not None:
            taken = await sender.buckets.acquire(_rates(content, sender), sender.stop,
                                                 count=len(send_ids))
            if taken < len(send_ids):  # stopping: only what has tokens may go
                send_ids, rest = send_ids[:taken], ["stopped"] * (len(send_ids) - taken)
            if not send_ids:
                return rest
        task = asyncio.ensure_future(_claim_and_deliver(send_ids, content, sender, claim_sql))
        sender.outlet.track(task)
        # Cancellation (SIGTERM, timeout) stops the caller here, not the sends: the
        # claimed rows are finished or put back by the shielded task.
        return [*await asyncio.shield(task), *rest]


async def _claim_and_deliver(send_ids: list[int], content: Content, sender: Sender,
                             claim_sql: str) -> list[str]:
    identities = [new_identity() for _ in send_ids]
    async with holding():  # one pool connection for the claim and the transaction
        claimed = await fetch(claim_sql, send_ids, sender.worker_id, sender.clock.now(),
                              [i[0] for i in identities], [i[1] for i in identities])
        if not claimed:
            return ["not_claimed"] * len(send_ids)
        results = await _deliver(claimed, content, sender)
    return [results.get(send_id, "not_claimed") for send_id in send_ids]


async def _deliver(claimed: list[dict], content: Content, sender: Sender) -> dict[int, str]:
    audience = eligibility.Audience(content.purpose, content.scope, content.exclude_applicants)
    recipients = [eligibility.Recipient(row["id"], row["person"], row["email"])
                  for row in claimed]
    # The claim has committed (autocommit, durably) before this transaction opens: a
    # send that reaches SMTP is `sending` for good, whatever happens to the transaction.
    # So this one may commit without waiting for its WAL flush: a database crash can
    # lose only its outcomes, and the rows it leaves `sending` become in doubt, never
    # sent again. (The flush wait was a tenth of a group's time in B5.)
    async with transaction_opened_by(f"{_ASYNC_COMMIT}; {eligibility.lock_people(recipients)}"):
        why = await eligibility.check(recipients, audience, now=sender.clock.now(),
                                      window_days=sender.cap_days)
        # All of them run to the end before anything else is decided: a message that
        # reached SMTP must not be left unrecorded because another one raised.
        finished = await asyncio.gather(*await _started(claimed, why, content, sender),
                                        return_exceptions=True)
        done: dict[int, Outcome] = {}
        for row, outcome in zip(claimed, finished, strict=True):
            if isinstance(outcome, BaseException):  # not a mail error: a bug or the database
                raise outcome  # rolls back: the claimed rows stay `sending`, then in doubt
            done[row["id"]] = outcome
        await _record(done, content, sender)
    return {send_id: outcome.result for send_id, outcome in done.items()}


async def _started(claimed: list[dict], why: dict[int, str], content: Content,
                   sender: Sender) -> list[asyncio.Future]:
    """One task per message, started one at a time: each composes its message before its
    first wait, and started together the whole group's composing ran in one pass of the
    event loop (about 6 ms for twelve), holding back every SMTP and database reply that
    had arrived meanwhile, the other group's included (B5). Yielding between them lets
    those replies through after each message."""
    tasks: list[asyncio.Future] = []
    for row in claimed:
        tasks.append(asyncio.ensure_future(_one(row, why[row["id"]], content, sender)))
        await asyncio.sleep(0)
    return tasks


async def _one(recipient: dict, why: str, content: Content, sender: Sender) -> Outcome:
    """One message of the group: skip, compose, send; the outcome to record."""
    if why:
        return Outcome("skipped", "skipped", reason=why, error="")
    try:
        message = compose(content, recipient)
    except TemplateProblem as exc:
        return Outcome("failed", "failed", reason="", error=str(exc)[:2000])
    if sender.stop.is_set():  # stopping, and SMTP has not started: give it back
        return Outcome("released", "queued")
    try:
        await sender.outlet.send(message)
    except TemporarySendError as exc:
        return _retry_or_fail(recipient, str(exc), sender)
    except PermanentSendError as exc:
        return Outcome("failed", "failed", reason="", error=str(exc)[:2000])
    return Outcome("sent", "sent", error="")


async def _record(done: dict[int, Outcome], content: Content, sender: Sender) -> None:
    ids = list(done)
    await execute(RECORD_OUTCOMES, ids, [done[i].state for i in ids],
                  [done[i].reason for i in ids], [done[i].error for i in ids],
                  [done[i].not_before for i in ids], sender.clock.now(),
                  content.key.split(":", 1)[0])


def attempts_of(error: str) -> int:
    """Temporary failures so far, kept as an "[n] " prefix of `error` (no column)."""
    match = _ATTEMPTS.match(error or "")
    return int(match.group(1)) if match else 0


def _retry_or_fail(recipient: dict, error: str, sender: Sender) -> Outcome:
    attempts = attempts_of(recipient["error"]) + 1
    if attempts >= MAX_ATTEMPTS:
        return Outcome("failed", "failed", reason="", error=f"[{attempts}] {error}"[:2000])
    later = sender.clock.now() + sender.retry_delay * (2 ** (attempts - 1))
    return Outcome("retry", "queued", error=f"[{attempts}] {error}"[:2000], not_before=later)


async def process_all(ids: Iterable[int], content_of: Any, sender: Sender, *,
                      claim_sql: str, lanes: int) -> list[str]:
    """Send these rows, at most `lanes` claimed at once, in groups of consecutive rows
    with the same content; `content_of(id)` gives the content (None: no content)."""
    size = max(1, sender.group_size)
    results: list[str] = []
    groups: list[tuple[list[int], Content]] = []
    for send_id in ids:
        content = await content_of(send_id)
        if content is None:
            results.append("no_content")
        elif groups and groups[-1][1].key == content.key and len(groups[-1][0]) < size:
            groups[-1][0].append(send_id)
        else:  # a new group: full, or another content (a sequence batch mixes steps)
            groups.append(([send_id], content))
    pending = iter(groups)

    async def lane() -> None:
        for group, content in pending:
            results.extend(await process(group, content, sender, claim_sql=claim_sql))

    await asyncio.gather(*(lane() for _ in range(max(1, lanes // size))))
    return results
