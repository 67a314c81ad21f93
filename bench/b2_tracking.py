"""B2, tracking endpoints (QUALITY.md 3.2): the open pixel `/o/{token}` and the click
redirect `/c/{token}` of the real app against a Litestar hello world (B1's rung b) in the
same run, while the tracking writer flushes the Redis buffer into PostgreSQL.

- Rounds: hello, open, click — each its own uvicorn process on the server core (the
  real app: `asgi:create_app`, full middleware and access log) — interleaved, a
  discarded warm-up before each measured run. Figures: rps and p99 of each, the median
  of per-round ratios to hello (targets: >= 0.7x rps, p99 <= 2x hello's).
- Lost events: after the rounds, K hits (half opens, half clicks) are counted one by one
  by the client while the writer (a child process flushing like the worker task) is sent
  SIGTERM at 30% (it finishes its batch and exits) and its successor SIGKILL at 70% (a
  crash anywhere: its batch stays in the processing list, its lock expires), each
  replaced by a new writer. When the buffer is drained, the new rows in tracking_events
  must equal the hits answered: 0 lost, 0 duplicated.

`python -m bench B2`; the writer child is `python -m bench.b2_tracking writer`.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bench.harness import (
    Check,
    Context,
    claim_redis_database,
    interleave,
    kept_pairs,
    log,
    median_of,
    per_pair_ratios,
    ratio_stats,
)
from bench.server import UvicornServer, write_log_config

ROOT = Path(__file__).resolve().parent.parent
CEILING = "hello"
VARIANTS = ("open", "click")
LOST_HITS = {"ci": 4_000, "local": 20_000, "full": 50_000}
DRAIN_TIMEOUT = 120.0
WRITER_STOP_TIMEOUT = 30.0
STORED_URL = "https://jobs.example.com/open-roles?utm_source=b2"


@dataclass(frozen=True)
class Target:
    name: str
    op: str
    threshold: float


TARGETS = [
    Target("open_over_hello_rps", ">=", 0.7),
    Target("click_over_hello_rps", ">=", 0.7),
    Target("open_p99_over_hello_p99", "<=", 2.0),
    Target("click_p99_over_hello_p99", "<=", 2.0),
    Target("lost_events", "<=", 0),
    Target("duplicated_events", "<=", 0),
]


# -- data ------------------------------------------------------------------------------------

async def seed(database_url: str) -> tuple[int, int]:
    """One sent campaign email with one stored link: (send id, link id)."""
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        person = await conn.fetchval(
            "INSERT INTO people (email, full_name, source, created_at, updated_at) VALUES "
            "('b2-reader@example.com', 'B2 Reader', 'bench', now(), now()) RETURNING id")
        campaign = await conn.fetchval(
            "INSERT INTO campaigns (name, purpose, created_at, updated_at, state) VALUES "
            "('B2', 'community_emails', now(), now(), 'sending') RETURNING id")
        # Sent an hour ago, so no click falls in the prefetch window.
        send = await conn.fetchval(
            "INSERT INTO marketing_sends (campaign, person, state, created_at, sent_at) "
            "VALUES ($1, $2, 'sent', now() - interval '1 hour', now() - interval '1 hour') "
            "RETURNING id", campaign, person)
        link = await conn.fetchval(
            "INSERT INTO tracked_links (content_key, url, position, clicks, unique_clicks) "
            "VALUES ($1, $2, 1, 0, 0) RETURNING id", f"campaign:{campaign}:1", STORED_URL)
        return int(send), int(link)
    finally:
        await conn.close()


def paths(secret: str, send: int, link: int) -> dict[str, str]:
    """The pixel and click paths, signed as the app signs them (same key, same salts)."""
    from domain.campaigns.links import _signer

    return {"open": f"/o/{_signer(secret, 'open').sign(f'{send:x}').decode()}",
            "click": f"/c/{_signer(secret, 'click').sign(f'{send:x}-{link:x}').decode()}"}


async def stored_events(database_url: str, since: float | None = None) -> int:
    """Rows in tracking_events (with `since`, unix time: only hits older than it)."""
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        if since is None:
            return int(await conn.fetchval("SELECT count(*) FROM tracking_events"))
        return int(await conn.fetchval(
            "SELECT count(*) FROM tracking_events WHERE occurred_at < to_timestamp($1)",
            since))
    finally:
        await conn.close()


async def buffered(redis_url: str) -> int:
    from redis.asyncio import Redis

    from domain.campaigns import tracking

    redis = Redis.from_url(redis_url)
    try:
        return int(await redis.llen(tracking.BUFFER)) + int(
            await redis.llen(tracking.PROCESSING))
    finally:
        await redis.aclose()


# -- the writer child ------------------------------------------------------------------------

class Writer:
    """`python -m bench.b2_tracking writer`: flush in a loop like the worker task."""

    def __init__(self, env: dict[str, str], log_file: Path):
        self.env, self.log_file = env, log_file
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if self.process is not None:
            raise RuntimeError("a writer is already running")
        with self.log_file.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bench.b2_tracking", "writer"], cwd=ROOT,
                env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)

    def terminate(self) -> int:
        """SIGTERM, then wait; returns the exit code."""
        return self._stop(signal.SIGTERM)

    def kill(self) -> int:
        """SIGKILL: a crash at whatever point the writer is."""
        return self._stop(signal.SIGKILL)

    def _stop(self, signum: int) -> int:
        process, self.process = self.process, None
        if process is None:
            return 0
        process.send_signal(signum)
        try:
            return process.wait(timeout=WRITER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()


async def writer_main() -> int:
    """Flush in a loop; SIGTERM lets the flush in progress finish its batch, then exits
    (a worker's graceful stop). A crash is SIGKILL, which the lost-events phase sends too."""
    from redis.asyncio import Redis

    from domain.campaigns import tracking
    from domain.db import close_pool, start_pool
    from settings import get_settings

    settings = get_settings()
    await start_pool(max_size=2)
    redis = Redis.from_url(settings.require_redis_url())
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        while not stop.is_set():
            if await tracking.flush(redis, batch=500, max_batches=4) == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.05)
    finally:
        await redis.aclose()
        await close_pool()
    return 0


# -- lost events -----------------------------------------------------------------------------

async def _count_hits(urls: list[str], count: int, *, on_progress) -> dict[str, int]:
    """Send `count` hits over 16 keep-alive connections; count every answer exactly."""
    from bench.loadgen_asyncio import Connection

    answered = {"ok": 0, "other": 0, "errors": 0}
    started = 0
    connections = [Connection(urls[i % len(urls)]) for i in range(16)]

    async def worker(connection: Connection) -> None:
        nonlocal started
        while started < count:
            started += 1
            try:
                status = await connection.get()
            except (TimeoutError, OSError, EOFError, ValueError):
                answered["errors"] += 1
                continue
            answered["ok" if status in (200, 302) else "other"] += 1
            on_progress(answered["ok"])

    try:
        await asyncio.gather(*(worker(c) for c in connections))
    finally:
        for connection in connections:
            connection.close()
    return answered


async def _drained(redis_url: str) -> bool:
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while time.monotonic() < deadline:
        if await buffered(redis_url) == 0:
            await asyncio.sleep(0.3)  # the last batch's commit
            if await buffered(redis_url) == 0:
                return True
        await asyncio.sleep(0.1)
    return False


async def lost_events(urls: list[str], count: int, *, env: dict[str, str],
                      writer: Writer) -> dict[str, Any]:
    """Hits answered vs rows stored across a writer SIGTERM (at 30% of the hits) and a
    SIGKILL of its successor (at 70%), each followed by a new writer."""
    database_url, redis_url = env["DATABASE_URL"], env["REDIS_URL"]
    if not await _drained(redis_url):
        raise RuntimeError("the tracking buffer did not drain before the lost-events phase")
    before = await stored_events(database_url)
    started_at = time.time()
    stops = [(count * 3 // 10, writer.terminate), (count * 7 // 10, writer.kill)]
    exits: list[int] = []
    pending: list[asyncio.Task] = []

    one_at_a_time = asyncio.Lock()  # the second stop waits for the first replacement

    async def swap_writer(stop) -> None:
        async with one_at_a_time:
            exits.append(await asyncio.to_thread(stop))
            writer.start()

    def on_progress(ok: int) -> None:
        if stops and ok >= stops[0][0]:
            pending.append(asyncio.create_task(swap_writer(stops.pop(0)[1])))

    answered = await _count_hits(urls, count, on_progress=on_progress)
    await asyncio.gather(*pending)
    drained = await _drained(redis_url)
    stored = await stored_events(database_url) - before
    # Rows for hits older than the phase would mean the drain check let some through.
    late = await stored_events(database_url, since=started_at) - before
    return {"hits": count, **answered, "stored": stored, "drained": drained,
            "stored_from_before_the_phase": late,
            "writer_stops": ["SIGTERM at 30%", "SIGKILL at 70%"], "writer_exit_codes": exits,
            "lost": max(0, answered["ok"] - stored),
            "duplicated": max(0, stored - answered["ok"] - answered["errors"])}


# -- the measured rounds ---------------------------------------------------------------------

def _runner(ctx: Context, name: str, server: UvicornServer, path: str):
    url = server.url(path)

    def run() -> dict[str, Any]:
        ctx.loadgen.run(url, ctx.size.warmup)
        result = ctx.loadgen.run(url, ctx.size.seconds).as_dict()
        log(f"  {name}: {result['rps']:>9.1f} rps  p99 {result['p99_ms']:7.2f} ms")
        return result

    return run


def summarise(rounds: list[dict[str, Any]], kept: list[int]) -> dict[str, Any]:
    medians = {name: {metric: round(median_of(rounds, kept, name, metric), 3)
                      for metric in ("rps", "p50_ms", "p99_ms")}
               for name in (CEILING, *VARIANTS)}
    return {"medians": medians,
            "ratios": {name: ratio_stats(per_pair_ratios(rounds, kept, name, CEILING))
                       for name in VARIANTS},
            "p99_ratios": {name: ratio_stats(per_pair_ratios(rounds, kept, name, CEILING,
                                                             metric="p99_ms"))
                           for name in VARIANTS}}


def checks(summary: dict[str, Any], lost: dict[str, Any]) -> list[Check]:
    values = {
        "open_over_hello_rps": summary["ratios"]["open"]["median"],
        "click_over_hello_rps": summary["ratios"]["click"]["median"],
        "open_p99_over_hello_p99": summary["p99_ratios"]["open"]["median"],
        "click_p99_over_hello_p99": summary["p99_ratios"]["click"]["median"],
        "lost_events": lost["lost"],
        "duplicated_events": lost["duplicated"],
    }
    return [Check(t.name, float(values[t.name]), t.op, t.threshold) for t in TARGETS]


def _warnings(rounds: list[dict[str, Any]], lost: dict[str, Any]) -> list[str]:
    found = [f"pair {r['pair']} {name}: {run['errors']} errors"
             for r in rounds for name, run in r["runs"].items() if run["errors"]]
    if lost["errors"] or lost["other"]:
        found.append(f"lost-events phase: {lost['errors']} socket errors, {lost['other']} "
                     "answers other than 200/302 (a failed request may still have been "
                     "buffered)")
    if not lost["drained"]:
        found.append("the buffer did not drain within the timeout")
    return found


def _servers(stack: ExitStack, ctx: Context) -> dict[str, UvicornServer]:
    log_config = write_log_config(ctx.workdir / "log-config.json")
    pin = ctx.pinning.prefix(ctx.pinning.server_cpu)
    servers = {}
    for name, target in ((CEILING, "bench.apps:hello_app"), ("app", "asgi:create_app")):
        server = UvicornServer(name, target, factory=True, env=ctx.env, pin=pin,
                               log_dir=ctx.workdir, log_config=log_config)
        stack.callback(server.stop)
        server.start()
        servers[name] = server
    return servers


def run(ctx: Context) -> tuple[list[Check], dict[str, Any]]:
    send, link = asyncio.run(seed(ctx.env["DATABASE_URL"]))
    signed = paths(ctx.env["SECRET_KEY"], send, link)
    with ExitStack() as stack:
        redis_url, release = claim_redis_database(ctx.env["REDIS_URL"], "b2")
        stack.callback(release)
        ctx = replace(ctx, env={**ctx.env, "REDIS_URL": redis_url})
        writer = Writer(ctx.env, ctx.workdir / "writer.log")
        servers = _servers(stack, ctx)
        servers[CEILING].wait_ready("/", b"Hello, world!")
        servers["app"].wait_ready(signed["open"], b"GIF89a")
        writer.start()
        stack.callback(writer.terminate)
        runners = {CEILING: _runner(ctx, CEILING, servers[CEILING], "/"),
                   **{name: _runner(ctx, name, servers["app"], signed[name])
                      for name in VARIANTS}}
        log(f"B2: {ctx.size.pairs} pairs x hello/open/click, {ctx.size.seconds:g} s each, "
            f"load by {ctx.loadgen.name}; the writer flushing throughout")
        rounds = interleave(runners, ctx.size.pairs)
        count = LOST_HITS.get(ctx.size_name, LOST_HITS["ci"])
        log(f"B2 lost events: {count:,} hits, writer SIGTERM at 30%, SIGKILL at 70%")
        lost = asyncio.run(lost_events([servers["app"].url(signed[n]) for n in VARIANTS],
                                       count, env=ctx.env, writer=writer))
    kept = kept_pairs(rounds)
    summary = summarise(rounds, kept)
    figures = {
        "loadgen": ctx.loadgen.describe(),
        "pinning": ctx.pinning.as_dict(),
        "protocol": {"pairs": ctx.size.pairs, "seconds": ctx.size.seconds,
                     "warmup_seconds": ctx.size.warmup, "order": [CEILING, *VARIANTS],
                     "hello": "bench.apps:hello_app (B1 rung b)",
                     "app": "asgi:create_app: full middleware, access log, Redis LPUSH per hit",
                     "writer": "python -m bench.b2_tracking writer: tracking.flush in a loop "
                               "(batches of 500); SIGTERM at 30% of the lost-events hits, "
                               "SIGKILL of the next writer at 70%"},
        **summary,
        "lost_events": lost,
        "kept_pairs": kept,
        "pairs": rounds,
        "warnings": _warnings(rounds, lost),
    }
    return checks(summary, lost), figures


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["writer"]:
        print("usage: python -m bench.b2_tracking writer", file=sys.stderr)
        return 2
    return asyncio.run(writer_main())


if __name__ == "__main__":
    sys.exit(main())
