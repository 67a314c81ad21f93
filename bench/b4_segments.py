"""B4, segments over N candidates (QUALITY.md 3.2): five canonical segments, count and
first page, at N = 10⁴ (ci), 10⁴ and 10⁵ (local), up to 10⁶ (full).

Each N gets its own throwaway database next to the harness's, migrated and filled by
`talentloop seed bench --people N` (domain.demo.bench_population: ~8 Zipf skills per
person, ~10 engagement events, scores, memberships, consent, applications). A child
process pinned to the server core saves the five segments as a recruiter would and lets
the membership refresher build them (timed: `build_ms`), times one incremental refresh
after 1,000 people changed (`incremental_ms`), then runs a discarded warm-up round and
`pairs` rounds of, per segment:

- domain: `domain.segments.queries.saved` — what the segment page, the segment list and
  a dynamic pool read: the maintained count and the first page of members (QUALITY.md
  3.3: "membership is rebuilt incrementally"), on Piccolo's pool;
- raw (the ceiling for ORM/builder overhead): the very SQL texts and arguments the
  domain sent (recorded once), on a plain asyncpg pool;
- live (reported, not checked against the 50 ms target): `queries.preview`, the builder's
  evaluation of an unsaved definition over everyone (parse, catalog, compile, page,
  count);

and once per round the other ceiling, `SELECT count(*)` over people JOIN profiles (a
sequential scan: what a segment engine without indexes pays). Every read is timed end to
end; after the rounds, `EXPLAIN (ANALYZE, BUFFERS)` of each segment's live count and page
records which indexes the plans use.

Checks (worst segment, at the largest N run): domain/raw ≤ 1.2, domain p95 ≤ 50 ms,
domain/seq-scan ≤ 0.05, and the log-log slope of domain latency against N ≤ 0.5 (only
when two or more sizes ran). `python -m bench B4`; `python -m bench.b4_segments` is the child.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.harness import Check, Context, kept_pairs, log, noise_sample
from bench.services import _admin_sql, cli, with_database

ROOT = Path(__file__).resolve().parent.parent
CHILD_TIMEOUT = 1800.0
SEED_TIMEOUT = 3600.0
MIGRATE_TIMEOUT = 300.0
SEQ_SQL = "SELECT count(*) FROM people p JOIN profiles pr ON pr.person = p.id"

SEGMENTS: dict[str, dict[str, Any]] = {
    "python_ml_in_de": {"match": "all", "conditions": [
        {"field": "skills", "op": "all", "value": ["python", "machine-learning"]},
        {"field": "country", "op": "in", "value": ["DE"]}]},
    "senior_data": {"match": "all", "conditions": [
        {"field": "job_function", "op": "in", "value": ["data"]},
        {"field": "seniority", "op": "in", "value": ["senior", "lead"]}]},
    "hot_last_30_days": {"match": "all", "conditions": [
        {"field": "engagement_band", "op": "in", "value": ["hot"]},
        {"field": "last_engaged", "op": "within_days", "value": 30}]},
    "react_or_vue_remote": {"match": "all", "conditions": [
        {"field": "skills", "op": "any", "value": ["react", "vue"]},
        {"field": "work_mode", "op": "any", "value": ["remote"]}]},
    "engineering_community_mailable": {"match": "all", "conditions": [
        {"field": "community", "op": "member_of", "value": ["bench-engineering"]},
        {"field": "consent", "op": "given", "value": "community_emails"},
        {"field": "last_engaged", "op": "within_days", "value": 90}]},
}


@dataclass(frozen=True)
class Workload:
    sizes: tuple[int, ...]
    reads: int  # timed reads per segment and variant per round
    seq_reads: int  # timed seq-scan counts per round
    pairs: int
    seed: int = 1
    live_reads: int = 3  # the builder's live evaluation, per segment and round


WORKLOADS = {
    "ci": Workload(sizes=(10_000,), reads=10, seq_reads=3, pairs=3),
    "local": Workload(sizes=(10_000, 100_000), reads=20, seq_reads=3, pairs=5),
    # At 10⁶ a live count over ~10⁵ matches takes about a second on 2 busy cores.
    "full": Workload(sizes=(10_000, 100_000, 1_000_000), reads=20, seq_reads=2, pairs=3,
                     live_reads=1),
}
CHANGED_PEOPLE = 1_000


@dataclass(frozen=True)
class Target:
    name: str
    op: str
    threshold: float


TARGETS = [Target("orm_over_raw", "<=", 1.2), Target("p95_ms", "<=", 50.0),
           Target("over_seq_scan", "<=", 0.05), Target("loglog_slope", "<=", 0.5)]


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


async def timed(read: Callable[[], Awaitable[Any]], count: int) -> list[float]:
    out = []
    for _ in range(count):  # bounded by count
        start = time.perf_counter()
        await read()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _stats(samples: list[float]) -> dict[str, Any]:
    return {"median_ms": round(statistics.median(samples), 4), "p95_ms": round(p95(samples), 4),
            "samples": [round(s, 3) for s in samples]}


# -- the child: one N, one database ----------------------------------------------------


class Recorder:
    """The SQL texts and arguments a domain read sends, so raw runs the same."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, tuple]] = []

    async def capture(self, read: Callable[[], Awaitable[Any]]) -> list[tuple[str, tuple]]:
        from domain.segments import membership, queries

        patched = []
        for module in (queries, membership):
            for name in ("fetch", "fetchval", "fetch_records"):
                if hasattr(module, name):
                    real = getattr(module, name)
                    patched.append((module, name, real))
                    setattr(module, name, self._wrap(real))
        try:
            await read()
        finally:
            for module, name, real in patched:
                setattr(module, name, real)
        return self.sent

    def _wrap(self, real: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def recorded(sql: str, *args: Any) -> Any:
            self.sent.append((sql, args))
            return await real(sql, *args)

        return recorded


class Bench:
    def __init__(self, workload: Workload, raw_pool: Any, now: datetime) -> None:
        self.workload, self.raw_pool, self.now = workload, raw_pool, now
        self.sql: dict[str, list[tuple[str, tuple]]] = {}  # the saved read's statements
        self.live_sql: dict[str, list[tuple[str, tuple]]] = {}  # the builder's

    async def save_and_build(self) -> dict[str, Any]:
        """Save the segments, build their membership, then apply 1,000 people's changes."""
        from domain.db import fetch
        from domain.segments import membership, service

        for name, definition in SEGMENTS.items():
            await service.save(None, name=name, description="", visibility="shared",
                               definition=definition, owner_id=None, by="bench",
                               now=self.now)
        await fetch("TRUNCATE segment_dirty_people")  # the seed's rows: built below anyway
        start = time.perf_counter()
        built = await membership.tick(now=self.now)
        build_ms = (time.perf_counter() - start) * 1000
        # 1,000 people change (a profile edit each): the next round applies just them.
        await fetch("UPDATE profiles SET seniority = 'senior', updated_at = $1 WHERE person IN "
                    "(SELECT person FROM profiles ORDER BY person DESC LIMIT $2)",
                    self.now, CHANGED_PEOPLE)
        start = time.perf_counter()
        applied = await membership.tick(now=self.now)
        incremental_ms = (time.perf_counter() - start) * 1000
        return {"build_ms": round(build_ms, 1), "built": built,
                "incremental_ms": round(incremental_ms, 1), "incremental": applied,
                "changed_people": CHANGED_PEOPLE}

    async def prepare(self) -> dict[str, dict[str, Any]]:
        """Record each read's SQL; counts and page sizes must agree every way."""
        from domain.segments import queries

        shapes = {}
        for name, definition in SEGMENTS.items():
            self.sql[name] = await Recorder().capture(
                lambda d=definition: queries.saved(d, now=self.now))
            # the page and the count (the budget's SET LOCAL, and the estimate's EXPLAIN
            # when the count overran it, left out)
            self.live_sql[name] = [sent for sent in await Recorder().capture(
                lambda d=definition: queries.preview(d, now=self.now))
                if not sent[0].startswith(("SET ", "EXPLAIN "))]
            saved = await queries.saved(definition, now=self.now)
            # exact, however long it takes: the figures must agree (timed reads below keep
            # the builder's budget, as a recruiter gets it)
            live = await queries.preview(definition, now=self.now, count_budget_ms=3_600_000)
            _page, (count_sql, count_args) = self.live_sql[name]
            raw_count = await self.raw_pool.fetchval(count_sql, *count_args)
            shapes[name] = {"count": saved.count, "page_rows": len(saved.rows),
                            "maintained": saved.as_of is not None,
                            "live_count": live.count, "raw_count": raw_count,
                            "same_first_page": [r["id"] for r in saved.rows]
                            == [r["id"] for r in live.rows]}
        return shapes

    async def _raw(self, name: str) -> None:
        for sql, args in self.sql[name]:
            await self.raw_pool.fetch(sql, *args)

    async def _domain(self, name: str) -> None:
        from domain.segments import queries

        await queries.saved(SEGMENTS[name], now=self.now)

    async def _live(self, name: str) -> None:
        from domain.segments import queries

        await queries.preview(SEGMENTS[name], now=self.now)

    async def round(self) -> dict[str, Any]:
        reads = self.workload.reads
        runs: dict[str, Any] = {"seq_scan": _stats(await timed(
            lambda: self.raw_pool.fetchval(SEQ_SQL), self.workload.seq_reads))}
        for name in SEGMENTS:
            runs[name] = {"raw": _stats(await timed(lambda n=name: self._raw(n), reads)),
                          "domain": _stats(await timed(lambda n=name: self._domain(n), reads)),
                          "live": _stats(await timed(lambda n=name: self._live(n),
                                                     self.workload.live_reads))}
        return runs

    async def explain(self) -> dict[str, Any]:
        plans = {}
        for name, ((page_sql, page_args), (count_sql, count_args)) in self.live_sql.items():
            plans[name] = {
                "page": summarise_plan(await self._plan(page_sql, page_args)),
                "count": summarise_plan(await self._plan(count_sql, count_args))}
        return plans

    async def _plan(self, sql: str, args: tuple) -> dict[str, Any]:
        raw = await self.raw_pool.fetchval(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}",
                                           *args)
        return (json.loads(raw) if isinstance(raw, str) else raw)[0]


def summarise_plan(plan: dict[str, Any]) -> dict[str, Any]:
    """Indexes used, relations read by a sequential scan, execution time."""
    indexes, seq, nodes = set(), set(), []

    def walk(node: dict[str, Any]) -> None:
        nodes.append(node["Node Type"])
        if "Index Name" in node:
            indexes.add(node["Index Name"])
        if node["Node Type"] == "Seq Scan":
            seq.add(node.get("Relation Name", "?"))
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    return {"indexes": sorted(indexes), "seq_scans": sorted(seq),
            "nodes": sorted(set(nodes)), "execution_ms": round(plan["Execution Time"], 3)}


async def child_main(workload: Workload) -> dict[str, Any]:
    import asyncpg

    from domain.db import close_pool, start_pool
    from settings import get_settings

    settings = get_settings()
    await start_pool(max_size=settings.db_pool_max)
    raw_pool = await asyncpg.create_pool(settings.require_database_url(), min_size=1,
                                         max_size=settings.db_pool_max, reset=_no_reset)
    try:
        bench = Bench(workload, raw_pool, datetime.now(UTC))
        maintenance = await bench.save_and_build()
        shapes = await bench.prepare()
        warmup = await bench.round()
        rounds = []
        for index in range(workload.pairs):  # bounded by the workload
            noise = noise_sample()
            runs = await bench.round()
            log(f"  pair {index + 1}/{workload.pairs}: seq {runs['seq_scan']['median_ms']:.1f}"
                f" ms; saved/raw/live " + ", ".join(
                    f"{n} {runs[n]['domain']['median_ms']:.1f}/{runs[n]['raw']['median_ms']:.1f}"
                    f"/{runs[n]['live']['median_ms']:.0f}" for n in SEGMENTS)
                + f" {noise}")
            rounds.append({"pair": index, **noise, "runs": runs})
        return {"shapes": shapes, "maintenance": maintenance, "warmup": warmup, "rounds": rounds,
                "explain": await bench.explain()}
    finally:
        await raw_pool.close()
        await close_pool()


async def _no_reset(_: Any) -> None:
    """Same as the app's pool (domain.db): no RESET ALL round trip on every release."""


# -- the harness side --------------------------------------------------------------------


def summarise_size(measured: dict[str, Any], kept: list[int]) -> dict[str, Any]:
    """Per segment: pooled median/p95 of each variant, per-pair ratios to raw and seq."""
    rounds = [measured["rounds"][i]["runs"] for i in kept]
    seq = [statistics.median(r["seq_scan"]["samples"]) for r in rounds]
    out: dict[str, Any] = {"seq_scan_median_ms": round(statistics.median(seq), 3)}
    for name in SEGMENTS:
        domain = [s for r in rounds for s in r[name]["domain"]["samples"]]
        raw = [s for r in rounds for s in r[name]["raw"]["samples"]]
        over_raw = [r[name]["domain"]["median_ms"] / r[name]["raw"]["median_ms"]
                    for r in rounds]
        over_seq = [r[name]["domain"]["median_ms"] / s for r, s in zip(rounds, seq,
                                                                        strict=True)]
        live = [s for r in rounds for s in r[name]["live"]["samples"]]
        out[name] = {"domain_median_ms": round(statistics.median(domain), 3),
                     "live_median_ms": round(statistics.median(live), 3),
                     "live_p95_ms": round(p95(live), 3),
                     "domain_p95_ms": round(p95(domain), 3),
                     "raw_median_ms": round(statistics.median(raw), 3),
                     "raw_p95_ms": round(p95(raw), 3),
                     "over_raw": round(statistics.median(over_raw), 4),
                     "over_raw_per_pair": [round(x, 4) for x in over_raw],
                     "over_seq_scan": round(statistics.median(over_seq), 5),
                     **measured["shapes"][name]}
    return out


def loglog_slope(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of log(latency) against log(N)."""
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(ms) for _, ms in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs)


def checks(by_size: dict[int, dict[str, Any]]) -> tuple[list[Check], dict[str, Any]]:
    """Worst segment at the largest N for each target; slopes when two sizes or more ran."""
    largest = by_size[max(by_size)]
    worst = {
        "orm_over_raw": max(largest[n]["over_raw"] for n in SEGMENTS),
        "p95_ms": max(largest[n]["domain_p95_ms"] for n in SEGMENTS),
        "over_seq_scan": max(largest[n]["over_seq_scan"] for n in SEGMENTS),
    }
    slopes = {}
    if len(by_size) >= 2:
        slopes = {n: round(loglog_slope([(size, by_size[size][n]["domain_median_ms"])
                                         for size in sorted(by_size)]), 4) for n in SEGMENTS}
        worst["loglog_slope"] = max(slopes.values())
    found = [Check(f"{t.name}_at_{max(by_size)}" if t.name != "loglog_slope" else t.name,
                   float(worst[t.name]), t.op, t.threshold)
             for t in TARGETS if t.name in worst]
    return found, {"slopes": slopes, "worst_at_largest_n": worst}


def _database(ctx: Context, size: int) -> tuple[str, dict[str, str]]:
    url = ctx.env["DATABASE_URL"]
    name = f"{urlsplit(url).path.lstrip('/')}_b4_{size}"
    return name, {**ctx.env, "DATABASE_URL": with_database(url, name)}


def _run_size(ctx: Context, workload: Workload, size: int) -> dict[str, Any]:
    name, env = _database(ctx, size)
    server = ctx.env["DATABASE_URL"]
    _admin_sql(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin_sql(server, f'CREATE DATABASE "{name}"')
    try:
        cli(env, "migrate", timeout=MIGRATE_TIMEOUT)
        began = time.perf_counter()
        cli(env, "seed", "bench", "--people", str(size), "--seed", str(workload.seed),
            timeout=SEED_TIMEOUT)
        seed_seconds = round(time.perf_counter() - began, 2)
        log(f"B4: {size:,} people seeded in {seed_seconds} s; measuring")
        command = [*ctx.pinning.prefix(ctx.pinning.server_cpu), sys.executable, "-m",
                   "bench.b4_segments", json.dumps(asdict(workload))]
        done = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
                              timeout=CHILD_TIMEOUT, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"B4 child exited with {done.returncode} at N={size}")
        measured = json.loads(done.stdout)
        measured["seed_seconds"] = seed_seconds
        return measured
    finally:
        _admin_sql(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(ctx: Context) -> tuple[list[Check], dict[str, Any]]:
    workload = WORKLOADS[ctx.size_name]
    log(f"B4: {len(SEGMENTS)} segments at N = {', '.join(f'{n:,}' for n in workload.sizes)}; "
        f"{workload.pairs} pairs of {workload.reads} reads")
    by_size, detail, warnings = {}, {}, []
    for size in workload.sizes:
        measured = _run_size(ctx, workload, size)
        kept = kept_pairs(measured["rounds"])
        by_size[size] = summarise_size(measured, kept)
        detail[str(size)] = {"seed_seconds": measured["seed_seconds"], "kept_pairs": kept,
                             "maintenance": measured["maintenance"],
                             "explain": measured["explain"], "pairs": measured["rounds"]}
        for name in SEGMENTS:
            shape = by_size[size][name]
            if not shape["count"] == shape["live_count"] == shape["raw_count"]:
                warnings.append(f"N={size} {name}: maintained count {shape['count']}, live "
                                f"{shape['live_count']}, raw {shape['raw_count']} differ")
            if not shape["maintained"] or not shape["same_first_page"]:
                warnings.append(f"N={size} {name}: not read from maintained membership, or "
                                "its first page differs from the live one")
            if detail[str(size)]["explain"][name]["count"]["seq_scans"]:
                warnings.append(f"N={size} {name}: the live count plan scans "
                                f"{detail[str(size)]['explain'][name]['count']['seq_scans']}"
                                " sequentially")
    found, derived = checks(by_size)
    figures = {
        "loadgen": {"name": "sequential calls", "where": "in the measured child process"},
        "pinning": ctx.pinning.as_dict(),
        "protocol": {**asdict(workload), "segments": SEGMENTS, "seq_scan_sql": SEQ_SQL,
                     "domain": "domain.segments.queries.saved (maintained count + first page)",
                     "raw": "the same SQL on a plain asyncpg pool",
                     "live": "domain.segments.queries.preview (the builder: page + count "
                             "over everyone); reported, not checked",
                     "maintenance": "membership.tick after saving (build_ms) and after "
                                    f"{CHANGED_PEOPLE:,} profile edits (incremental_ms)"},
        "by_size": {str(k): v for k, v in by_size.items()},
        **derived,
        "sizes": detail,
        "warnings": warnings,
    }
    return found, figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.b4_segments")
    parser.add_argument("workload", help="JSON of bench.b4_segments.Workload")
    args = parser.parse_args(argv)
    raw = json.loads(args.workload)
    workload = Workload(**{**raw, "sizes": tuple(raw["sizes"])})
    os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
    print(json.dumps(asyncio.run(child_main(workload))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
