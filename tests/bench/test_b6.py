"""B6's structure, and one tiny round against the test database and Redis: every due
step runs once (the rows agree), every arq task completes, the raw loop moves as many
messages. Nothing here asserts a timing (QUALITY.md 3.5)."""

from __future__ import annotations

import os

import asyncpg
import pytest

from bench import b6_nurture
from bench.b6_nurture import WORKLOADS, Bench, Workload
from bench.registry import BENCHMARKS

pytestmark = pytest.mark.usefixtures("clean_state")


def test_b6_is_registered():
    assert BENCHMARKS["B6"] is b6_nurture.run


def test_targets_and_sizes_are_those_of_the_issue():
    assert {(t.name, t.op, t.threshold) for t in b6_nurture.TARGETS} == {
        ("steps_per_s", ">=", 5_000), ("arq_over_raw_tasks", ">=", 0.25),
        ("enqueue_to_start_p50_ms", "<=", 550)}
    assert (WORKLOADS["local"].enrollments, WORKLOADS["local"].tasks) == (100_000, 20_000)


def test_expected_steps_count_the_chained_waits():
    assert b6_nurture.expected_steps(3) == 5
    assert b6_nurture.expected_steps(300) == 500


def test_checks_come_from_per_pair_ratios():
    def runs(raw: int, arq: int, steps: int) -> dict:
        return {"raw": {"tasks_per_s": raw}, "arq": {"tasks_per_s": arq, "completed": 5,
                                                     "expected": 5},
                "arq_deployed": {"tasks_per_s": 40, "completed": 5, "expected": 5},
                "steps": {"steps_per_s": steps, "steps": 5, "runs": 5, "expected_steps": 5}}

    measured = {"warmup": runs(1, 1, 1), "latency": {"p50_ms": 510.0, "p99_ms": 540.0},
                "rounds": [{"pair": i, "runs": runs(*f)} for i, f in enumerate(
                    [(10_000, 3_000, 9_000), (10_000, 2_000, 4_000), (8_000, 4_000, 6_000)])]}
    summary = b6_nurture.summarise(measured, [0, 1, 2])
    found = {c.name: c for c in b6_nurture.checks(summary)}
    assert summary["ratio"]["per_pair"] == [0.3, 0.2, 0.5]
    assert (found["arq_over_raw_tasks"].value, found["arq_over_raw_tasks"].met) == (0.3, True)
    assert found["steps_per_s"].value == 6_000 and found["steps_per_s"].met
    assert found["enqueue_to_start_p50_ms"].met
    assert summary["step_mismatches"] == summary["unfinished_tasks"] == 0


async def test_a_tiny_round_runs_every_step_and_task_once():
    workload = Workload(enrollments=300, tasks=50, pairs=1, paced=5)
    raw_pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=1, max_size=2)
    try:
        measured = await Bench(workload, raw_pool, os.environ["REDIS_URL"]).rounds(
            lambda: {"loadavg": [0.0] * 3})
    finally:
        await raw_pool.close()
    for runs in (measured["warmup"], measured["rounds"][0]["runs"]):
        assert runs["steps"]["steps"] == runs["steps"]["runs"] == 500
        assert runs["steps"]["emails"] == 100
        assert runs["steps"]["waiting_for_end"] == 300, "every one waits before the end"
        assert runs["arq"]["completed"] == 50 and runs["arq_deployed"]["completed"] == 50
    assert measured["latency"]["samples"] == 5
    summary = b6_nurture.summarise(measured, [0])
    assert summary["step_mismatches"] == summary["unfinished_tasks"] == 0
