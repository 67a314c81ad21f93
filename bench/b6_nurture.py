"""B6, background work (QUALITY.md 3.2), two parts in one child process:

- steps: N nurture enrolments (`ci` 10,000, `local`/`full` 100,000) all due at once, a
  third each at an email, a tag and a wait step, dispatched by one
  `domain.sequences.scheduler.tick` (set-based batches of 5,000). Email and tag steps
  are followed by a one-month wait that is due at once, so the tick runs 5N/3 steps.
  Figure: steps/s (target >= 5,000), checked against what the rows say afterwards.
- tasks: T no-op arq tasks (`ci` 2,000, else 20,000) enqueued with arq and run by an
  in-process burst Worker (TUNED poll; the deployed settings measured beside it), against
  the ceiling of a redis-py LPUSH/BRPOP loop moving the same number of messages; and the
  enqueue→start latency of a paced stream (a task every 20 ms while the deployed worker
  runs) against arq's poll_delay.

Rounds interleave ceiling then arq, after a discarded warm-up. `python -m bench B6`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvloop

from bench.harness import Check, Context, kept_pairs, log, noise_sample, ratio_stats

ROOT = Path(__file__).resolve().parent.parent
CHILD_TIMEOUT = 3600.0
QUEUE = "talentloop:bench:b6"
RAW_LIST = "talentloop:bench:b6:raw"
POLL_DELAY = 0.5  # arq's default, and workers.settings.WorkerSettings' (it sets none)
# The measured worker: arq with a short poll and a large read batch. arq starts at most
# max_jobs tasks per poll, so with the deployed settings (max_jobs = WORKER_CONCURRENCY,
# 20, and the 0.5 s poll) it cannot exceed ~40 tasks/s whatever the machine; that
# configuration is measured too ("arq_deployed", fewer tasks) and reported beside it.
TUNED = {"poll_delay": 0.05, "max_jobs": 200}
DEPLOYED_TASKS = 1_000


@dataclass(frozen=True)
class Workload:
    enrollments: int
    tasks: int
    pairs: int
    paced: int = 100  # tasks of the latency stream


WORKLOADS = {
    "ci": Workload(enrollments=10_000, tasks=2_000, pairs=3, paced=50),
    "local": Workload(enrollments=100_000, tasks=20_000, pairs=3),
    "full": Workload(enrollments=100_000, tasks=20_000, pairs=5),
}


@dataclass(frozen=True)
class Target:
    name: str
    op: str
    threshold: float


TARGETS = [Target("steps_per_s", ">=", 5_000), Target("arq_over_raw_tasks", ">=", 0.25),
           Target("enqueue_to_start_p50_ms", "<=", POLL_DELAY * 1000 + 50)]

STEPS: list[dict[str, Any]] = [
    {"key": "e", "type": "email", "subject": "Hello", "html_body":
     "<p>Hi {{ first_name }}</p><p><a href=\"{{ unsubscribe_url }}\">Unsubscribe</a> "
     "{{ postal_address }}</p>", "text_body": "", "text_is_custom": False,
     "template_id": None, "next": "later"},
    {"key": "t", "type": "tag", "tag": "b6 nurtured", "next": "later"},
    {"key": "w", "type": "wait", "amount": 1, "unit": "days", "window": "", "next": "done"},
    {"key": "later", "type": "wait", "amount": 1, "unit": "months", "window": "",
     "next": "done"},
    {"key": "done", "type": "end"},
]
START_KEYS = ("e", "t", "w")


# -- steps -----------------------------------------------------------------------------


async def seed_steps(conn: Any, count: int, run: int) -> int:
    """People with consent and a live sequence with `count` due enrolments (COPY)."""
    from domain.sequences import service

    now = datetime.now(UTC)
    first = await conn.fetchval("SELECT coalesce(max(id), 0) + 1 FROM people")
    await conn.copy_records_to_table(
        "people", columns=["email", "full_name", "source", "created_at", "updated_at"],
        records=[(f"b6-{run}-{n}@bench.example", f"B6 {n}", "bench", now, now)
                 for n in range(count)])
    ids = [r["id"] for r in await conn.fetch(
        "SELECT id FROM people WHERE id >= $1 AND email LIKE $2 ORDER BY id", first,
        f"b6-{run}-%")]
    await conn.copy_records_to_table(
        "consent_records", columns=["person", "purpose", "scope", "action", "method",
                                    "occurred_at"],
        records=[(p, "community_emails", "", "given", "bench", now) for p in ids])
    draft = service.SequenceDraft(
        name=f"B6 nurture {run}", description="", purpose="community_emails",
        consent_scope="", owner="bench@bench.invalid", allow_overlap=True,
        allow_during_application=True, steps=STEPS, entry_rules=[],
        exit_rules=["applied", "hired", "unsubscribed", "replied"])
    sequence_id = await service.create(draft, by="bench@bench.invalid", now=now)
    await service.set_state(sequence_id, "activate", by="bench@bench.invalid", now=now)
    await conn.copy_records_to_table(
        "sequence_enrollments",
        columns=["sequence", "version", "person", "state", "step_key", "due_at", "entered_at",
                 "entry_reason", "paused_reason", "exit_reason", "updated_at"],
        records=[(sequence_id, 1, p, "active", START_KEYS[i % 3], now, now, "bench", "", "",
                  now) for i, p in enumerate(ids)])
    return sequence_id


async def run_steps(conn: Any, count: int, run: int) -> dict[str, Any]:
    from domain.sequences import scheduler

    sequence_id = await seed_steps(conn, count, run)
    await conn.execute("ANALYZE sequence_enrollments")
    start = time.perf_counter()
    ran = await scheduler.tick(now=datetime.now(UTC), budget=CHILD_TIMEOUT)
    seconds = time.perf_counter() - start
    facts = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM sequence_step_runs r JOIN sequence_enrollments e "
        "        ON e.id = r.enrollment WHERE e.sequence = $1) AS runs, "
        "(SELECT count(*) FROM marketing_sends s JOIN sequence_enrollments e "
        " ON e.id = s.enrollment WHERE e.sequence = $1) AS emails, "
        "(SELECT count(*) FROM sequence_enrollments WHERE sequence = $1 "
        " AND state = 'active' AND step_key = 'done') AS waiting", sequence_id)
    return {"seconds": round(seconds, 4), "steps": ran,
            "steps_per_s": round(ran / seconds) if seconds else 0, "runs": facts["runs"],
            "emails": facts["emails"], "waiting_for_end": facts["waiting"],
            "expected_steps": expected_steps(count)}


def expected_steps(count: int) -> int:
    per_start = {"e": 2, "t": 2, "w": 1}
    return sum(per_start[START_KEYS[i % 3]] for i in range(count))


# -- tasks -----------------------------------------------------------------------------


async def _noop(ctx: dict) -> None:
    started = ctx.get("b6_started")
    if started is not None:
        started.append(time.time() * 1000 - ctx["enqueue_time"].timestamp() * 1000)


async def run_raw(redis_url: str, count: int) -> dict[str, Any]:
    """The ceiling: LPUSH each message, BRPOP each, one client, sequential."""
    from redis.asyncio import Redis

    redis = Redis.from_url(redis_url)
    try:
        await redis.delete(RAW_LIST)
        start = time.perf_counter()
        for n in range(count):
            await redis.lpush(RAW_LIST, f"job-{n}")
        for _ in range(count):
            await redis.brpop([RAW_LIST], timeout=5)
        seconds = time.perf_counter() - start
    finally:
        await redis.aclose()
    return {"seconds": round(seconds, 4), "tasks_per_s": round(count / seconds)}


def deployed() -> dict[str, Any]:
    from settings import get_settings

    return {"poll_delay": POLL_DELAY, "max_jobs": get_settings().worker_concurrency}


def _worker(redis_url: str, config: dict[str, Any]) -> Any:
    from arq.worker import Worker, func

    from workers.queue import redis_settings

    return Worker(functions=[func(_noop, name="b6_noop")], redis_settings=redis_settings(
        redis_url), queue_name=QUEUE, burst=True, keep_result=0, handle_signals=False,
        poll_delay=config["poll_delay"], max_jobs=config["max_jobs"])


async def run_arq(redis_url: str, count: int, config: dict[str, Any]) -> dict[str, Any]:
    """Enqueue `count` no-op tasks with arq, then a burst worker runs them all."""
    from arq import create_pool

    from workers.queue import redis_settings

    pool = await create_pool(redis_settings(redis_url), default_queue_name=QUEUE)
    worker = _worker(redis_url, config)
    try:
        await pool.delete(QUEUE)
        start = time.perf_counter()
        for _ in range(count):
            await pool.enqueue_job("b6_noop")
        await worker.main()
        seconds = time.perf_counter() - start
        done = worker.jobs_complete
    finally:
        await worker.close()
        await pool.aclose()
    return {"seconds": round(seconds, 4), "tasks_per_s": round(count / seconds),
            "completed": done, "expected": count}


async def run_latency(redis_url: str, count: int) -> dict[str, Any]:
    """A paced stream (one task every 20 ms) while a worker polls: enqueue→start."""
    from arq import create_pool
    from arq.worker import Worker, func

    from workers.queue import redis_settings

    started: list[float] = []
    pool = await create_pool(redis_settings(redis_url), default_queue_name=QUEUE)
    worker = Worker(functions=[func(_noop, name="b6_noop")], redis_settings=redis_settings(
        redis_url), queue_name=QUEUE, burst=False, keep_result=0, poll_delay=POLL_DELAY,
        max_jobs=deployed()["max_jobs"], handle_signals=False, ctx={"b6_started": started})
    runner = asyncio.create_task(worker.main())
    try:
        for _ in range(count):
            await pool.enqueue_job("b6_noop")
            await asyncio.sleep(0.02)
        deadline = time.monotonic() + 30
        while len(started) < count and time.monotonic() < deadline:  # noqa: ASYNC110 - bounded wait on the worker's list
            await asyncio.sleep(0.05)
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        await worker.close()
        await pool.aclose()
    ordered = sorted(started)
    return {"samples": len(ordered),
            "p50_ms": round(statistics.median(ordered), 1) if ordered else None,
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1)
            if ordered else None}


# -- rounds ------------------------------------------------------------------------------


class Bench:
    def __init__(self, workload: Workload, raw_pool: Any, redis_url: str) -> None:
        self.workload, self.raw_pool, self.redis_url = workload, raw_pool, redis_url
        self.run_index = 0

    async def round(self) -> dict[str, Any]:
        self.run_index += 1
        async with self.raw_pool.acquire() as conn:
            steps = await run_steps(conn, self.workload.enrollments, self.run_index)
        tasks = self.workload.tasks
        return {"raw": await run_raw(self.redis_url, tasks),
                "arq": await run_arq(self.redis_url, tasks, TUNED),
                "arq_deployed": await run_arq(self.redis_url, min(tasks, DEPLOYED_TASKS),
                                              deployed()),
                "steps": steps}

    async def rounds(self, sample: Any) -> dict[str, Any]:
        warmup = await self.round()
        rounds = []
        for index in range(self.workload.pairs):  # bounded by the workload
            noise = sample()
            runs = await self.round()
            log(f"  pair {index + 1}/{self.workload.pairs}: steps "
                f"{runs['steps']['steps_per_s']:,}/s, raw {runs['raw']['tasks_per_s']:,}/s, "
                f"arq {runs['arq']['tasks_per_s']:,}/s, deployed "
                f"{runs['arq_deployed']['tasks_per_s']:,}/s {noise}")
            rounds.append({"pair": index, **noise, "runs": runs})
        latency = await run_latency(self.redis_url, self.workload.paced)
        return {"warmup": warmup, "rounds": rounds, "latency": latency}


def summarise(measured: dict[str, Any], kept: list[int]) -> dict[str, Any]:
    rounds = measured["rounds"]
    runs = [r["runs"] for r in rounds] + [measured["warmup"]]
    return {
        "medians": {
            "steps_per_s": round(statistics.median(
                rounds[i]["runs"]["steps"]["steps_per_s"] for i in kept)),
            "raw_tasks_per_s": round(statistics.median(
                rounds[i]["runs"]["raw"]["tasks_per_s"] for i in kept)),
            "arq_tasks_per_s": round(statistics.median(
                rounds[i]["runs"]["arq"]["tasks_per_s"] for i in kept)),
            "arq_deployed_tasks_per_s": round(statistics.median(
                rounds[i]["runs"]["arq_deployed"]["tasks_per_s"] for i in kept))},
        "ratio": ratio_stats([rounds[i]["runs"]["arq"]["tasks_per_s"]
                              / rounds[i]["runs"]["raw"]["tasks_per_s"] for i in kept]),
        "deployed_ratio": ratio_stats(
            [rounds[i]["runs"]["arq_deployed"]["tasks_per_s"]
             / rounds[i]["runs"]["raw"]["tasks_per_s"] for i in kept]),
        "latency": measured["latency"],
        # Every step the rows show, and every email queued: nothing lost or doubled.
        "step_mismatches": sum(run["steps"]["runs"] != run["steps"]["expected_steps"]
                               or run["steps"]["steps"] != run["steps"]["expected_steps"]
                               for run in runs),
        "unfinished_tasks": sum(run[name]["completed"] != run[name]["expected"]
                                for run in runs for name in ("arq", "arq_deployed")),
    }


def checks(summary: dict[str, Any]) -> list[Check]:
    p50 = summary["latency"]["p50_ms"]
    values = {"steps_per_s": summary["medians"]["steps_per_s"],
              "arq_over_raw_tasks": summary["ratio"]["median"],
              "enqueue_to_start_p50_ms": float("inf") if p50 is None else p50}
    return [Check(t.name, float(values[t.name]), t.op, t.threshold) for t in TARGETS]


async def child_main(workload: Workload) -> dict[str, Any]:
    import asyncpg

    from domain.db import close_pool, start_pool
    from settings import get_settings

    settings = get_settings()
    await start_pool(max_size=settings.db_pool_max)
    raw_pool = await asyncpg.create_pool(settings.require_database_url(), min_size=1,
                                         max_size=2)
    try:
        return await Bench(workload, raw_pool, settings.require_redis_url()).rounds(
            noise_sample)
    finally:
        await raw_pool.close()
        await close_pool()


# -- the harness side --------------------------------------------------------------------


def _run_child(ctx: Context, workload: Workload) -> dict[str, Any]:
    command = [*ctx.pinning.prefix(ctx.pinning.server_cpu), sys.executable, "-m",
               "bench.b6_nurture", json.dumps(asdict(workload))]
    done = subprocess.run(command, cwd=ROOT, env=ctx.env, stdout=subprocess.PIPE, text=True,
                          timeout=CHILD_TIMEOUT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"B6 child exited with {done.returncode}")
    return json.loads(done.stdout)


def run(ctx: Context) -> tuple[list[Check], dict[str, Any]]:
    workload = WORKLOADS[ctx.size_name]
    log(f"B6: {workload.enrollments:,} due nurture steps; {workload.tasks:,} arq no-op tasks "
        f"vs LPUSH/BRPOP, {workload.pairs} pairs")
    measured = _run_child(ctx, workload)
    kept = kept_pairs(measured["rounds"])
    summary = summarise(measured, kept)
    warnings = []
    if summary["deployed_ratio"]["median"] < 0.25:
        warnings.append(f"with the deployed worker settings ({deployed()}) arq runs "
                        f"{summary['medians']['arq_deployed_tasks_per_s']}/s, "
                        f"{summary['deployed_ratio']['median']:.3f}x raw: a poll starts at "
                        "most max_jobs tasks; set poll_delay/max_jobs as in TUNED")
    if summary["step_mismatches"]:
        warnings.append(f"{summary['step_mismatches']} rounds where the steps run differ "
                        "from the steps expected")
    figures = {
        "loadgen": {"name": "sequential calls", "where": "in the measured child process"},
        "pinning": ctx.pinning.as_dict(),
        "protocol": {**asdict(workload), "order": ["steps", "raw", "arq", "arq_deployed"],
                     "steps": "scheduler.tick over due enrolments: 1/3 email, 1/3 tag, "
                              "1/3 wait; email and tag followed by a wait due at once",
                     "raw": "redis-py LPUSH x T then BRPOP x T, one connection",
                     "arq": f"arq enqueue_job x T then Worker(burst=True, {TUNED}).main()",
                     "arq_deployed": f"the same with min(T, {DEPLOYED_TASKS}) tasks and "
                                     "the deployed poll_delay and max_jobs",
                     "latency": "paced stream, a task every 20 ms, non-burst worker"},
        **summary,
        "kept_pairs": kept,
        "warmup": measured["warmup"],
        "pairs": measured["rounds"],
        "warnings": warnings,
    }
    return checks(summary), figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.b6_nurture")
    parser.add_argument("workload", help="JSON of bench.b6_nurture.Workload")
    args = parser.parse_args(argv)
    workload = Workload(**json.loads(args.workload))
    # On uvloop, as the deployed worker runs (`python -m workers`): arq and the raw
    # LPUSH/BRPOP ceiling share the same loop.
    print(json.dumps(uvloop.run(child_main(workload))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
