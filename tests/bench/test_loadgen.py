"""Load generators without a server: wrk output parsing (captured samples) and the
asyncio fallback's HTTP reading and loop limits."""

from __future__ import annotations

import asyncio
import time

import pytest

from bench.loadgen import Wrk, WrkOutputError, parse_wrk
from bench.loadgen_asyncio import (
    closed_loop,
    parse_head,
    percentile,
    read_body,
    tally_result,
)

# Captured from `wrk -t1 -c32 -d2s --latency` (wrk 4.1.0, Debian) against bench.apps:raw_app.
WRK_OK = """Running 2s test @ http://127.0.0.1:18001/
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.15ms    2.23ms  28.41ms   89.43%
    Req/Sec    18.42k     9.25k   31.97k    61.90%
  Latency Distribution
     50%    1.34ms
     75%    2.12ms
     90%    4.48ms
     99%   12.10ms
  38493 requests in 2.10s, 4.85MB read
Requests/sec:  18331.25
Transfer/sec:      2.31MB
"""

# Captured against a path the app does not serve, with a socket-errors line as wrk prints
# it when connections fail, and latencies in other units.
WRK_FAILURES = """Running 1s test @ http://127.0.0.1:18002/nope
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     8.64ms    6.24ms  39.39ms   84.72%
    Req/Sec     4.06k     2.08k    8.25k    70.00%
  Latency Distribution
     50%  850.00us
     75%   10.57ms
     90%   16.68ms
     99%    1.02s
  4055 requests in 1.01s, 681.24KB read
  Socket errors: connect 0, read 2, write 1, timeout 4
  Non-2xx or 3xx responses: 4055
Requests/sec:   4025.27
Transfer/sec:    676.25KB
"""


# -- wrk output -----------------------------------------------------------------------------


def test_wrk_output_gives_rps_latency_and_counts():
    result = parse_wrk(WRK_OK)

    assert result.rps == 18331.25
    assert (result.p50_ms, result.p99_ms) == (1.34, 12.10)
    assert (result.requests, result.seconds) == (38493, 2.10)
    assert (result.errors, result.non_2xx) == (0, 0)


def test_wrk_failures_and_units_are_read():
    result = parse_wrk(WRK_FAILURES)

    assert result.p50_ms == pytest.approx(0.85)
    assert result.p99_ms == pytest.approx(1020.0)
    assert result.errors == 7
    assert result.non_2xx == 4055


def test_unreadable_wrk_output_is_an_error():
    with pytest.raises(WrkOutputError):
        parse_wrk("unable to connect to 127.0.0.1:18009 Connection refused")


def test_wrk_runs_pinned_with_the_protocol_flags():
    wrk = Wrk("/usr/bin/wrk", ["taskset", "-c", "0"])

    assert wrk.command("http://127.0.0.1:9/", 3) == [
        "taskset", "-c", "0", "/usr/bin/wrk", "-t1", "-c32", "-d3s", "--latency",
        "http://127.0.0.1:9/",
    ]


# -- the asyncio fallback ---------------------------------------------------------------


async def test_the_fallback_loop_stops_at_its_request_count():
    async def send() -> int:
        await asyncio.sleep(0)
        return 200

    tally = await closed_loop([send] * 8, seconds=30.0, max_requests=100)

    assert tally.started == 100
    assert len(tally.latencies_ms) == 100
    assert tally.seconds < 30.0


async def test_the_fallback_loop_stops_at_its_time_limit():
    async def send() -> int:
        await asyncio.sleep(0.01)
        return 200

    began = time.monotonic()
    tally = await closed_loop([send] * 4, seconds=0.2, max_requests=10**9)

    assert time.monotonic() - began < 5.0
    assert 0 < tally.started < 10**9


async def test_the_fallback_loop_counts_failures_and_error_statuses():
    calls = 0

    async def send() -> int:
        nonlocal calls
        calls += 1
        if calls % 2:
            raise ConnectionError("refused")
        return 500

    tally = await closed_loop([send] * 2, seconds=30.0, max_requests=40)

    assert (tally.errors, tally.non_2xx, len(tally.latencies_ms)) == (20, 20, 20)
    result = tally_result(tally)
    assert result.requests == 20
    assert result.rps == pytest.approx(20 / tally.seconds)


def test_the_fallback_reads_a_response_head():
    status, headers = parse_head(b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n"
                                 b"Connection: close\r\n\r\n")

    assert status == 404
    assert headers == {"content-length": "9", "connection": "close"}


async def test_the_fallback_reads_sized_and_chunked_bodies():
    reader = asyncio.StreamReader()
    reader.feed_data(b"Hello, world!" + b"4\r\nJoin\r\n3;x=1\r\n me\r\n0\r\n\r\nnext")
    reader.feed_eof()

    assert await read_body(reader, {"content-length": "13"}) == 13
    assert await read_body(reader, {"transfer-encoding": "chunked"}) == 7
    assert await reader.read() == b"next"  # nothing of the next answer was consumed


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]

    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == \
        (50.0, 99.0, 100.0)
    assert percentile([], 99) == 0.0
