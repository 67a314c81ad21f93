"""The shared send-rate buckets (domain.campaigns.throttle) against real Redis: a group
takes its tokens in one call, never more than a bucket holds, and a stop ends the wait."""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import pytest
from redis.asyncio import Redis

from domain.campaigns.throttle import TokenBuckets


@pytest.fixture
async def buckets():
    client = Redis.from_url(os.environ["REDIS_URL"])
    yield TokenBuckets(client)
    await client.aclose()


def _name() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


async def test_a_group_takes_its_tokens_at_once_and_the_rest_waits(buckets):
    rates = {_name(): 5.0}  # a full bucket holds 5

    assert await buckets.take(rates, 3) == 0
    assert await buckets.take(rates, 2) == 0
    wait_ms = await buckets.take(rates, 3)

    assert 400 <= wait_ms <= 600  # three tokens at 5/s, none left: about 0.6 s


async def test_a_group_larger_than_a_slow_bucket_is_taken_a_token_at_a_time(buckets):
    rates, stop = {_name(): 20.0, _name(): 1.5}, asyncio.Event()  # the second holds 1

    start = time.monotonic()
    taken = await buckets.acquire(rates, stop, count=3)

    assert taken == 3
    assert 1.0 <= time.monotonic() - start <= 2.5  # two refills of the 1.5/s bucket


async def test_stopping_ends_the_wait_with_what_was_taken(buckets):
    rates, stop = {_name(): 1.0}, asyncio.Event()

    async def stop_soon() -> None:
        await asyncio.sleep(0.2)
        stop.set()

    stopper = asyncio.create_task(stop_soon())
    taken = await buckets.acquire(rates, stop, count=3)
    await stopper

    assert taken == 1  # the full bucket's one token; the second would take a second


async def _level(buckets: TokenBuckets, name: str) -> float:
    """Tokens left in a bucket, as Redis holds them (refill since then not added)."""
    raw = await buckets._script.registered_client.hget(f"talentloop:send-rate:{name}",
                                                       "tokens")
    return float(raw)


async def test_a_lease_serves_later_groups_without_touching_the_shared_bucket():
    client = Redis.from_url(os.environ["REDIS_URL"])
    leased = TokenBuckets(client, lease=9, lease_seconds=30)
    name, stop = _name(), asyncio.Event()
    rates = {name: 0.001 + 20.0}  # a full bucket holds 20; refill is slow next to 9

    assert await leased.acquire(rates, stop, count=3) == 3
    after_first = await _level(leased, name)
    assert await leased.acquire(rates, stop, count=3) == 3
    assert await leased.acquire(rates, stop, count=3) == 3

    assert 10.9 <= after_first <= 11.1  # nine taken at once: three used, six reserved
    assert await _level(leased, name) == after_first  # the next two came from the lease
    assert await leased.acquire(rates, stop, count=3) == 3
    assert await _level(leased, name) < after_first  # lease spent: the bucket again
    await client.aclose()


async def test_an_old_lease_is_dropped_so_the_shared_rate_holds():
    client = Redis.from_url(os.environ["REDIS_URL"])
    leased = TokenBuckets(client, lease=9, lease_seconds=0.1)
    name, stop = _name(), asyncio.Event()
    rates = {name: 20.0}

    assert await leased.acquire(rates, stop, count=3) == 3
    first = await _level(leased, name)
    await asyncio.sleep(0.2)
    assert await leased.acquire(rates, stop, count=3) == 3

    assert first < 12  # nine taken
    assert await _level(leased, name) < 20 - 9  # taken from Redis again, not the old lease
    await client.aclose()


async def test_a_lease_never_exceeds_the_smallest_bucket():
    client = Redis.from_url(os.environ["REDIS_URL"])
    leased = TokenBuckets(client, lease=12, lease_seconds=30)
    small, stop = _name(), asyncio.Event()

    assert await leased.acquire({small: 4.0}, stop, count=3) == 3

    assert await _level(leased, small) < 1.1  # four taken (its capacity), not twelve
    await client.aclose()
