"""Every benchmark `python -m bench` knows, by its QUALITY.md 3.2 id.

A benchmark is `run(ctx: bench.harness.Context) -> (checks, figures)`; the harness has
already started PostgreSQL and Redis and created, migrated and seeded a database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench import (
    b1_http,
    b2_tracking,
    b4_segments,
    b5_send,
    b6_nurture,
    b7_registration,
    b9_pipeline,
    b10_import,
)
from bench.harness import Check, Context

Benchmark = Callable[[Context], tuple[list[Check], dict[str, Any]]]

BENCHMARKS: dict[str, Benchmark] = {
    "B1": b1_http.run,
    "B2": b2_tracking.run,
    "B4": b4_segments.run,
    "B5": b5_send.run,
    "B6": b6_nurture.run,
    "B7": b7_registration.run,
    "B9": b9_pipeline.run,
    "B10": b10_import.run,
}
