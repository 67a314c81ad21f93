"""The shared rate limiter's window slides: a burst cannot straddle a clock boundary."""

import os

from redis.asyncio import Redis

from web_ratelimit import allow


class SteppingClock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


async def _redis() -> Redis:
    return Redis.from_url(os.environ["REDIS_URL"])


async def test_a_burst_across_a_minute_boundary_is_still_limited():
    redis = await _redis()
    clock = SteppingClock(1_800_000_059.5)  # half a second before a whole minute
    verdicts = []
    for _ in range(11):
        verdicts.append(await allow(redis, "test:burst", limit=10, window_seconds=60, clock=clock))
        clock.now += 0.15  # eleven tries in 1.65 s, crossing :00
    await redis.aclose()
    assert verdicts == [True] * 10 + [False]


async def test_uses_older_than_the_window_stop_counting():
    redis = await _redis()
    clock = SteppingClock(1_800_000_000.0)
    for _ in range(10):
        assert await allow(redis, "test:slide", limit=10, window_seconds=60, clock=clock)
    clock.now += 30
    assert not await allow(redis, "test:slide", limit=10, window_seconds=60, clock=clock)
    clock.now += 30.5  # the first ten are now over a minute old; the refused try still counts
    assert await allow(redis, "test:slide", limit=10, window_seconds=60, clock=clock)
    await redis.aclose()


async def test_limits_are_per_key():
    redis = await _redis()
    clock = SteppingClock(1_800_000_000.0)
    for _ in range(3):
        await allow(redis, "test:a", limit=2, window_seconds=60, clock=clock)
    assert not await allow(redis, "test:a", limit=2, window_seconds=60, clock=clock)
    assert await allow(redis, "test:b", limit=2, window_seconds=60, clock=clock)
    await redis.aclose()
