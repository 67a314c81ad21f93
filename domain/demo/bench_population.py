"""A synthetic population for benchmarks (`talentloop seed bench --people N [--seed S]`):
N people with profiles, community memberships, consent ledgers, ~10 engagement events
each and applications for ~5%, then everyone scored and the tables analysed.

Generated server-side: every table is one `INSERT … SELECT` over `generate_series`, and
every random choice is a deterministic hash of (person ordinal, slot, seed) mapped into
[0, 1) (`hashint8extended`, stable across PostgreSQL versions because hash partitioning
relies on it). Same N and seed, same rows (ids aside), with no Python loop per row.
Measured on the 2-core dev box, generating is not the cost either way (≈ 2.4 s per 10⁶
event rows server-side, ≈ 2.2 s to build 10⁶ event tuples with random.Random before any
COPY encoding): writing the rows into indexed tables is. Server-side keeps it one
statement per table with nothing shipped over the socket.

Distributions: skills ~8 per person, Zipf (s ≈ 1) over the taxonomy in its file order
(broad, common skills first: python is rank 2); job function, seniority and ~30 countries
with a realistic skew, the country's time zone, work modes; three engagement habits
(dormant 70%, active 22%, very active 8%) that set how many events a person has and how
recent they are; event types in a realistic mix over the weighted types of
domain.engagement.scoring.WEIGHTS.

Into a fresh database (the benchmark's case) each table's secondary indexes are dropped
before its load and rebuilt from their own definitions after it, in the same transaction
(domain.demo.bench_sql.defer_indexes): the schema is the same afterwards, index for index.

Marked by e-mail domain (`@bench-population.invalid`): a database holds at most one bench
population, a second run is refused (one line, nothing written), demo data is never read
or changed. Bench communities and requisitions are separate rows with `bench-` slugs.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from domain.db import connection, fetchval, transaction
from domain.engagement.scoring import refresh_everyone_at_once
from domain.errors import Conflict, Invalid

DOMAIN = "bench-population.invalid"
MAX_PEOPLE = 20_000_000
HISTORY_DAYS = 3 * 365  # people created over the last three years
EVENT_DAYS = 2 * 365  # engagement events over the last two years
APPLICANT_SHARE = 0.05
PROFILE_SHARE = 0.95
SKILLS_JSON = Path(__file__).resolve().parent.parent / "profiles" / "skills.json"

# (value, weight): choices are drawn by looking the uniform draw up in a 1,000-slot array.
FUNCTIONS = (("engineering", 30), ("data", 10), ("design", 7), ("product", 8), ("sales", 12),
             ("marketing", 9), ("customer_success", 7), ("operations", 6), ("finance", 4),
             ("people", 3), ("legal", 1), ("other", 1), ("", 2))
SENIORITIES = (("intern", 3), ("entry", 8), ("junior", 15), ("mid", 28), ("senior", 24),
               ("lead", 9), ("principal", 3), ("manager", 6), ("director", 2),
               ("executive", 1), ("", 1))
# (ISO code, weight, a time zone of that country)
COUNTRIES = (
    ("US", 22, "America/New_York"), ("DE", 10, "Europe/Berlin"), ("GB", 9, "Europe/London"),
    ("IN", 8, "Asia/Kolkata"), ("FR", 6, "Europe/Paris"), ("NL", 4, "Europe/Amsterdam"),
    ("CA", 4, "America/Toronto"), ("ES", 3, "Europe/Madrid"), ("PL", 3, "Europe/Warsaw"),
    ("BR", 3, "America/Sao_Paulo"), ("IT", 2, "Europe/Rome"), ("SE", 2, "Europe/Stockholm"),
    ("CH", 2, "Europe/Zurich"), ("IE", 2, "Europe/Dublin"), ("PT", 2, "Europe/Lisbon"),
    ("AU", 2, "Australia/Sydney"), ("SG", 1, "Asia/Singapore"), ("JP", 1, "Asia/Tokyo"),
    ("AT", 1, "Europe/Vienna"), ("BE", 1, "Europe/Brussels"), ("DK", 1, "Europe/Copenhagen"),
    ("FI", 1, "Europe/Helsinki"), ("NO", 1, "Europe/Oslo"), ("CZ", 1, "Europe/Prague"),
    ("RO", 1, "Europe/Bucharest"), ("UA", 1, "Europe/Kyiv"), ("MX", 1, "America/Mexico_City"),
    ("AR", 1, "America/Argentina/Buenos_Aires"), ("ZA", 1, "Africa/Johannesburg"),
    ("IL", 1, "Asia/Jerusalem"),
)
SOURCES = (("portal", 45), ("import", 25), ("referral", 10), ("event", 10), ("sourced", 10))
# How often each weighted type happens (opens and visits are common, offers rare).
EVENT_MIX = (("email_opened", 30), ("page_visit", 18), ("email_clicked", 12),
             ("content_viewed", 11), ("event_registered", 5), ("content_downloaded", 4),
             ("profile_updated", 4), ("event_attended", 3), ("replied", 2),
             ("community_join_requested", 2), ("community_joined", 2), ("cv_uploaded", 2),
             ("event_waitlisted", 1), ("application_submitted", 2), ("offer_accepted", 1),
             ("applied", 1))
# slug, share of people who are in it (any status)
COMMUNITIES = (("bench-engineering", 0.30), ("bench-data", 0.12), ("bench-design", 0.08),
               ("bench-product", 0.08), ("bench-sales", 0.10), ("bench-women-in-tech", 0.06))
REQUISITIONS = 6


@dataclass(frozen=True)
class Population:
    people: int
    seed: int
    rows: dict[str, int]  # table → rows written
    seconds: dict[str, float] = field(default_factory=dict)  # step → wall time


def lookup(weighted: tuple[tuple, ...], slots: int = 1000) -> list[str]:
    """A `slots`-long array where each value fills a share of slots equal to its weight."""
    total = sum(item[1] for item in weighted)
    out: list[str] = []
    acc = 0.0
    for item in weighted:
        acc += item[1]
        out.extend([item[0]] * (round(acc / total * slots) - len(out)))
    return out


def skill_slugs() -> list[str]:
    return [skill["slug"] for skill in json.loads(SKILLS_JSON.read_text())]


# u(x): the seeded uniform draw for key x, in [0, 1). The key packs person ordinal and slot.
_U = """CREATE OR REPLACE FUNCTION pg_temp.u(key bigint, seed bigint) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (hashint8extended(key, seed) & 2147483647)::float8 / 2147483648.0 $$"""


async def seed_population(*, people: int, seed: int, now: datetime) -> Population:
    """Write the population in one transaction; Conflict when one is already there."""
    if not 1 <= people <= MAX_PEOPLE:
        raise Invalid(f"--people must be from 1 to {MAX_PEOPLE:,}.")
    timings: dict[str, float] = {}
    async with transaction(), connection() as conn:
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('talentloop.bench_seed'))")
        if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM people WHERE email LIKE $1)",
                               f"%@{DOMAIN}"):
            raise Conflict("a bench population is already loaded in this database; "
                           "seed a fresh database (one population per database).")
        known = {row["slug"] for row in await conn.fetch("SELECT slug FROM skills")}
        slugs = [slug for slug in skill_slugs() if slug in known]
        if not slugs:
            raise Invalid("the skills taxonomy is empty; run `talentloop migrate` first.")
        await conn.execute(_U)
        from domain.demo import bench_sql

        # Bulk-load settings for this transaction only: in-memory sorts and index builds,
        # fewer GIN pending-list flushes where an index is maintained row by row.
        await conn.execute("SET LOCAL work_mem = '256MB'")
        await conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
        await conn.execute("SET LOCAL gin_pending_list_limit = '64MB'")
        # The segment-membership triggers would note each new person once per table and
        # statement (millions of rows for the refresher to re-evaluate one by one); the
        # load switches them off and has every saved segment rebuilt over everyone instead.
        triggered = bench_sql.TABLES
        for table in triggered:
            await conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        steps = bench_sql.Steps(conn, people=people, seed=seed, now=now, slugs=slugs)
        rows: dict[str, int] = {}
        for name, step in steps.plan():
            began = time.perf_counter()
            deferred = await bench_sql.defer_indexes(conn, name)
            keys = await bench_sql.defer_foreign_keys(conn, name)
            rows[name] = await step()
            timings[name] = round(time.perf_counter() - began, 2)
            if deferred:
                began = time.perf_counter()
                await bench_sql.rebuild_indexes(conn, deferred)
                timings[f"{name}_indexes"] = round(time.perf_counter() - began, 2)
            if keys:
                began = time.perf_counter()
                await bench_sql.rebuild_indexes(conn, keys)
                timings[f"{name}_foreign_keys"] = round(time.perf_counter() - began, 2)
        began = time.perf_counter()
        rows["engagement_scores"] = await refresh_everyone_at_once(now=now)
        timings["engagement_scores"] = round(time.perf_counter() - began, 2)
        for table in triggered:
            await conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        await conn.execute("UPDATE segment_audiences SET built_at = NULL")
    began = time.perf_counter()
    async with connection() as conn:
        for table in bench_sql.TABLES:
            await conn.execute(f"VACUUM (ANALYZE) {table}")
    timings["vacuum_analyze"] = round(time.perf_counter() - began, 2)
    return Population(people, seed, rows, timings)


async def loaded() -> int:
    """How many bench people this database holds (0 or the N of its one population)."""
    return int(await fetchval("SELECT count(*) FROM people WHERE email LIKE $1",
                              f"%@{DOMAIN}"))
