"""The shared send rate: token buckets in Redis, checked and taken in one Lua script so
every worker draws from the same buckets (arq has no per-task rate limit).

`TokenBuckets(redis)` takes any redis.asyncio client (the domain does not import Redis;
the worker hands its connection in). A send takes one token from the global bucket and,
when the campaign has its own rate, from the campaign's, or from neither.
"""

from __future__ import annotations

import asyncio
import time
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
    """`lease`: tokens a call may take ahead for this object's later calls (one Redis
    round trip per several groups rather than per group: ~6 % of a send's CPU in B5).
    Only up to the smallest bucket's capacity, and a reserve older than `lease_seconds`
    is dropped, so the shared rate holds across workers within one lease."""

    def __init__(self, redis: Any, *, lease: int = 1, lease_seconds: float = 1.0) -> None:
        self._script = redis.register_script(_TAKE)
        self.lease, self.lease_seconds = max(1, lease), lease_seconds
        self._reserve: dict[tuple[tuple[str, float], ...], tuple[int, float]] = {}

    async def take(self, buckets: dict[str, float], count: int = 1) -> int:
        """`count` tokens from each bucket (name → tokens per second), or the ms to wait.
        A bucket holds at most max(1, rate) tokens: `count` must not exceed that."""
        keys = [PREFIX + name for name in buckets]
        args: list[float] = []
        for rate in buckets.values():
            args += [rate, max(1.0, rate)]
        return int(await self._script(keys=keys, args=[*args, count]))

    def _from_reserve(self, key: tuple[tuple[str, float], ...], want: int) -> int:
        held, since = self._reserve.pop(key, (0, 0.0))
        if time.monotonic() - since > self.lease_seconds:
            return 0
        used = min(held, want)
        if held > used:
            self._reserve[key] = (held - used, since)
        return used

    async def acquire(self, buckets: dict[str, float], stop: asyncio.Event,
                      count: int = 1) -> int:
        """Wait for `count` tokens (a group of sends takes them in one call when the
        buckets hold that many); how many were taken before `stop` was set."""
        key = tuple(sorted(buckets.items()))
        most = max(1, int(min(buckets.values())))  # the smallest bucket's capacity
        taken = self._from_reserve(key, count)
        while taken < count and not stop.is_set():
            want = min(count - taken, most)
            ahead = min(most, max(want, self.lease))  # what is left over stays reserved
            wait_ms = await self.take(buckets, ahead)
            if wait_ms and ahead > want:  # not enough for a lease: just this group's
                ahead = want
                wait_ms = await self.take(buckets, want)
            if wait_ms == 0:
                taken += want
                if ahead > want:
                    self._reserve[key] = (ahead - want, time.monotonic())
                continue
            try:
                await asyncio.wait_for(stop.wait(), timeout=wait_ms / 1000)
            except TimeoutError:
                continue
        return taken
