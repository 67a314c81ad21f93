"""B10's structure, and one tiny round against the test database: the ceiling and the
domain import end with the same people, and the import finishes with every row counted.
Nothing here asserts a timing (QUALITY.md 3.5)."""

from __future__ import annotations

import os

import asyncpg

from bench import b10_import
from bench.b10_import import CEILING, DOMAIN, WORKLOADS, Bench, Workload, make_csv
from bench.registry import BENCHMARKS


def test_b10_is_registered():
    assert BENCHMARKS["B10"] is b10_import.run


def test_targets_and_sizes_are_those_of_the_issue():
    assert {(t.name, t.op, t.threshold) for t in b10_import.TARGETS} == {
        ("domain_over_ceiling_rows", ">=", 0.3), ("domain_rows_per_s", ">=", 10_000)}
    assert (WORKLOADS["ci"].rows, WORKLOADS["local"].rows) == (5_000, 100_000)


def test_the_file_is_deterministic():
    workload = Workload(rows=300, pairs=1)
    assert make_csv(workload) == make_csv(workload)
    assert make_csv(workload).count("\n") == 301


def test_checks_come_from_per_pair_ratios():
    def runs(ceiling: int, domain: int) -> dict:
        return {CEILING: {"rows_per_s": ceiling, "seconds": 1.0, "people": 5},
                DOMAIN: {"rows_per_s": domain, "seconds": 2.0, "people": 5, "status": "done"}}

    measured = {"warmup": runs(1, 1), "rounds": [
        {"pair": i, "runs": runs(*f)} for i, f in enumerate([(100_000, 40_000),
                                                              (80_000, 16_000),
                                                              (100_000, 50_000)])]}
    summary = b10_import.summarise(measured, [0, 1, 2])
    checks = {c.name: c for c in b10_import.checks(summary)}
    assert summary["ratio"]["per_pair"] == [0.4, 0.2, 0.5]
    assert (checks["domain_over_ceiling_rows"].value, checks["domain_over_ceiling_rows"].met) \
        == (0.4, True)
    assert checks["domain_rows_per_s"].value == 40_000
    assert summary["people_mismatches"] == summary["unfinished_imports"] == 0


async def test_a_tiny_round_imports_the_same_people_as_the_ceiling():
    workload = Workload(rows=400, pairs=1)
    raw_pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=1, max_size=2)
    try:
        measured = await Bench(workload, raw_pool).rounds(lambda: {"loadavg": [0.0] * 3})
        async with raw_pool.acquire() as conn:
            await conn.execute("DROP TABLE IF EXISTS b10_stage")
    finally:
        await raw_pool.close()
    for runs in (measured["warmup"], measured["rounds"][0]["runs"]):
        assert runs[DOMAIN]["status"] == "done"
        assert runs[DOMAIN]["people"] == runs[CEILING]["people"] > 300
        assert runs[DOMAIN]["errors"] > 0  # the file's unusable addresses, reported
    summary = b10_import.summarise(measured, [0])
    assert summary["people_mismatches"] == summary["unfinished_imports"] == 0
