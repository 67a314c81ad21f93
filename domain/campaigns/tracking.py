"""Opens and clicks: a Redis buffer on the request path, a batched writer behind it.

The endpoints (web_tracking.py) do O(1) work: verify the signed token (pure), push one
compact record onto a Redis list, answer. The writer moves records to a processing list
with RPOPLPUSH (each move atomic: a record is always in exactly one of the two lists),
writes a whole batch in one transaction, and only then empties the processing list. A
writer that dies at any point leaves its batch in the processing list; the next run
writes it again, and the unique `tracking_events.hit_id` makes that second write insert
nothing — and, since every rollup is computed from the rows actually inserted, count
nothing twice. So a crash loses no hit and duplicates none.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.campaigns import links
from domain.campaigns.tracking_flags import CLICK_PREFETCH, FLAGS
from domain.db import fetch, transaction

BUFFER = "talentloop:tracking:hits"
PROCESSING = "talentloop:tracking:processing"
WRITER_LOCK = "talentloop:tracking:writer"
BATCH = 1_000
LOCK_SECONDS = 30  # refreshed after every batch; a crashed writer blocks no longer
_KINDS = {"o": "open", "c": "click"}


@dataclass(frozen=True)
class Hit:
    hit_id: str
    kind: str  # open | click
    send_id: int
    link_id: int | None
    flag: str
    at: datetime


_ids: tuple[int, str, itertools.count[int]] | None = None


def new_hit_id() -> str:
    """Unique without a syscall per hit: a random prefix per process plus a counter."""
    global _ids
    if _ids is None or _ids[0] != os.getpid():  # a forked child needs its own prefix
        _ids = (os.getpid(), secrets.token_hex(8), itertools.count())
    return f"{_ids[1]}{next(_ids[2]):x}"


def encode(kind: str, send_id: int, link_id: int | None, flag: str, at: datetime) -> str:
    """One buffered hit as a short line: kind|hit id|epoch ms|send|link|flag."""
    hit_id = new_hit_id()
    millis = int(at.timestamp() * 1000)
    return f"{kind[0]}|{hit_id}|{millis}|{send_id}|{'' if link_id is None else link_id}|{flag}"


def decode(record: bytes | str) -> Hit | None:
    """The hit of a buffered line; None for anything malformed (skipped, never fatal)."""
    text = record.decode() if isinstance(record, bytes) else record
    parts = text.split("|")
    if len(parts) != 6 or parts[0] not in _KINDS or parts[5] not in FLAGS:
        return None
    try:
        at = datetime.fromtimestamp(int(parts[2]) / 1000, UTC)
        link = int(parts[4]) if parts[4] else None
        return Hit(parts[1][:40], _KINDS[parts[0]], int(parts[3]), link, parts[5], at)
    except (ValueError, OverflowError, OSError):
        return None


async def buffer_hit(redis: Any, kind: str, send_id: int, link_id: int | None, *,
                     flag: str, at: datetime) -> None:
    await redis.lpush(BUFFER, encode(kind, send_id, link_id, flag, at))


class HitBuffer:
    """Pushes hits onto the buffer list, coalescing concurrent ones into one LPUSH.

    A push goes out at once when none is in flight; hits arriving meanwhile ride the next
    LPUSH together. So a single hit waits for nothing extra, and under load one Redis
    round trip carries many hits. Each caller returns only once its own hit is in Redis
    (or gets the error), so an answered request was buffered. LPUSH of a, b, c leaves c
    at the head: the writer's RPOP still takes them oldest first.
    """

    def __init__(self, redis: Any) -> None:
        self._redis = redis
        self._records: list[str] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._sender: asyncio.Task[None] | None = None

    async def push(self, kind: str, send_id: int, link_id: int | None, *, flag: str,
                   at: datetime) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._records.append(encode(kind, send_id, link_id, flag, at))
        self._waiters.append(waiter)
        if self._sender is None:
            # Its own task: a request cancelled mid-push must not strand the others.
            self._sender = asyncio.create_task(self._send_all())
        await asyncio.shield(waiter)

    async def _send_all(self) -> None:
        try:
            while self._records:
                records, waiters = self._records, self._waiters
                self._records, self._waiters = [], []
                try:
                    await self._redis.lpush(BUFFER, *records)
                except Exception as exc:  # each waiting request answers with the error
                    for waiter in waiters:
                        if not waiter.done():
                            waiter.set_exception(exc)
                    continue
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_result(None)
        finally:
            self._sender = None


class LinkUrls:
    """An in-process LRU of link id → stored URL. A link's URL never changes (rows are
    written once per content), so entries never go stale; only misses read the database."""

    def __init__(self, size: int = 20_000) -> None:
        self._size = size
        self._urls: OrderedDict[int, str] = OrderedDict()

    def cached(self, link_id: int) -> str | None:
        """The URL if this process has it already, without touching the LRU order (a
        hot link stays cached anyway: every miss reads and re-inserts it)."""
        return self._urls.get(link_id)

    async def url(self, link_id: int) -> str | None:
        found = self._urls.get(link_id)
        if found is not None:
            self._urls.move_to_end(link_id)
            return found
        stored = await links.url_of(link_id)
        if stored is not None:
            self._urls[link_id] = stored
            if len(self._urls) > self._size:
                self._urls.popitem(last=False)
        return stored


# -- the writer ------------------------------------------------------------------------------

async def _claim(redis: Any, batch: int) -> list[bytes]:
    """The processing list: a previous run's unfinished batch, else a new one."""
    leftover = await redis.lrange(PROCESSING, 0, -1)
    if leftover:
        return list(reversed(leftover))  # RPOPLPUSH pushed each on the left: oldest last
    waiting = min(batch, int(await redis.llen(BUFFER)))
    if waiting == 0:
        return []
    pipe = redis.pipeline(transaction=False)
    for _ in range(waiting):
        pipe.rpoplpush(BUFFER, PROCESSING)
    return [record for record in await pipe.execute() if record is not None]


_RELEASE = ("if redis.call('get', KEYS[1]) == ARGV[1] then "
            "return redis.call('del', KEYS[1]) else return 0 end")


async def flush(redis: Any, *, batch: int = BATCH, max_batches: int = 100) -> int:
    """Write buffered hits, a batch per transaction, until the buffer is empty (or
    max_batches). One writer at a time (a Redis lock): two would share the processing
    list. Returns how many new tracking events were stored."""
    token = secrets.token_hex(8)
    if not await redis.set(WRITER_LOCK, token, nx=True, ex=LOCK_SECONDS):
        return 0
    stored = 0
    try:
        for _ in range(max_batches):
            records = await _claim(redis, batch)
            if not records:
                break
            stored += await write([hit for hit in map(decode, records) if hit is not None])
            await redis.delete(PROCESSING)  # only after the batch committed
            await redis.expire(WRITER_LOCK, LOCK_SECONDS)
    finally:
        await redis.eval(_RELEASE, 1, WRITER_LOCK, token)
    return stored


_INSERT_EVENTS = """
INSERT INTO tracking_events (send, kind, link, flag, occurred_at, hit_id)
SELECT u.send, u.kind, u.link,
       CASE WHEN u.kind = 'click' AND u.flag = '' AND s.sent_at IS NOT NULL
                 AND u.at < s.sent_at + $7::interval THEN 'prefetch' ELSE u.flag END,
       u.at, u.hit
FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::timestamptz[],
            $6::text[]) AS u(send, kind, link, flag, at, hit)
JOIN marketing_sends s ON s.id = u.send
ON CONFLICT (hit_id) DO NOTHING
RETURNING id, send, kind, link, flag, occurred_at, hit_id
"""

# Pixel opens (also by privacy proxies: the reports' privacy caveat) and human clicks;
# a human click also proves an open the blocked images could not report.
_ROLL_UP_SENDS = """
UPDATE marketing_sends m SET
    opens = m.opens + r.opens, opened_at = LEAST(m.opened_at, r.first_open),
    clicks = m.clicks + r.clicks, clicked_at = LEAST(m.clicked_at, r.first_click)
FROM (
    SELECT send,
           count(*) FILTER (WHERE kind = 'open' AND flag <> 'prefetch') AS opens,
           min(at) FILTER (WHERE (kind = 'open' AND flag <> 'prefetch')
                              OR (kind = 'click' AND flag = '')) AS first_open,
           count(*) FILTER (WHERE kind = 'click' AND flag = '') AS clicks,
           min(at) FILTER (WHERE kind = 'click' AND flag = '') AS first_click
    FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[])
         AS u(send, kind, flag, at)
    GROUP BY send
) r
WHERE m.id = r.send
"""

# Unique clicks: sends whose first human click on the link is in this batch.
_ROLL_UP_LINKS = """
UPDATE tracked_links l SET clicks = l.clicks + r.clicks,
                           unique_clicks = l.unique_clicks + r.first_time
FROM (
    SELECT u.link, count(*) AS clicks,
           count(DISTINCT u.send) FILTER (WHERE NOT EXISTS (
               SELECT 1 FROM tracking_events e
               WHERE e.send = u.send AND e.kind = 'click' AND e.link = u.link
                 AND e.flag = '' AND e.id <> ALL($3::bigint[]))) AS first_time
    FROM unnest($1::bigint[], $2::bigint[]) AS u(link, send)
    GROUP BY u.link
) r
WHERE l.id = r.link
"""

# Flagged hits get their own event types, which the engagement score does not weigh.
_ENGAGEMENT = """
INSERT INTO engagement_events (person, type, occurred_at, source, payload, external_id)
SELECT m.person,
       CASE WHEN u.kind = 'open' AND u.flag = '' THEN 'email_opened'
            WHEN u.kind = 'open' THEN 'email_opened_automatically'
            WHEN u.flag = '' THEN 'email_clicked'
            ELSE 'email_clicked_automatically' END,
       u.at, 'email',
       jsonb_strip_nulls(jsonb_build_object(
           'send', m.id, 'campaign', m.campaign, 'enrollment', m.enrollment,
           'step', NULLIF(m.step_key, ''), 'link', u.link, 'flag', NULLIF(u.flag, ''))),
       'hit:' || u.hit
FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::timestamptz[],
            $6::text[]) AS u(send, kind, link, flag, at, hit)
JOIN marketing_sends m ON m.id = u.send
ON CONFLICT (external_id) WHERE external_id IS NOT NULL DO NOTHING
"""


async def write(hits: list[Hit]) -> int:
    """Store a batch and its rollups in one transaction; returns the new events."""
    if not hits:
        return 0
    async with transaction():
        rows = await fetch(
            _INSERT_EVENTS, [h.send_id for h in hits], [h.kind for h in hits],
            [h.link_id for h in hits], [h.flag for h in hits], [h.at for h in hits],
            [h.hit_id for h in hits], CLICK_PREFETCH)
        if rows:
            await _roll_up(rows)
    return len(rows)


async def _roll_up(rows: list[dict[str, Any]]) -> None:
    sends = [r["send"] for r in rows]
    kinds = [r["kind"] for r in rows]
    flags = [r["flag"] for r in rows]
    times = [r["occurred_at"] for r in rows]
    await fetch(_ROLL_UP_SENDS, sends, kinds, flags, times)
    clicks = [r for r in rows if r["kind"] == "click" and r["flag"] == ""
              and r["link"] is not None]
    if clicks:
        await fetch(_ROLL_UP_LINKS, [r["link"] for r in clicks], [r["send"] for r in clicks],
                    [r["id"] for r in rows])
    await fetch(_ENGAGEMENT, sends, kinds, [r["link"] for r in rows], flags, times,
                [r["hit_id"] for r in rows])


# -- unsubscribes --------------------------------------------------------------------------

UNSUBSCRIBE_ATTRIBUTION_DAYS = 30


async def attribute_unsubscribe(person_id: int, *, purpose: str, scope: str,
                                at: datetime) -> int | None:
    """Credit a one-click unsubscribe to the person's latest marketing email for that
    purpose and scope sent in the last 30 days (campaign or sequence step), for the
    reports. Returns the send id, or None when no recent send explains it."""
    rows = await fetch(
        "UPDATE marketing_sends SET unsubscribed_at = $4 WHERE id = ("
        " SELECT s.id FROM marketing_sends s"
        " LEFT JOIN campaigns c ON c.id = s.campaign"
        " LEFT JOIN sequence_enrollments e ON e.id = s.enrollment"
        " LEFT JOIN sequences q ON q.id = e.sequence"
        " WHERE s.person = $1 AND s.sent_at > $4::timestamptz - make_interval(days => $5::int)"
        " AND s.sent_at <= $4::timestamptz AND coalesce(c.purpose, q.purpose) = $2"
        " AND coalesce(c.consent_scope, q.consent_scope) = $3"
        " ORDER BY s.sent_at DESC, s.id DESC LIMIT 1)"
        " AND unsubscribed_at IS NULL RETURNING id",
        person_id, purpose, scope, at, UNSUBSCRIBE_ATTRIBUTION_DAYS)
    return int(rows[0]["id"]) if rows else None
