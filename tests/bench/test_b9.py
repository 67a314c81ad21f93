"""B9's structure, and one round of a tiny workload against the test database: the deep
page is reached by keyset and full, both bulk variants move every selected applicant with
one transition and one audit row each. Nothing here asserts a timing (QUALITY.md 3.5)."""

from __future__ import annotations

import os

import asyncpg

from bench import b9_pipeline
from bench.b9_pipeline import DEEP, DOMAIN, FIRST, RAW, WORKLOADS, Bench, Workload
from bench.b9_seed import seed
from bench.registry import BENCHMARKS


def test_b9_is_registered():
    assert BENCHMARKS["B9"] is b9_pipeline.run


def test_targets_are_those_of_quality_md():
    targets = {(t.name, t.metric, t.op, t.threshold) for t in b9_pipeline.TARGETS}

    assert targets == {("deep_over_first_ms", "list_ratio", "<=", 1.5),
                       ("bulk_over_raw_moves", "bulk_ratio", ">=", 0.5)}


def test_sizes_are_those_the_issue_names():
    ci, local = WORKLOADS["ci"], WORKLOADS["local"]

    assert (ci.applications, local.applications) == (5_000, 100_000)
    assert (ci.batch, local.batch, local.deep_page) == (1_000, 1_000, 2_000)
    for workload in WORKLOADS.values():
        # The deep page exists, and the two bulk batches fit in the requisition.
        assert (workload.deep_page - 1) * 50 < workload.applications
        assert 2 * workload.batch <= workload.applications and workload.moves >= 3


def _runs(first: float, deep: float, raw: float, domain: float, moved: int = 1000) -> dict:
    return {FIRST: {"median_ms": first}, DEEP: {"median_ms": deep},
            "offset_page": {"median_ms": deep * 20},
            RAW: {"moved": moved, "total_moved": moved, "moves_per_s": raw},
            DOMAIN: {"moved": moved, "total_moved": moved, "moves_per_s": domain},
            "rows_written": {RAW: {"transitions": moved, "audit": moved},
                             DOMAIN: {"transitions": moved, "audit": moved - 1}}}


def test_checks_come_from_per_pair_ratios():
    measured = {"warmup": _runs(1, 1, 100, 100),
                "rounds": [{"pair": i, "runs": _runs(*figures)} for i, figures in
                           enumerate([(1.0, 1.2, 10000, 4000), (2.0, 2.0, 8000, 6000),
                                      (1.0, 1.6, 10000, 3000)])]}

    summary = b9_pipeline.summarise(measured, [0, 1, 2])
    checks = {c.name: c for c in b9_pipeline.checks(summary)}

    assert summary["list_ratio"]["per_pair"] == [1.2, 1.0, 1.6]
    assert (checks["deep_over_first_ms"].value, checks["deep_over_first_ms"].met) == (1.2,
                                                                                     True)
    assert (checks["bulk_over_raw_moves"].value, checks["bulk_over_raw_moves"].met) == (
        0.4, False)
    assert summary["batches_without_their_rows"] == 4  # one audit row short, every round
    assert summary["short_batches"] == 0


async def test_a_tiny_round_pages_by_keyset_and_moves_every_applicant_with_its_rows():
    # The Standard template comes from the reference data every test starts with.
    workload = Workload(applications=400, deep_page=6, reads=3, batch=100, moves=3, pairs=1)
    raw_pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=1, max_size=4)
    try:
        async with raw_pool.acquire() as conn:
            seeded = await seed(conn, workload.applications)
        bench = Bench(workload, raw_pool, seeded)
        measured = await bench.rounds(lambda: {"loadavg": [0.0, 0.0, 0.0]})
    finally:
        await raw_pool.close()

    assert len(seeded.ids) == 400 and seeded.ids == sorted(seeded.ids)
    for runs in [measured["warmup"], measured["rounds"][0]["runs"]]:
        # Page 6 starts right after the 250th application and is a full page.
        assert (runs[DEEP]["after"], runs[DEEP]["rows"]) == (seeded.ids[249], 50)
        # Every move takes the whole batch across, with a transition and audit row each.
        assert runs[RAW]["moved"] == runs[DOMAIN]["moved"] == 100
        assert runs[RAW]["total_moved"] == runs[DOMAIN]["total_moved"] == 300
        assert runs["rows_written"] == {RAW: {"transitions": 300, "audit": 300},
                                        DOMAIN: {"transitions": 300, "audit": 300}}
    summary = b9_pipeline.summarise(measured, [0])
    assert (summary["short_batches"], summary["batches_without_their_rows"]) == (0, 0)
