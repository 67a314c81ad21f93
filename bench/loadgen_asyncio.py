"""The fallback load generator when `wrk` is missing: a closed loop of keep-alive HTTP/1.1
connections over plain asyncio streams.

Slower than wrk: it runs Python on the client core, so a fast rung (the raw ASGI ceiling)
may be capped by the client rather than the server, squeezing ratios towards 1. It is
still ~50x faster than an httpx client here (measured on the 2-core dev box: httpx 0.28
≈ 300 requests/s at 32 connections, plain streams ≈ 16,000), which is why it speaks
HTTP/1.1 itself: GET only, Content-Length or chunked bodies.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from bench.loadgen import CONNECTIONS, LoadResult

REQUEST_TIMEOUT = 10.0  # a request taking longer counts as an error
MAX_CHUNKS = 100_000  # a chunked body with more chunks than this is an error
MAX_RPS_BOUND = 200_000  # request cap per second of run: more than one core can serve

Send = Callable[[], Awaitable[int]]  # one request; returns the HTTP status
# Socket errors and timeouts (OSError), a connection closed mid-answer (EOFError), an
# answer we cannot parse: each counts as one failed request.
_FAILURES = (OSError, EOFError, asyncio.LimitOverrunError, ValueError, IndexError)


def parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    """Status and lower-cased headers of a response head ending in CRLF CRLF."""
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return status, headers


async def read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> int:
    """Consume the body that follows `headers`; returns its size."""
    if "content-length" in headers:
        return len(await reader.readexactly(int(headers["content-length"])))
    if headers.get("transfer-encoding", "").lower() != "chunked":
        return 0  # bodiless answer (204/304): a GET answer with a body always has one of both
    size = 0
    for _ in range(MAX_CHUNKS):
        chunk = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        await reader.readexactly(chunk + 2)  # data + CRLF (after the last chunk: no trailers)
        size += chunk
        if chunk == 0:
            return size
    raise ValueError(f"more than {MAX_CHUNKS} chunks")


class Connection:
    """One keep-alive connection sending GET `url`; reconnects after a failure or close."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.request = (f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                        "User-Agent: talentloop-bench\r\n\r\n").encode()
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self) -> int:
        try:
            return await asyncio.wait_for(self._exchange(), REQUEST_TIMEOUT)
        except BaseException:
            self.close()  # the stream state is unknown: start afresh next time
            raise

    async def _exchange(self) -> int:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        writer.write(self.request)
        status, headers = parse_head(await reader.readuntil(b"\r\n\r\n"))
        await read_body(reader, headers)
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


@dataclass
class LoopTally:
    latencies_ms: list[float]
    started: int = 0  # requests sent, counted before they are sent: an exact cap
    errors: int = 0
    non_2xx: int = 0
    seconds: float = 0.0


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list (0.0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(pct / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


async def closed_loop(senders: list[Send], *, seconds: float, max_requests: int) -> LoopTally:
    """One worker per sender, each sending back to back; stops at `seconds` or
    `max_requests`, whichever comes first."""
    tally = LoopTally(latencies_ms=[])
    began = time.perf_counter()
    deadline = began + seconds

    def more() -> bool:  # both limits, checked before every request
        return tally.started < max_requests and time.perf_counter() < deadline

    async def worker(send: Send) -> None:
        while more():
            tally.started += 1
            sent = time.perf_counter()
            try:
                status = await send()
            except _FAILURES:
                tally.errors += 1  # as wrk counts socket errors
                continue
            tally.latencies_ms.append((time.perf_counter() - sent) * 1000.0)
            tally.non_2xx += not 200 <= status < 400

    await asyncio.gather(*(worker(send) for send in senders))
    tally.seconds = time.perf_counter() - began
    return tally


def tally_result(tally: LoopTally) -> LoadResult:
    ordered = sorted(tally.latencies_ms)
    return LoadResult(rps=len(ordered) / tally.seconds if tally.seconds else 0.0,
                      p50_ms=percentile(ordered, 50), p99_ms=percentile(ordered, 99),
                      requests=len(ordered), seconds=tally.seconds, errors=tally.errors,
                      non_2xx=tally.non_2xx)


class AsyncioLoop:
    name = "asyncio"

    def run(self, url: str, seconds: float) -> LoadResult:
        return tally_result(asyncio.run(self._run(url, seconds)))

    async def _run(self, url: str, seconds: float) -> LoopTally:
        connections = [Connection(url) for _ in range(CONNECTIONS)]
        try:
            return await closed_loop([c.get for c in connections], seconds=seconds,
                                     max_requests=int(seconds * MAX_RPS_BOUND))
        finally:
            for connection in connections:
                connection.close()

    def describe(self) -> dict:
        return {"name": self.name, "version": "built-in (bench/loadgen_asyncio.py)",
                "command": f"asyncio closed loop, {CONNECTIONS} keep-alive connections,"
                           " one thread"}
