"""B7's structure, and one round of its ci workload against the test database: the
rounds count seats right and the figures are what QUALITY.md 3.2 names. Nothing here
asserts a timing (QUALITY.md 3.5)."""

from __future__ import annotations

import os
from dataclasses import replace

import asyncpg
import pytest

from bench import b7_profile, b7_registration
from bench.b7_registration import CEILING, VARIANT, WORKLOADS, Bench
from bench.registry import BENCHMARKS


def test_b7_is_registered():
    assert BENCHMARKS["B7"] is b7_registration.run


def test_targets_are_those_of_quality_md():
    targets = {(t.name, t.metric, t.op, t.threshold) for t in b7_registration.TARGETS}

    assert targets == {
        ("domain_over_raw_rps", "ratio", ">=", 0.5),
        ("p99_ms_domain", "p99_ms", "<=", 100),
        ("oversold", "oversold", "<=", 0),
        ("seat_mismatches", "seat_mismatches", "<=", 0),
        ("errors", "errors", "<=", 0),
    }


def test_the_local_workload_is_the_spike_quality_md_describes():
    local, full = WORKLOADS["local"], WORKLOADS["full"]

    assert (local.capacity, local.attempts, local.concurrency) == (500, 5000, 64)
    assert (full.capacity, full.attempts, full.pairs) == (500, 5000, 20)  # 20 runs
    assert WORKLOADS["ci"].attempts < local.attempts


@pytest.mark.parametrize(("query", "shape"), [
    ("UPDATE events SET taken = taken + 1 WHERE id = $1", "UPDATE events"),
    ("INSERT INTO outbound_emails (person) VALUES ($1)", "INSERT outbound_emails"),
    ("SELECT count(*) AS n FROM event_registrations w JOIN x", "SELECT event_registrations"),
    ("BEGIN;", "BEGIN"),
    ("COMMIT;", "COMMIT"),
    ("SELECT 1", "SELECT"),
])
def test_statements_are_grouped_by_shape(query, shape):
    assert b7_profile.kind(query) == shape


def test_the_lock_is_held_from_the_seat_update_to_its_commit():
    statements = [(1.000, "BEGIN;", 0.001), (1.010, "UPDATE events SET taken = taken + 1 …",
                                             0.002), (1.014, "INSERT INTO x", 0.001),
                  (1.020, "COMMIT;", 0.003), (1.030, "COMMIT;", 0.001)]

    assert b7_profile.lock_held_ms(statements) == pytest.approx(12.0)
    assert b7_profile.lock_held_ms(statements[:1]) is None
    in_a_cte = [(1.000, "BEGIN;", 0.001), (1.010, "WITH seat AS (UPDATE events SET taken = "
                                             "taken + 1 WHERE id = $1 …) UPDATE …", 0.002),
                (1.020, "COMMIT;", 0.003)]
    assert b7_profile.lock_held_ms(in_a_cte) == pytest.approx(12.0)


def _run(rps: float, p99: float, *, oversold: int = 0, mismatch: bool = False,
         errors: int = 0) -> dict:
    return {"rps": rps, "p50_ms": p99 / 3, "p99_ms": p99, "seconds": 1.0, "seat_rps": rps / 10,
            "cpu_ms_per_attempt": 1000 / rps, "cpu_util": 0.5, "oversold": oversold,
            "mismatch": mismatch, "errors": errors}


def test_checks_come_from_per_pair_ratios_and_every_run_counts_for_seats():
    measured = {
        "warmup": {CEILING: _run(5000, 5), VARIANT: _run(100, 50, oversold=1)},
        "rounds": [{"pair": i, "runs": {CEILING: _run(raw, 5), VARIANT: _run(dom, p99)}}
                   for i, (raw, dom, p99) in enumerate([(10000, 600, 120.0), (8000, 400, 90.0),
                                                        (12000, 600, 150.0)])],
    }

    summary = b7_registration.summarise(measured, [0, 1, 2])
    checks = {c.name: c for c in b7_registration.checks(summary)}

    assert summary["ratio"]["per_pair"] == [0.06, 0.05, 0.05]
    assert (checks["domain_over_raw_rps"].value, checks["domain_over_raw_rps"].met) == (0.05,
                                                                                       False)
    assert (checks["p99_ms_domain"].value, checks["p99_ms_domain"].met) == (120.0, False)
    assert (checks["oversold"].value, checks["oversold"].met) == (1, False)  # the warm-up's
    assert checks["seat_mismatches"].met and checks["errors"].met
    assert summary["runs_checked"] == 8
    assert summary["binding"].startswith("database")


async def test_a_ci_round_sells_every_seat_once_in_both_variants(queue):
    from domain.db import engine

    workload = replace(WORKLOADS["ci"], pairs=1)
    size = 10  # the test pool's size, as the child uses the app's
    raw_pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=1,
                                         max_size=size)
    try:
        bench = Bench(workload, raw_pool, queue)
        await bench.add_people()
        measured = await bench.rounds(lambda: {"loadavg": [0.0, 0.0, 0.0]})
        profile = await bench.profile_round(engine().pool)
    finally:
        await raw_pool.close()

    for run in b7_registration.all_runs(measured):
        assert (run["oversold"], run["mismatch"], run["errors"]) == (0, False, 0), run
        assert run["outcomes"]["registered"] == run["capacity"]
    domain = measured["rounds"][0]["runs"][VARIANT]
    assert domain["outcomes"] == {"registered": workload.capacity,
                                  "waitlisted": workload.attempts - workload.capacity}
    seated = profile["by_outcome"]["registered"]
    assert seated["statements_per_registration"] > 1
    assert seated["event_lock_held_ms"] > 0
    assert profile["by_outcome"]["waitlisted"]["event_lock_held_ms"] is None
    assert profile["seat_state"]["taken"] == profile["capacity"]
