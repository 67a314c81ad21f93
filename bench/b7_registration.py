"""B7, the registration spike (QUALITY.md 3.2): how much of a bare conditional UPDATE's
throughput seat allocation keeps when it goes through the real domain service.

A round is `attempts` registrations for a fresh event of `capacity` seats, `concurrency`
at a time (a closed loop), on a pool of the app's size (DB_POOL_MAX):

- raw (the ceiling): `UPDATE events SET taken = taken + 1 WHERE id = $1 AND taken <
  capacity RETURNING taken` per attempt on a plain asyncpg pool;
- domain: `domain.events.service.register` per attempt (a different person each), on
  Piccolo's pool as the app opens it, with the real arq queue as the portal handler passes
  it: each registration writes its timeline entry, email and outbox row, and enqueues the
  email after commit, as a POST does.

Both run in one child process pinned to the server core (the harness and PostgreSQL stay
on the other), raw first then domain, for `pairs` rounds after a discarded warm-up round.
Every round, warm-up included, is checked for oversold and unsold seats. A profile pass
(sequential, unmeasured) then counts statements per registration and how long the event
row lock is held: that lock serialises the seat phase, so it bounds the domain rate.

`python -m bench B7` runs it; `python -m bench.b7_registration` is the child.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.harness import (
    Check,
    Context,
    kept_pairs,
    log,
    median_of,
    noise_sample,
    per_pair_ratios,
    ratio_stats,
)
from bench.loadgen_asyncio import percentile
from domain.events.rules import SEAT_STATUSES

ROOT = Path(__file__).resolve().parent.parent
CEILING, VARIANT = "raw", "domain"
RAW_SQL = ("UPDATE events SET taken = taken + 1 WHERE id = $1 AND taken < capacity "
           "RETURNING taken")
CHILD_TIMEOUT = 1800.0
PYTHON_BOUND = 0.85  # CPU utilisation of the measured process above which it is the limit


@dataclass(frozen=True)
class Workload:
    capacity: int
    attempts: int
    concurrency: int
    pairs: int


WORKLOADS = {
    "ci": Workload(capacity=100, attempts=1000, concurrency=64, pairs=3),
    "local": Workload(capacity=500, attempts=5000, concurrency=64, pairs=5),
    # QUALITY.md asks for 0 oversells in 20 runs.
    "full": Workload(capacity=500, attempts=5000, concurrency=64, pairs=20),
}


@dataclass(frozen=True)
class Target:
    name: str
    metric: str  # "ratio": median per-pair rps ratio domain/raw; else a figure by name
    op: str
    threshold: float


TARGETS = [
    Target("domain_over_raw_rps", "ratio", ">=", 0.5),
    Target("p99_ms_domain", "p99_ms", "<=", 100),
    Target("oversold", "oversold", "<=", 0),
    Target("seat_mismatches", "seat_mismatches", "<=", 0),
    Target("errors", "errors", "<=", 0),
]


# -- one round ---------------------------------------------------------------------------


async def closed_loop(attempt: Callable[[Any], Awaitable[str]], items: list[Any],
                      concurrency: int) -> dict[str, Any]:
    """`concurrency` workers take the next item as soon as they finish one; every item is
    attempted once. Outcome per attempt: the registration status, or "error"."""
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    seat_times: list[float] = []
    errors: list[str] = []
    queue = iter(items)
    began, cpu_began = time.perf_counter(), time.process_time()

    async def worker() -> None:
        for item in queue:  # shared iterator: bounded by len(items)
            start = time.perf_counter()
            try:
                outcome = await attempt(item)
            except Exception as exc:  # counted like a 5xx; the first few are kept
                outcome = "error"
                errors.append(f"{type(exc).__name__}: {exc}"[:300])
            end = time.perf_counter()
            latencies.append((end - start) * 1000)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            if outcome == "registered":
                seat_times.append(end - began)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - began
    cpu = time.process_time() - cpu_began
    latencies.sort()
    return {"attempts": len(items), "seconds": round(seconds, 4),
            "rps": round(len(items) / seconds, 2),
            "p50_ms": round(percentile(latencies, 50), 3),
            "p99_ms": round(percentile(latencies, 99), 3), "outcomes": outcomes,
            "errors": outcomes.get("error", 0), "first_errors": errors[:3],
            # When the last seat went: the seat phase is what the event row lock serialises.
            "seat_phase_seconds": round(max(seat_times), 4) if seat_times else None,
            "seat_rps": round(len(seat_times) / max(seat_times), 2) if seat_times else 0.0,
            # This process's CPU: near 1.0 utilisation means Python on the pinned core, not
            # the database, is what binds (QUALITY.md 3.1 asks a miss to name its ceiling).
            "cpu_ms_per_attempt": round(cpu * 1000 / len(items), 4),
            "cpu_util": round(cpu / seconds, 3)}


async def seat_state(conn: Any, event_id: int) -> dict[str, int]:
    row = await conn.fetchrow(
        "SELECT e.taken, e.capacity, (SELECT count(*) FROM event_registrations r WHERE "
        "r.event = e.id AND r.status = ANY($2::varchar[])) AS held, (SELECT count(*) FROM "
        "event_registrations r WHERE r.event = e.id AND r.status = 'registered') AS registered "
        "FROM events e WHERE e.id = $1", event_id, list(SEAT_STATUSES))
    return dict(row)


def seat_verdict(result: dict[str, Any], state: dict[str, int], *, variant: str) -> dict:
    """Oversold: seats beyond capacity. Mismatch: the count, the rows and the answers do not
    all say `capacity` (with more attempts than seats, every seat must go)."""
    capacity = state["capacity"]
    seated = result["outcomes"].get("registered", 0)
    counts = [state["taken"], seated] if variant == CEILING else \
        [state["taken"], state["held"], state["registered"], seated]
    return {**state, "oversold": max(0, max(counts) - capacity),
            "mismatch": any(count != capacity for count in counts)}


# -- the child: both variants in one process ---------------------------------------------


class Bench:
    """Pools, people and events for the rounds (runs in the child, or in a test)."""

    def __init__(self, workload: Workload, raw_pool: Any, queue: Any) -> None:
        from domain.ports import SystemClock

        self.workload, self.raw_pool, self.queue = workload, raw_pool, queue
        self.clock = SystemClock()
        self.people: list[int] = []
        self.events = 0

    async def add_people(self) -> None:
        rows = await self.raw_pool.fetch(
            "INSERT INTO people (email, full_name, source, created_at, updated_at) "
            "SELECT 'b7-' || n || '-' || $2 || '@bench.invalid', 'Bench ' || n, 'bench', "
            "now(), now() FROM generate_series(1, $1) AS n RETURNING id",
            self.workload.attempts, str(os.getpid()))
        self.people = [row["id"] for row in rows]

    async def new_event(self, capacity: int) -> tuple[int, str]:
        self.events += 1
        slug = f"b7-{os.getpid()}-{self.events}"
        starts = datetime.now(UTC) + timedelta(days=30)
        event_id = await self.raw_pool.fetchval(
            "INSERT INTO events (slug, title, kind, starts_at, ends_at, time_zone, capacity, "
            "taken, status, offer_hours, created_at) VALUES ($1, 'Hiring spike', 'in_person', "
            "$2, $3, 'UTC', $4, 0, 'published', 48, now()) RETURNING id",
            slug, starts, starts + timedelta(hours=2), capacity)
        return event_id, slug

    async def raw_round(self, capacity: int, attempts: int) -> dict[str, Any]:
        event_id, _ = await self.new_event(capacity)

        async def attempt(_: int) -> str:
            taken = await self.raw_pool.fetchval(RAW_SQL, event_id)
            return "registered" if taken is not None else "full"

        result = await closed_loop(attempt, list(range(attempts)), self.workload.concurrency)
        state = await seat_state(self.raw_pool, event_id)
        return {**result, **seat_verdict(result, state, variant=CEILING)}

    async def domain_round(self, capacity: int, attempts: int) -> dict[str, Any]:
        from domain.events import service

        event_id, slug = await self.new_event(capacity)

        async def attempt(person_id: int) -> str:
            registration = await service.register(slug, person_id, clock=self.clock,
                                                  queue=self.queue)
            return str(registration["status"])

        result = await closed_loop(attempt, self.people[:attempts], self.workload.concurrency)
        state = await seat_state(self.raw_pool, event_id)
        return {**result, **seat_verdict(result, state, variant=VARIANT)}

    async def profile_round(self, pool: Any) -> dict[str, Any]:
        """Unmeasured: a fifth of the seats, twice as many people, one at a time."""
        from bench.b7_profile import profile
        from domain.events import service

        capacity = max(1, self.workload.capacity // 5)
        event_id, slug = await self.new_event(capacity)

        async def register(person_id: int) -> str:
            registration = await service.register(slug, person_id, clock=self.clock,
                                                  queue=self.queue)
            return str(registration["status"])

        by_outcome = await profile(register, pool, self.people[:capacity * 2])
        return {"capacity": capacity, "attempts": capacity * 2, "by_outcome": by_outcome,
                "seat_state": await seat_state(self.raw_pool, event_id)}

    async def rounds(self, sample: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """A discarded warm-up round of each, then raw, domain, raw, domain, …"""
        w = self.workload
        small = (max(1, w.capacity // 5), max(1, w.attempts // 5))
        warmup = {CEILING: await self.raw_round(*small), VARIANT: await self.domain_round(*small)}
        rounds = []
        for index in range(w.pairs):
            noise = sample()
            runs = {CEILING: await self.raw_round(w.capacity, w.attempts),
                    VARIANT: await self.domain_round(w.capacity, w.attempts)}
            log(f"  pair {index + 1}/{w.pairs}: raw {runs[CEILING]['rps']:>8.0f}/s, domain "
                f"{runs[VARIANT]['rps']:>7.0f}/s p99 {runs[VARIANT]['p99_ms']:.1f} ms {noise}")
            rounds.append({"pair": index, **noise, "runs": runs})
        return {"warmup": warmup, "rounds": rounds}


async def child_main(workload: Workload) -> dict[str, Any]:
    import asyncpg

    from domain.db import close_pool, engine, start_pool
    from settings import get_settings
    from workers.queue import ArqTaskQueue

    settings = get_settings()
    size = settings.db_pool_max  # the web app's pool, per process
    await start_pool(max_size=size)
    raw_pool = await asyncpg.create_pool(settings.require_database_url(), min_size=size,
                                         max_size=size, reset=_no_reset)
    queue = await ArqTaskQueue.connect(settings.require_redis_url())
    try:
        bench = Bench(workload, raw_pool, queue)
        await bench.add_people()
        measured = await bench.rounds(noise_sample)
        measured["profile"] = await bench.profile_round(engine().pool)
        measured["pool_size"] = size
        return measured
    finally:
        await queue.close()
        await raw_pool.close()
        await close_pool()


async def _no_reset(_: Any) -> None:
    """Same as the app's pool (domain.db): no RESET ALL round trip on every release."""


# -- the harness side --------------------------------------------------------------------


def _run_child(ctx: Context, workload: Workload) -> dict[str, Any]:
    command = [*ctx.pinning.prefix(ctx.pinning.server_cpu), sys.executable, "-m",
               "bench.b7_registration", json.dumps(asdict(workload))]
    done = subprocess.run(command, cwd=ROOT, env=ctx.env, stdout=subprocess.PIPE, text=True,
                          timeout=CHILD_TIMEOUT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"B7 child exited with {done.returncode}")
    return json.loads(done.stdout)


def all_runs(measured: dict[str, Any]) -> list[dict[str, Any]]:
    """Every round of both variants, warm-up included: all count for oversells."""
    runs = list(measured["warmup"].values())
    return runs + [run for r in measured["rounds"] for run in r["runs"].values()]


def summarise(measured: dict[str, Any], kept: list[int]) -> dict[str, Any]:
    rounds, runs = measured["rounds"], all_runs(measured)
    medians = {name: {metric: round(median_of(rounds, kept, name, metric), 3)
                      for metric in ("rps", "p50_ms", "p99_ms", "seconds", "seat_rps",
                                     "cpu_ms_per_attempt", "cpu_util")}
               for name in (CEILING, VARIANT)}
    return {
        "medians": medians,
        "ratio": ratio_stats(per_pair_ratios(rounds, kept, VARIANT, CEILING)),
        # The same over the seat phase only (until the last seat went), where the event
        # row lock serialises both variants: not a target, it shows what the lock costs.
        "seat_phase_ratio": _seat_phase_ratio(rounds, kept),
        "binding": binding(medians[VARIANT]),
        "oversold": sum(run["oversold"] for run in runs),
        "seat_mismatches": sum(run["mismatch"] for run in runs),
        "errors": sum(run["errors"] for run in runs),
        "runs_checked": len(runs),
    }


def binding(domain: dict[str, float]) -> str:
    """What capped the domain variant: its own core, or waiting on the database."""
    if domain["cpu_util"] >= PYTHON_BOUND:
        return "Python CPU (the measured process's core is saturated)"
    return "database (round trips, commits and the event row lock; the Python core idles)"


def _seat_phase_ratio(rounds: list[dict[str, Any]], kept: list[int]) -> dict[str, Any] | None:
    # A round that sold no seat has no seat rate (and is already counted as a mismatch).
    usable = [i for i in kept if all(rounds[i]["runs"][name]["seat_rps"] > 0
                                     for name in (CEILING, VARIANT))]
    if not usable:
        return None
    return ratio_stats(per_pair_ratios(rounds, usable, VARIANT, CEILING, metric="seat_rps"))


def checks(summary: dict[str, Any]) -> list[Check]:
    figures = {"ratio": summary["ratio"]["median"],
               "p99_ms": summary["medians"][VARIANT]["p99_ms"],
               **{name: summary[name] for name in ("oversold", "seat_mismatches", "errors")}}
    return [Check(t.name, float(figures[t.metric]), t.op, t.threshold) for t in TARGETS]


def run(ctx: Context) -> tuple[list[Check], dict[str, Any]]:
    workload = WORKLOADS[ctx.size_name]
    log(f"B7: {workload.pairs} pairs of {workload.attempts} attempts for {workload.capacity}"
        f" seats at c={workload.concurrency}, raw then domain, in one pinned child")
    measured = _run_child(ctx, workload)
    kept = kept_pairs(measured["rounds"])
    summary = summarise(measured, kept)
    figures = {
        "loadgen": {"name": "asyncio closed loop", "where": "in the measured child process"},
        "pinning": ctx.pinning.as_dict(),
        "protocol": {**asdict(workload), "pool_size": measured["pool_size"],
                     "order": [CEILING, VARIANT], "queue": "arq (real Redis)",
                     "ceiling_sql": RAW_SQL},
        **summary,
        "profile": measured["profile"],
        "kept_pairs": kept,
        "warmup": measured["warmup"],
        "pairs": measured["rounds"],
        "warnings": [f"pair {r['pair']} {name}: {run['first_errors']}"
                     for r in measured["rounds"] for name, run in r["runs"].items()
                     if run["errors"]],
    }
    return checks(summary), figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.b7_registration")
    parser.add_argument("workload", help="JSON of bench.b7_registration.Workload")
    args = parser.parse_args(argv)
    workload = Workload(**json.loads(args.workload))
    print(json.dumps(asyncio.run(child_main(workload))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
