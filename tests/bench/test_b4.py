"""B4's structure, its maths, and one tiny round against the test database: the raw
variant runs the very SQL the domain sent and both agree on counts; plans are summarised.
Nothing here asserts a timing (QUALITY.md 3.5)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import asyncpg
import pytest

from bench import b4_segments
from bench.b4_segments import SEGMENTS, WORKLOADS, Bench, Workload, loglog_slope
from bench.registry import BENCHMARKS
from domain.demo.bench_population import seed_population


def test_b4_is_registered():
    assert BENCHMARKS["B4"] is b4_segments.run


def test_targets_are_those_of_quality_md():
    assert {(t.name, t.op, t.threshold) for t in b4_segments.TARGETS} == {
        ("orm_over_raw", "<=", 1.2), ("p95_ms", "<=", 50.0), ("over_seq_scan", "<=", 0.05),
        ("loglog_slope", "<=", 0.5)}


def test_sizes_are_those_the_issue_names():
    assert WORKLOADS["ci"].sizes == (10_000,)
    assert WORKLOADS["local"].sizes == (10_000, 100_000)
    assert WORKLOADS["full"].sizes == (10_000, 100_000, 1_000_000)
    assert len(SEGMENTS) == 5


def test_the_slope_is_fitted_in_log_log_space():
    assert loglog_slope([(10_000, 2.0), (100_000, 20.0), (1_000_000, 200.0)]) == \
        pytest.approx(1.0)
    assert loglog_slope([(10_000, 3.0), (1_000_000, 30.0)]) == pytest.approx(0.5)
    assert loglog_slope([(10_000, 5.0), (100_000, 5.0)]) == pytest.approx(0.0)


def _size(domain: float, raw: float, seq: float, p95: float) -> dict:
    row = {"domain_median_ms": domain, "raw_median_ms": raw, "domain_p95_ms": p95,
           "over_raw": domain / raw, "over_seq_scan": domain / seq}
    return dict.fromkeys(SEGMENTS, row)


def test_checks_take_the_worst_segment_at_the_largest_size():
    by_size = {10_000: _size(2.0, 1.9, 5.0, 3.0), 100_000: _size(4.0, 2.0, 100.0, 60.0)}
    by_size[100_000]["senior_data"] = {**by_size[100_000]["senior_data"], "over_raw": 2.5}

    found, _ = b4_segments.checks(by_size)
    checks = {c.name: c for c in found}

    assert set(checks) == {"orm_over_raw_at_100000", "p95_ms_at_100000",
                           "over_seq_scan_at_100000", "loglog_slope"}
    assert (checks["orm_over_raw_at_100000"].value, checks["orm_over_raw_at_100000"].met) == (
        2.5, False)
    assert checks["over_seq_scan_at_100000"].value == pytest.approx(0.04)
    assert checks["over_seq_scan_at_100000"].met
    assert checks["loglog_slope"].value == pytest.approx(0.30103, abs=1e-4)
    assert not checks["p95_ms_at_100000"].met


def test_one_size_has_no_slope():
    found, derived = b4_segments.checks({10_000: _size(2.0, 1.9, 5.0, 3.0)})

    assert "loglog_slope" not in {c.name for c in found} and derived["slopes"] == {}


def test_a_plan_is_summarised_by_its_indexes_and_sequential_scans():
    plan = {"Execution Time": 1.23456, "Plan": {"Node Type": "Aggregate", "Plans": [
        {"Node Type": "Hash Join", "Plans": [
            {"Node Type": "Seq Scan", "Relation Name": "people"},
            {"Node Type": "Bitmap Index Scan", "Index Name": "profiles_skills_gin_idx"}]}]}}

    assert b4_segments.summarise_plan(plan) == {
        "indexes": ["profiles_skills_gin_idx"], "seq_scans": ["people"],
        "nodes": ["Aggregate", "Bitmap Index Scan", "Hash Join", "Seq Scan"],
        "execution_ms": 1.235}


async def test_a_tiny_round_reads_maintained_membership_and_runs_the_same_sql():
    now = datetime.now(UTC)
    await seed_population(people=600, seed=1, now=now)
    workload = Workload(sizes=(600,), reads=2, seq_reads=1, pairs=1, live_reads=1)
    raw_pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=1, max_size=2)
    try:
        bench = Bench(workload, raw_pool, now)
        maintenance = await bench.save_and_build()
        shapes = await bench.prepare()
        runs = await bench.round()
        plans = await bench.explain()
    finally:
        await raw_pool.close()

    assert maintenance["built"]["built"] == len(SEGMENTS)
    assert maintenance["incremental"]["built"] == 0
    assert maintenance["incremental"]["changes"] > 0  # the profile edits, applied
    for name in SEGMENTS:
        shape = shapes[name]
        assert shape["count"] == shape["live_count"] == shape["raw_count"], name
        assert shape["maintained"] and shape["same_first_page"], name
        [(saved_sql, _)] = bench.sql[name]  # one round trip: count and page together
        assert "FROM segment_audiences" in saved_sql and "segment_audience_members m" in saved_sql
        assert "ORDER BY m.person DESC" in saved_sql
        live_page, live_count = bench.live_sql[name]
        assert live_page[0].startswith("SELECT p.id") and "ORDER BY p.id DESC" in live_page[0]
        assert live_count[0].startswith("SELECT count(*)")
        assert len(runs[name]["domain"]["samples"]) == len(runs[name]["raw"]["samples"]) == 2
        assert len(runs[name]["live"]["samples"]) == 1
        assert set(plans[name]) == {"page", "count"}
    assert sum(shapes[name]["count"] for name in SEGMENTS) > 0
    assert len(runs["seq_scan"]["samples"]) == 1
