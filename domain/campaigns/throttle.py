"""The shared send rate: token buckets in Redis, checked and taken in one Lua script so
every worker draws from the same buckets (arq has no per-task rate limit).

`TokenBuckets(redis)` takes any redis.asyncio client (the domain does not import Redis;
the worker hands its connection in). A send takes one token from the global bucket and,
when the campaign has its own rate, from the campaign's, or from neither.
"""

from __future__ import annotations

import asyncio
from typing import Any

# KEYS: bucket keys. ARGV: rate_1, burst_1, rate_2, burst_2 … (tokens per second), then
# n, the tokens wanted (at most every bucket's burst). Returns 0 when n tokens were taken
# from every bucket, else the milliseconds to wait.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = tonumber(ARGV[#ARGV])
local wait, levels = 0, {}
for i, key in ipairs(KEYS) do
  local rate, burst = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local tokens, at = tonumber(state[1]) or burst, tonumber(state[2]) or now
  tokens = math.min(burst, tokens + (now - at) * rate / 1000)
  levels[i] = tokens
  if tokens < n then wait = math.max(wait, math.ceil((n - tokens) * 1000 / rate)) end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('HSET', key, 'tokens', levels[i] - n, 'at', now)
  redis.call('PEXPIRE', key, 60000)
end
return 0
"""
PREFIX = "talentloop:send-rate:"


class TokenBuckets:
    def __init__(self, redis: Any) -> None:
        self._script = redis.register_script(_TAKE)

    async def take(self, buckets: dict[str, float], count: int = 1) -> int:
        """`count` tokens from each bucket (name → tokens per second), or the ms to wait.
        A bucket holds at most max(1, rate) tokens: `count` must not exceed that."""
        keys = [PREFIX + name for name in buckets]
        args: list[float] = []
        for rate in buckets.values():
            args += [rate, max(1.0, rate)]
        return int(await self._script(keys=keys, args=[*args, count]))

    async def acquire(self, buckets: dict[str, float], stop: asyncio.Event,
                      count: int = 1) -> int:
        """Wait for `count` tokens (a group of sends takes them in one call when the
        buckets hold that many); how many were taken before `stop` was set."""
        most = max(1, int(min(buckets.values())))  # the smallest bucket's capacity
        taken = 0
        while taken < count and not stop.is_set():
            want = min(count - taken, most)
            wait_ms = await self.take(buckets, want)
            if wait_ms == 0:
                taken += want
                continue
            try:
                await asyncio.wait_for(stop.wait(), timeout=wait_ms / 1000)
            except TimeoutError:
                continue
        return taken
