"""B10, CSV import of people with email dedupe (QUALITY.md 3.2): a deterministic CSV of N
rows (`ci` 5,000, `local` 100,000) imported

- ceiling: on a plain asyncpg connection, COPY of the raw file into an UNLOGGED staging
  table (PostgreSQL parses the CSV), then one `INSERT … SELECT DISTINCT ON (email) …
  ON CONFLICT (email) DO UPDATE` filling blank names into `people`;
- domain: the import as staff run it, end to end: `domain.imports.service.upload` (file
  checks, storage), `save_mapping`, `start` (outbox row) and `run` (the task body: read,
  validate and normalise every row, dedupe, batches of 10,000 with staging COPY, people,
  profiles, tags, ledger entries, duplicate hints, progress).

Both get the same file with a round-specific email domain, and a fifth of its addresses
already in `people` (seeded by COPY before the timer starts), so both insert and update.
One child process pinned to the server core runs a discarded warm-up round, then `pairs`
rounds, ceiling first. `python -m bench B10` runs it; `python -m bench.b10_import` is the
child.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness import Check, Context, kept_pairs, log, noise_sample, ratio_stats

ROOT = Path(__file__).resolve().parent.parent
CHILD_TIMEOUT = 3600.0
CEILING, DOMAIN = "ceiling", "domain"
BY = "bench@bench.invalid"
PLACEHOLDER_DOMAIN = "@bench-domain.example"
# Phone and LinkedIn values differ per run too, so that a run does not find every
# earlier run's people as likely duplicates (hints): +44 74xx is a valid mobile block.
PLACEHOLDER_BLOCK = "74XX"
HEADER = "Email,First name,Last name,Phone,LinkedIn URL,Job title,Country,Skills,Tags\n"
STAGING = ("CREATE UNLOGGED TABLE IF NOT EXISTS b10_stage (email text, first_name text, "
           "last_name text, phone text, linkedin text, headline text, country text, "
           "skills text, tags text)")
CEILING_UPSERT = (
    "INSERT INTO people (email, full_name, source, phone, linkedin, created_at, updated_at) "
    "SELECT DISTINCT ON (lower(trim(email))) lower(trim(email)), "
    "trim(first_name || ' ' || last_name), 'bench', coalesce(phone, ''), "
    "coalesce(linkedin, ''), $1, $1 FROM b10_stage WHERE email LIKE '%@%' "
    "ORDER BY lower(trim(email)) ON CONFLICT (email) DO UPDATE SET full_name = CASE WHEN "
    "people.full_name = '' THEN EXCLUDED.full_name ELSE people.full_name END, "
    "updated_at = EXCLUDED.updated_at")


@dataclass(frozen=True)
class Workload:
    rows: int
    pairs: int
    existing: float = 0.2  # share of the file's addresses already in the CRM
    repeated: float = 0.05  # rows repeating an earlier address of the file
    invalid: float = 0.01  # rows with an unusable email
    seed: int = 10


WORKLOADS = {
    "ci": Workload(rows=5_000, pairs=3),
    "local": Workload(rows=100_000, pairs=5),
    "full": Workload(rows=100_000, pairs=5),
}


@dataclass(frozen=True)
class Target:
    name: str
    metric: str
    op: str
    threshold: float


TARGETS = [
    Target("domain_over_ceiling_rows", "ratio", ">=", 0.3),
    Target("domain_rows_per_s", "domain_rows_per_s", ">=", 10_000),
]

_FIRST = ["Ann", "Bo", "Chen", "Dara", "Emil", "Fatima", "Goran", "Hana", "Ivo", "Jun"]
_LAST = ["Lee", "Smith", "Novak", "Garcia", "Okafor", "Muller", "Rossi", "Kim", "Silva"]
_TITLES = ["Backend engineer", "Data scientist", "Product designer", "SRE", ""]
_SKILLS = ["Python, PostgreSQL", "Kubernetes; Go", "React, TypeScript", "", "Rust"]


def make_csv(workload: Workload) -> str:
    """The same text for the same workload: seeded, no clock, no hash randomisation."""
    rnd = random.Random(workload.seed)
    lines = [HEADER]
    for n in range(workload.rows):
        if n and rnd.random() < workload.repeated:
            email = f"PERSON{rnd.randrange(n)}{PLACEHOLDER_DOMAIN}"
        elif rnd.random() < workload.invalid:
            email = f"person{n}-at-nowhere"
        else:
            email = f"person{n}{PLACEHOLDER_DOMAIN}"
        phone = f"+44 {PLACEHOLDER_BLOCK} {100000 + n % 900000}" if n % 3 == 0 else ""
        linkedin = f"https://www.linkedin.com/in/p{n}-{PLACEHOLDER_BLOCK}/" \
            if n % 4 == 0 else ""
        lines.append(",".join([
            email, rnd.choice(_FIRST), rnd.choice(_LAST), phone, linkedin,
            rnd.choice(_TITLES), rnd.choice(["GB", "DE", "", "FR"]),
            f'"{rnd.choice(_SKILLS)}"', "meetup" if n % 10 == 0 else ""]) + "\n")
    return "".join(lines)


class _Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class Bench:
    """Both variants of a round (runs in the child, or a test)."""

    def __init__(self, workload: Workload, raw_pool: Any) -> None:
        self.workload, self.raw_pool = workload, raw_pool
        self.text = make_csv(workload)
        self.run_index = 0

    def _file_for(self, name: str) -> tuple[str, str]:
        self.run_index += 1
        domain = f"@r{self.run_index}-{name}.bench.example"
        block = str(7400 + self.run_index % 100)
        return self.text.replace(PLACEHOLDER_DOMAIN, domain).replace(
            PLACEHOLDER_BLOCK, block), domain

    async def _seed_existing(self, domain: str) -> None:
        """A fifth of the addresses already known (some without a name), untimed."""
        known = int(self.workload.rows * self.workload.existing)
        now = datetime.now(UTC)
        async with self.raw_pool.acquire() as conn:
            await conn.copy_records_to_table(
                "people", columns=["email", "full_name", "source", "created_at",
                                   "updated_at"],
                records=[(f"person{n}{domain}", "" if n % 2 else f"Known {n}", "bench", now,
                          now) for n in range(0, known * 5, 5)])

    async def ceiling(self) -> dict[str, Any]:
        text, domain = self._file_for(CEILING)
        await self._seed_existing(domain)
        data = text.encode()
        async with self.raw_pool.acquire() as conn:
            await conn.execute(STAGING)
            await conn.execute("TRUNCATE b10_stage")
            start = time.perf_counter()
            async with conn.transaction():
                await conn.copy_to_table("b10_stage", source=io.BytesIO(data), format="csv",
                                         header=True)
                await conn.execute(CEILING_UPSERT, datetime.now(UTC))
            seconds = time.perf_counter() - start
            people = await conn.fetchval("SELECT count(*) FROM people WHERE email LIKE $1",
                                         f"%{domain}")
        return {"seconds": round(seconds, 4), "rows_per_s": round(self.workload.rows / seconds),
                "people": people}

    async def domain(self) -> dict[str, Any]:
        from domain.imports import service as imports

        text, domain = self._file_for(DOMAIN)
        await self._seed_existing(domain)
        data, clock = text.encode(), _Clock()
        start = time.perf_counter()
        import_id = await imports.upload(filename="bench.csv", data=data, by=BY, clock=clock)
        found = await imports.get(import_id)
        form = {f"column-{i}": found["mapping"][header]
                for i, header in enumerate(found["headers"])}
        await imports.save_mapping(import_id, {**form, "lawful_basis": "legitimate_interest",
                                               "tag": "bench"}, by=BY, clock=clock)
        await imports.start(import_id, by=BY, clock=clock, queue=None)
        status = await imports.run(import_id, clock=clock)
        seconds = time.perf_counter() - start
        found = await imports.get(import_id)
        async with self.raw_pool.acquire() as conn:
            people = await conn.fetchval("SELECT count(*) FROM people WHERE email LIKE $1",
                                         f"%{domain}")
        return {"seconds": round(seconds, 4), "rows_per_s": round(self.workload.rows / seconds),
                "people": people, "status": status, "created": found["created_people"],
                "updated": found["updated_people"], "errors": found["error_count"]}

    async def round(self) -> dict[str, Any]:
        return {CEILING: await self.ceiling(), DOMAIN: await self.domain()}

    async def rounds(self, sample: Any) -> dict[str, Any]:
        warmup = await self.round()
        rounds = []
        for index in range(self.workload.pairs):  # bounded by the workload
            noise = sample()
            runs = await self.round()
            log(f"  pair {index + 1}/{self.workload.pairs}: ceiling "
                f"{runs[CEILING]['rows_per_s']:,} rows/s, domain "
                f"{runs[DOMAIN]['rows_per_s']:,} rows/s {noise}")
            rounds.append({"pair": index, **noise, "runs": runs})
        return {"warmup": warmup, "rounds": rounds}


async def child_main(workload: Workload) -> dict[str, Any]:
    import asyncpg

    from domain.db import close_pool, start_pool
    from settings import get_settings

    settings = get_settings()
    await start_pool(max_size=settings.db_pool_max)
    raw_pool = await asyncpg.create_pool(settings.require_database_url(), min_size=1,
                                         max_size=2)
    try:
        return await Bench(workload, raw_pool).rounds(noise_sample)
    finally:
        async with raw_pool.acquire() as conn:
            await conn.execute("DROP TABLE IF EXISTS b10_stage")
        await raw_pool.close()
        await close_pool()


# -- the harness side --------------------------------------------------------------------


def _run_child(ctx: Context, workload: Workload) -> dict[str, Any]:
    command = [*ctx.pinning.prefix(ctx.pinning.server_cpu), sys.executable, "-m",
               "bench.b10_import", json.dumps(asdict(workload))]
    done = subprocess.run(command, cwd=ROOT, env=ctx.env, stdout=subprocess.PIPE, text=True,
                          timeout=CHILD_TIMEOUT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"B10 child exited with {done.returncode}")
    return json.loads(done.stdout)


def summarise(measured: dict[str, Any], kept: list[int]) -> dict[str, Any]:
    rounds = measured["rounds"]
    runs = [r["runs"] for r in rounds] + [measured["warmup"]]
    ratios = [rounds[i]["runs"][DOMAIN]["rows_per_s"] / rounds[i]["runs"][CEILING]["rows_per_s"]
              for i in kept]
    return {
        "medians": {name: {"rows_per_s": round(statistics.median(
            rounds[i]["runs"][name]["rows_per_s"] for i in kept)), "seconds": round(
            statistics.median(rounds[i]["runs"][name]["seconds"] for i in kept), 4)}
            for name in (CEILING, DOMAIN)},
        "ratio": ratio_stats(ratios),
        # Both must end with the same people: the file's distinct valid addresses.
        "people_mismatches": sum(run[DOMAIN]["people"] != run[CEILING]["people"]
                                 for run in runs),
        "unfinished_imports": sum(run[DOMAIN]["status"] != "done" for run in runs),
    }


def checks(summary: dict[str, Any]) -> list[Check]:
    values = {"ratio": summary["ratio"]["median"],
              "domain_rows_per_s": summary["medians"][DOMAIN]["rows_per_s"]}
    return [Check(t.name, float(values[t.metric]), t.op, t.threshold) for t in TARGETS]


def run(ctx: Context) -> tuple[list[Check], dict[str, Any]]:
    workload = WORKLOADS[ctx.size_name]
    log(f"B10: CSV import of {workload.rows:,} rows vs COPY + upsert, {workload.pairs} pairs")
    measured = _run_child(ctx, workload)
    kept = kept_pairs(measured["rounds"])
    summary = summarise(measured, kept)
    warnings = []
    if summary["people_mismatches"] or summary["unfinished_imports"]:
        warnings.append(f"{summary['people_mismatches']} rounds where the import and the "
                        f"ceiling ended with different people; {summary['unfinished_imports']}"
                        " imports not done")
    figures = {
        "loadgen": {"name": "sequential calls", "where": "in the measured child process"},
        "pinning": ctx.pinning.as_dict(),
        "protocol": {**asdict(workload), "order": [CEILING, DOMAIN],
                     "ceiling_sql": "COPY (csv) into UNLOGGED b10_stage + " + CEILING_UPSERT,
                     "domain": "imports.service upload + save_mapping + start + run",
                     "slope": "not measured: one N per size (QUALITY.md asks slope <= 1.05 "
                              "over 1e5-1e6)"},
        **summary,
        "kept_pairs": kept,
        "warmup": measured["warmup"],
        "pairs": measured["rounds"],
        "warnings": warnings,
    }
    return checks(summary), figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.b10_import")
    parser.add_argument("workload", help="JSON of bench.b10_import.Workload")
    args = parser.parse_args(argv)
    workload = Workload(**json.loads(args.workload))
    print(json.dumps(asyncio.run(child_main(workload))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
