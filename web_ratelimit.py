"""Rate limits for public write endpoints, counted in Redis so every web process shares them.

Keyed on the socket peer, never X-Forwarded-For: a header is whatever the client says
(QUALITY.md 1.6). One INCR per request in a fixed window is atomic across processes.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from litestar.connection import ASGIConnection
from litestar.exceptions import TooManyRequestsException
from litestar.handlers.base import BaseRouteHandler

Guard = Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]


def rate_limited(bucket: str, *, limit: int, window_seconds: int) -> Guard:
    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        if connection.scope.get("method") != "POST":
            return
        peer = connection.client.host if connection.client else "unknown"
        window = int(time.time()) // window_seconds
        key = f"talentloop:ratelimit:{bucket}:{peer}:{window}"
        redis = connection.app.state.redis
        count = await redis.incr(key)
        if count == 1:
            await redis.expire(key, window_seconds)
        if count > limit:
            retry_after = window_seconds - int(time.time()) % window_seconds
            raise TooManyRequestsException(
                "Too many attempts from your network. Wait a minute and try again.",
                headers={"Retry-After": str(retry_after)},
            )

    return guard


async def allow(redis, key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one use of `key` in the current window; False once over the limit."""
    window = int(time.time()) // window_seconds
    full_key = f"talentloop:ratelimit:{key}:{window}"
    count = await redis.incr(full_key)
    if count == 1:
        await redis.expire(full_key, window_seconds)
    return count <= limit
