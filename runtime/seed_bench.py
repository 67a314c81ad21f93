"""`talentloop seed bench --people N [--seed S]`: the synthetic benchmark population
(domain.demo.bench_population), one line per outcome."""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime

from runtime.commands import _with_db
from runtime.errors import CommandError


def seed_bench(args: argparse.Namespace) -> int:
    from domain.demo.bench_population import seed_population
    from domain.errors import DomainError

    began = time.perf_counter()
    try:
        population = asyncio.run(_with_db(lambda: seed_population(
            people=args.people, seed=args.seed, now=datetime.now(UTC))))
    except DomainError as exc:
        raise CommandError(f"seed bench: {exc}") from exc
    rows = ", ".join(f"{count:,} {table.replace('_', ' ')}"
                     for table, count in population.rows.items())
    print(f"Seeded a bench population (seed {population.seed}) in "
          f"{time.perf_counter() - began:.1f} s: {rows}.")
    steps = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in population.seconds.items())
    print(f"  steps: {steps}")
    return 0
