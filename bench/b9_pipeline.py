"""B9, the pipeline at scale (QUALITY.md 3.2): with N applications on one requisition,

- list: the back office's pipeline list read model (`domain.pipeline.board.page`, what
  /backoffice/requisitions/{id}/pipeline renders) for page 1 against a deep page reached
  by its keyset (`after` = the last id of the page before). The ceiling is page 1 itself:
  keyset pages should cost the same at any depth (deep/first ≤ 1.5). The same query with
  OFFSET is timed once per round as a figure, to show what keyset saves.
- bulk: moving 1,000 selected applicants through `domain.pipeline.bulk.move` (lock, one
  UPDATE, transitions, audit entries and timeline events, in one transaction) against a
  raw ceiling in one transaction on a plain asyncpg pool: `UPDATE applications … WHERE
  id = ANY($1)` and COPY of the same transition and audit rows (target: at least half the raw rate).

Data is seeded by COPY (bench.b9_seed). Both parts run in one child process pinned to the
server core, ceiling first, for `pairs` rounds after a discarded warm-up round.
`python -m bench B9` runs it; `python -m bench.b9_pipeline` is the child.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.b9_seed import BY, Seeded, seed
from bench.harness import Check, Context, kept_pairs, log, noise_sample, ratio_stats

ROOT = Path(__file__).resolve().parent.parent
CHILD_TIMEOUT = 1800.0
FIRST, DEEP, RAW, DOMAIN = "first_page", "deep_page", "raw_bulk", "domain_bulk"
RAW_UPDATE = ("UPDATE applications SET stage = $2, status = 'active', last_action_at = $3, "
              "stage_entered_at = $3 WHERE id = ANY($1::int[])")


@dataclass(frozen=True)
class Workload:
    applications: int
    deep_page: int  # 1-based page number reached by keyset
    reads: int  # page reads per list run (the median is the run's figure)
    batch: int  # applicants per bulk move
    moves: int  # bulk moves per run, back and forth (the median is the run's figure)
    pairs: int


WORKLOADS = {
    "ci": Workload(applications=5_000, deep_page=90, reads=30, batch=1_000, moves=3,
                   pairs=3),
    "local": Workload(applications=100_000, deep_page=2_000, reads=50, batch=1_000, moves=5,
                      pairs=5),
    "full": Workload(applications=1_000_000, deep_page=19_000, reads=50, batch=1_000,
                     moves=5, pairs=5),
}


@dataclass(frozen=True)
class Target:
    name: str
    metric: str
    op: str
    threshold: float


TARGETS = [
    Target("deep_over_first_ms", "list_ratio", "<=", 1.5),
    Target("bulk_over_raw_moves", "bulk_ratio", ">=", 0.5),
]


class _Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


async def timed_reads(read: Callable[[], Awaitable[Any]], count: int) -> dict[str, float]:
    """`count` sequential reads; the median and p95 latency in ms."""
    latencies = []
    for _ in range(count):  # bounded by count
        start = time.perf_counter()
        await read()
        latencies.append((time.perf_counter() - start) * 1000)
    latencies.sort()
    return {"median_ms": round(statistics.median(latencies), 4),
            "p95_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))], 4)}


class Bench:
    """The seeded requisition and both parts of a round (runs in the child, or a test)."""

    def __init__(self, workload: Workload, raw_pool: Any, seeded: Seeded) -> None:
        self.workload, self.raw_pool, self.seeded = workload, raw_pool, seeded
        size = workload.batch
        # Two disjoint batches, each flipped between the two open stages every round.
        self.batches = {RAW: seeded.ids[:size], DOMAIN: seeded.ids[size:2 * size]}
        self.where = {RAW: seeded.moving[0], DOMAIN: seeded.moving[0]}

    @property
    def deep_after(self) -> int:
        from domain.pipeline.board import PAGE_SIZE

        index = min(len(self.seeded.ids), (self.workload.deep_page - 1) * PAGE_SIZE) - 1
        return self.seeded.ids[max(0, index)]

    async def list_runs(self) -> dict[str, dict[str, Any]]:
        from domain.pipeline import board

        requisition, reads = self.seeded.requisition, self.workload.reads
        first = await timed_reads(lambda: board.page(requisition), reads)
        after = self.deep_after
        deep = await timed_reads(lambda: board.page(requisition, after=after), reads)
        rows = len((await board.page(requisition, after=after)).rows)
        offset = await timed_reads(self._offset_read, max(3, reads // 10))
        return {FIRST: first, DEEP: {**deep, "rows": rows, "after": after},
                "offset_page": offset}

    async def _offset_read(self) -> None:
        from domain.pipeline.board import _ROW, PAGE_SIZE

        # The same row query paged by OFFSET, for contrast only (no page uses this).
        await self.raw_pool.fetch(
            _ROW + "WHERE a.requisition = $1 ORDER BY a.id LIMIT $2 OFFSET $3",
            self.seeded.requisition, PAGE_SIZE + 1,
            (self.workload.deep_page - 1) * PAGE_SIZE)

    def _next_stage(self, name: str) -> int:
        """The other of the two open stages: the seed put every application in the first,
        and each move takes the whole batch across."""
        first, second = self.seeded.moving
        self.where[name] = second if self.where[name] == first else first
        return self.where[name]

    async def _raw_move(self) -> int:
        ids, to_stage = self.batches[RAW], self._next_stage(RAW)
        now = datetime.now(UTC)
        async with self.raw_pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch("SELECT id, stage FROM applications WHERE id = ANY($1)",
                                    ids)
            await conn.execute(RAW_UPDATE, ids, to_stage, now)
            await conn.copy_records_to_table(
                "stage_transitions", columns=["application", "from_stage", "to_stage", "kind",
                                              "by", "at", "reason"],
                records=[(r["id"], r["stage"], to_stage, "moved", BY, now, "") for r in rows])
            await conn.copy_records_to_table(
                "audit_entries", columns=["occurred_at", "actor", "action", "subject", "ip",
                                          "detail"],
                records=[(now, BY, "application.moved", f"application:{r['id']}", "",
                          json.dumps({"from_stage": r["stage"], "to_stage": to_stage}))
                         for r in rows])
        return len(rows)

    async def _domain_move(self) -> int:
        from domain.pipeline import bulk

        result = await bulk.move(self.seeded.requisition, self.batches[DOMAIN],
                                 self._next_stage(DOMAIN), by=BY, clock=_Clock())
        return len(result.done)

    async def bulk_run(self, move: Callable[[], Awaitable[int]]) -> dict[str, Any]:
        """`moves` bulk moves of the batch, back and forth; the median rate."""
        rates, moved = [], []
        for _ in range(self.workload.moves):  # bounded by the workload
            start = time.perf_counter()
            moved.append(await move())
            rates.append(moved[-1] / (time.perf_counter() - start))
        return {"moved": min(moved), "total_moved": sum(moved),
                "moves_per_s": round(statistics.median(rates), 2),
                "per_move": [round(rate, 1) for rate in rates]}

    async def written(self, ids: list[int], since: datetime) -> dict[str, int]:
        """Rows a batch left since `since`: one transition and one audit entry each."""
        row = await self.raw_pool.fetchrow(
            "SELECT (SELECT count(*) FROM stage_transitions WHERE application = ANY($1) "
            "AND at >= $2 AND kind = 'moved') AS transitions, (SELECT count(*) FROM "
            "audit_entries WHERE subject = ANY($3) AND occurred_at >= $2) AS audit",
            ids, since, [f"application:{i}" for i in ids])
        return dict(row)

    async def round(self) -> dict[str, Any]:
        since = datetime.now(UTC)
        runs = {**await self.list_runs(), RAW: await self.bulk_run(self._raw_move),
                DOMAIN: await self.bulk_run(self._domain_move)}
        runs["rows_written"] = {name: await self.written(self.batches[name], since)
                                for name in (RAW, DOMAIN)}
        return runs

    async def rounds(self, sample: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        warmup = await self.round()
        rounds = []
        for index in range(self.workload.pairs):
            noise = sample()
            runs = await self.round()
            log(f"  pair {index + 1}/{self.workload.pairs}: page 1 "
                f"{runs[FIRST]['median_ms']:.2f} ms, page {self.workload.deep_page} "
                f"{runs[DEEP]['median_ms']:.2f} ms (offset "
                f"{runs['offset_page']['median_ms']:.1f} ms); bulk raw "
                f"{runs[RAW]['moves_per_s']:.0f}/s, domain {runs[DOMAIN]['moves_per_s']:.0f}/s"
                f" {noise}")
            rounds.append({"pair": index, **noise, "runs": runs})
        return {"warmup": warmup, "rounds": rounds}


async def child_main(workload: Workload) -> dict[str, Any]:
    import asyncpg

    from domain.db import close_pool, start_pool
    from settings import get_settings

    settings = get_settings()
    size = settings.db_pool_max
    await start_pool(max_size=size)
    raw_pool = await asyncpg.create_pool(settings.require_database_url(), min_size=1,
                                         max_size=size, reset=_no_reset)
    try:
        began = time.perf_counter()
        async with raw_pool.acquire() as conn:
            seeded = await seed(conn, workload.applications)
        seed_seconds = time.perf_counter() - began
        measured = await Bench(workload, raw_pool, seeded).rounds(noise_sample)
        measured["seed_seconds"] = round(seed_seconds, 3)
        return measured
    finally:
        await raw_pool.close()
        await close_pool()


async def _no_reset(_: Any) -> None:
    """Same as the app's pool (domain.db): no RESET ALL round trip on every release."""


# -- the harness side --------------------------------------------------------------------


def _run_child(ctx: Context, workload: Workload) -> dict[str, Any]:
    command = [*ctx.pinning.prefix(ctx.pinning.server_cpu), sys.executable, "-m",
               "bench.b9_pipeline", json.dumps(asdict(workload))]
    done = subprocess.run(command, cwd=ROOT, env=ctx.env, stdout=subprocess.PIPE, text=True,
                          timeout=CHILD_TIMEOUT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"B9 child exited with {done.returncode}")
    return json.loads(done.stdout)


def _per_pair(rounds: list[dict[str, Any]], kept: list[int], top: str, bottom: str,
              metric: str) -> list[float]:
    return [rounds[i]["runs"][top][metric] / rounds[i]["runs"][bottom][metric] for i in kept]


def summarise(measured: dict[str, Any], kept: list[int]) -> dict[str, Any]:
    rounds = measured["rounds"]
    runs = [r["runs"] for r in rounds] + [measured["warmup"]]
    medians = {name: round(statistics.median(rounds[i]["runs"][name][metric] for i in kept), 4)
               for name, metric in ((FIRST, "median_ms"), (DEEP, "median_ms"),
                                    ("offset_page", "median_ms"), (RAW, "moves_per_s"),
                                    (DOMAIN, "moves_per_s"))}
    sizes = {run[name]["moved"] for run in runs for name in (RAW, DOMAIN)}
    short = sum(run[DOMAIN]["moved"] != run[RAW]["moved"] for run in runs)
    unaudited = sum(counts["transitions"] != run[name]["total_moved"] or
                    counts["audit"] != run[name]["total_moved"]
                    for run in runs for name, counts in run["rows_written"].items())
    return {
        "medians": medians,
        "list_ratio": ratio_stats(_per_pair(rounds, kept, DEEP, FIRST, "median_ms")),
        "bulk_ratio": ratio_stats(_per_pair(rounds, kept, DOMAIN, RAW, "moves_per_s")),
        "batch_sizes": sorted(sizes),
        "short_batches": short,
        "batches_without_their_rows": unaudited,
    }


def checks(summary: dict[str, Any]) -> list[Check]:
    values = {"list_ratio": summary["list_ratio"]["median"],
              "bulk_ratio": summary["bulk_ratio"]["median"]}
    return [Check(t.name, float(values[t.metric]), t.op, t.threshold) for t in TARGETS]


def run(ctx: Context) -> tuple[list[Check], dict[str, Any]]:
    workload = WORKLOADS[ctx.size_name]
    log(f"B9: {workload.applications} applications on one requisition; page 1 vs page "
        f"{workload.deep_page}, bulk moves of {workload.batch}, {workload.pairs} pairs")
    measured = _run_child(ctx, workload)
    kept = kept_pairs(measured["rounds"])
    summary = summarise(measured, kept)
    warnings = []
    if summary["short_batches"] or summary["batches_without_their_rows"]:
        warnings.append(f"{summary['short_batches']} domain batches moved fewer rows than "
                        f"raw; {summary['batches_without_their_rows']} batches lack a "
                        f"transition or audit row per move")
    figures = {
        "loadgen": {"name": "sequential calls", "where": "in the measured child process"},
        "pinning": ctx.pinning.as_dict(),
        "protocol": {**asdict(workload), "order": [FIRST, DEEP, "offset_page", RAW, DOMAIN],
                     "ceiling_sql": RAW_UPDATE + " + COPY stage_transitions + COPY "
                     "audit_entries, one transaction",
                     "domain_writes": "lock (SELECT … FOR UPDATE), UPDATE, INSERT "
                     "transitions, audit entries and timeline events, one transaction"},
        "seed_seconds": measured["seed_seconds"],
        **summary,
        "kept_pairs": kept,
        "warmup": measured["warmup"],
        "pairs": measured["rounds"],
        "warnings": warnings,
    }
    return checks(summary), figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.b9_pipeline")
    parser.add_argument("workload", help="JSON of bench.b9_pipeline.Workload")
    args = parser.parse_args(argv)
    workload = Workload(**json.loads(args.workload))
    print(json.dumps(asyncio.run(child_main(workload))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
