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
