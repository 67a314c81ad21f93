"""Sending webhook deliveries: claim (two workers never send the same one), SSRF check
pinned to the checked address, POST, record the outcome, retry with backoff, give up,
auto-disable a failing subscription and tell its owner, and the log's retention."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from domain.audit import service as audit
from domain.db import fetch, transaction
from domain.integrations import webhook_rules as rules
from domain.mail import service as mail
from domain.ports import Clock, TaskQueue

LEASE = timedelta(minutes=2)  # a claimed delivery is not due again before this
BATCH = 50
PARALLEL = 10

# The claim: a conditional UPDATE over rows locked with SKIP LOCKED, so concurrent runs
# take disjoint sets, and a claimed row's next_attempt_at moves past `now` (the lease).
_CLAIM = """
UPDATE webhook_deliveries d SET attempts = d.attempts + 1, last_attempt_at = $1,
       next_attempt_at = $1 + $4::interval
FROM webhook_subscriptions s, webhook_events e
WHERE d.id IN (
    SELECT d2.id FROM webhook_deliveries d2
    JOIN webhook_subscriptions s2 ON s2.id = d2.subscription
    WHERE d2.status IN ('pending', 'failed') AND d2.next_attempt_at <= $1
      AND ($3::bigint IS NULL OR d2.id = $3) AND (s2.active OR d2.id = $3)
    ORDER BY d2.next_attempt_at, d2.id LIMIT $2
    FOR UPDATE OF d2 SKIP LOCKED)
  AND s.id = d.subscription AND e.id = d.event
RETURNING d.id, d.attempts, s.id AS subscription, s.url, s.secret, s.allow_private_network,
          e.event_id, e.type, e.payload, e.occurred_at
"""


@dataclass(frozen=True)
class Result:
    status_code: int | None
    error: str
    elapsed_ms: int
    connected: bool = True

    @property
    def ok(self) -> bool:
        return rules.outcome(self.status_code) == "delivered"


async def claim(*, now: datetime, limit: int = BATCH,
                delivery_id: int | None = None) -> list[dict]:
    return await fetch(_CLAIM, now, limit, delivery_id, LEASE)


class Refused(Exception):
    """The SSRF policy refuses this target; nothing was connected."""


async def resolve_checked(url: str, *, allow_private: bool) -> tuple[str, str]:
    """(host, address to connect to), or Refused. Every address the name resolves to must
    pass, so a name with one public and one private record cannot be used either."""
    problem = rules.url_problem(url)
    if problem:
        raise Refused(problem)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port,
                                                             type=socket.SOCK_STREAM)
    except OSError as exc:
        raise Refused(f"the host name could not be resolved ({exc})") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise Refused("the host name has no address")
    if not allow_private:
        for address in addresses:
            why = rules.ip_problem(address)
            if why:
                raise Refused(f"{host} resolves to {why} ({address})")
    return host, addresses[0]


async def post(url: str, body: bytes, headers: dict[str, str], *,
               allow_private: bool) -> Result:
    """POST to the checked address itself (Host header and TLS SNI keep the name, so the
    certificate is still verified against it): a DNS answer that changes between the
    check and the connect (rebinding) cannot redirect us. Redirects are not followed."""
    try:
        host, address = await resolve_checked(url, allow_private=allow_private)
    except Refused as exc:
        return Result(None, f"refused: {exc}"[: rules.ERROR_LIMIT], 0, connected=False)
    target = httpx.URL(url).copy_with(host=address)
    netloc = urlsplit(url).netloc
    started = time.monotonic()
    try:
        async with httpx.AsyncClient(timeout=rules.TIMEOUT_SECONDS, follow_redirects=False,
                                     trust_env=False) as client, \
                client.stream("POST", target, content=body,
                              headers={**headers, "Host": netloc},
                              extensions={"sni_hostname": host}) as response:
            status = response.status_code
            error = "" if 200 <= status < 300 else await _head(response)
    except httpx.HTTPError as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        return Result(None, f"{type(exc).__name__}: {exc}"[: rules.ERROR_LIMIT], elapsed)
    return Result(status, error, int((time.monotonic() - started) * 1000))


async def _head(response: httpx.Response) -> str:
    """The start of an error body for the log: a huge (or endless) body is not read."""
    head = b""
    async for chunk in response.aiter_bytes():
        head += chunk
        if len(head) >= rules.ERROR_LIMIT:
            break
    return head[: rules.ERROR_LIMIT].decode("utf-8", "replace")


async def send(row: dict) -> Result:
    payload = row["payload"]
    data = json.loads(payload) if isinstance(payload, str) else payload
    body = rules.envelope(event_id=row["event_id"], type_=row["type"],
                          occurred_at=row["occurred_at"], data=data)
    headers = rules.headers(event_id=row["event_id"], secret=row["secret"],
                            timestamp=int(time.time()), body=body)
    return await post(row["url"], body, headers, allow_private=row["allow_private_network"])


async def record(row: dict, result: Result, *, clock: Clock, queue: TaskQueue | None) -> str:
    """Write the attempt's outcome; returns the delivery's new status."""
    now = clock.now()
    counts = row["type"] != rules.TEST_EVENT  # a test does not move the failure count
    async with transaction():
        if result.ok:
            await fetch(
                "UPDATE webhook_deliveries SET status = 'delivered', delivered_at = $2, "
                "next_attempt_at = NULL, last_status_code = $3, last_error = '', "
                "response_ms = $4 WHERE id = $1", row["id"], now, result.status_code,
                result.elapsed_ms)
            if counts:
                await fetch("UPDATE webhook_subscriptions SET consecutive_failures = 0 "
                            "WHERE id = $1 AND consecutive_failures <> 0", row["subscription"])
            return "delivered"
        gave_up = row["attempts"] >= rules.MAX_ATTEMPTS
        status = "gave_up" if gave_up else "failed"
        await fetch(
            "UPDATE webhook_deliveries SET status = $2, next_attempt_at = $3, "
            "last_status_code = $4, last_error = $5, response_ms = $6 WHERE id = $1",
            row["id"], status, None if gave_up else now + rules.retry_delay(row["attempts"]),
            result.status_code, result.error, result.elapsed_ms)
        if counts:
            await _count_failure(row["subscription"], now=now, queue=queue)
        return status


async def _count_failure(subscription_id: int, *, now: datetime,
                         queue: TaskQueue | None) -> None:
    rows = await fetch(
        "UPDATE webhook_subscriptions SET consecutive_failures = consecutive_failures + 1 "
        "WHERE id = $1 RETURNING consecutive_failures, active", subscription_id)
    if not rows or not rows[0]["active"]:
        return
    if rows[0]["consecutive_failures"] >= rules.DISABLE_AFTER_FAILURES:
        await disable_failing(subscription_id, now=now, queue=queue)


async def disable_failing(subscription_id: int, *, now: datetime,
                          queue: TaskQueue | None) -> None:
    reason = f"Disabled after {rules.DISABLE_AFTER_FAILURES} failed deliveries in a row."
    rows = await fetch(
        "UPDATE webhook_subscriptions SET active = false, disabled_at = $2, "
        "disabled_reason = $3, updated_at = $2 WHERE id = $1 AND active RETURNING owner",
        subscription_id, now, reason)
    if not rows:
        return
    owners = await fetch("SELECT email FROM staff_users WHERE id = $1 AND is_active",
                         rows[0]["owner"])
    await audit.record(action="webhook.auto_disabled", at=now, actor="system",
                       subject=f"webhook:{subscription_id}", detail={"reason": reason})
    if owners:
        await mail.queue_email(
            person_id=None, to=owners[0]["email"], template="webhook_disabled",
            context={"subscription_id": subscription_id},
            dedupe_key=f"webhook_disabled:{subscription_id}:{now:%Y%m%d%H%M}", now=now,
            queue=queue)


async def deliver_due(*, clock: Clock, queue: TaskQueue | None, rounds: int = 5) -> int:
    """Send what is due (new and retries), a batch at a time; returns attempts made."""
    done = 0
    gate = asyncio.Semaphore(PARALLEL)

    async def one(row: dict) -> None:
        async with gate:
            result = await send(row)
        await record(row, result, clock=clock, queue=queue)

    for _ in range(rounds):
        rows = await claim(now=clock.now())
        await asyncio.gather(*(one(row) for row in rows))
        done += len(rows)
        if len(rows) < BATCH:
            break
    return done


async def deliver_one(delivery_id: int, *, clock: Clock,
                      queue: TaskQueue | None) -> dict[str, Any] | None:
    """Send one delivery now ("send test", "retry now"); None when it is not claimable
    (delivered, or another worker holds it)."""
    rows = await claim(now=clock.now(), limit=1, delivery_id=delivery_id)
    if not rows:
        return None
    result = await send(rows[0])
    status = await record(rows[0], result, clock=clock, queue=queue)
    return {"status": status, "status_code": result.status_code, "error": result.error,
            "elapsed_ms": result.elapsed_ms}


async def purge_old(*, now: datetime) -> int:
    """Retention: events older than 30 days whose every delivery was delivered go, with
    their deliveries (cascade). Failed and given-up ones stay for the log."""
    rows = await fetch(
        "WITH gone AS (DELETE FROM webhook_events e WHERE e.occurred_at < $1 "
        "AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event = e.id "
        "AND d.status <> 'delivered') RETURNING 1) SELECT count(*) AS n FROM gone",
        now - timedelta(days=rules.RETENTION_DAYS))
    return int(rows[0]["n"])
