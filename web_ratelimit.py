"""Rate limits for public write endpoints, counted in Redis so every web process shares them.

Keyed on the socket peer, never X-Forwarded-For: a header is whatever the client says
(QUALITY.md 1.6). The window slides: each use is a timestamp in a sorted set, and a use
counts while it is younger than the window. A fixed clock-aligned window would let a burst
that straddles the boundary through twice the limit (and made the limit depend on when in
the minute an attacker started).
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Awaitable, Callable

from litestar.connection import ASGIConnection
from litestar.exceptions import TooManyRequestsException
from litestar.handlers.base import BaseRouteHandler

Guard = Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]
Clock = Callable[[], float]


async def _uses_in_window(redis, key: str, *, window_seconds: int, now: float) -> tuple[int, float]:
    """Record one use now; return the uses within the window and the oldest one's time."""
    pipe = redis.pipeline(transaction=True)
    pipe.zremrangebyscore(key, "-inf", now - window_seconds)
    pipe.zadd(key, {f"{now:.6f}:{uuid.uuid4().hex[:8]}": now})
    pipe.zcard(key)
    pipe.zrange(key, 0, 0, withscores=True)
    pipe.expire(key, window_seconds)
    _, _, count, oldest, _ = await pipe.execute()
    return int(count), float(oldest[0][1]) if oldest else now


def rate_limited(bucket: str, *, limit: int, window_seconds: int,
                 clock: Clock = time.time) -> Guard:
    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        if connection.scope.get("method") != "POST":
            return
        peer = connection.client.host if connection.client else "unknown"
        wait = await retry_after(connection.app.state.redis, f"{bucket}:{peer}", limit=limit,
                                 window_seconds=window_seconds, clock=clock)
        if wait is not None:
            raise TooManyRequestsException(
                "Too many attempts from your network. Wait a minute and try again.",
                headers={"Retry-After": str(wait)},
            )

    return guard


async def allow(redis, key: str, *, limit: int, window_seconds: int,
                clock: Clock = time.time) -> bool:
    """Count one use of `key` in the sliding window; False once over the limit."""
    return await retry_after(redis, key, limit=limit, window_seconds=window_seconds,
                             clock=clock) is None


async def count_use(redis, key: str, *, window_seconds: int, clock: Clock = time.time) -> None:
    """Count one use of `key` (a failure, say) without asking whether it was allowed:
    `wait_if_over` asks before the next attempt."""
    await _uses_in_window(redis, f"talentloop:ratelimit:{key}", window_seconds=window_seconds,
                          now=clock())


async def wait_if_over(redis, key: str, *, limit: int, window_seconds: int,
                       clock: Clock = time.time) -> int | None:
    """Without counting a use: None while fewer than `limit` uses of `key` are in the
    window, else in how many seconds enough of them leave it to fall below the limit."""
    now = clock()
    full = f"talentloop:ratelimit:{key}"
    since = f"({now - window_seconds}"  # exclusive, as _uses_in_window drops older ones
    count = int(await redis.zcount(full, since, "+inf"))
    if count < limit:
        return None
    leaving = await redis.zrangebyscore(full, since, "+inf", start=count - limit, num=1,
                                        withscores=True)
    oldest = float(leaving[0][1]) if leaving else now
    return max(1, math.ceil(oldest + window_seconds - now))


async def retry_after(redis, key: str, *, limit: int, window_seconds: int,
                      clock: Clock = time.time) -> int | None:
    """Like `allow`, but over the limit says in how many seconds the oldest use leaves the
    window (for a Retry-After header); None while within the limit."""
    now = clock()
    count, oldest = await _uses_in_window(redis, f"talentloop:ratelimit:{key}",
                                          window_seconds=window_seconds, now=now)
    return None if count <= limit else max(1, math.ceil(oldest + window_seconds - now))
