"""B2's structure, and a tiny lost-events phase against the test database and Redis: the
real app in a uvicorn process, a writer child SIGTERMed and restarted part-way, every
answered hit stored once. Nothing here asserts a timing (QUALITY.md 3.5)."""

from __future__ import annotations

import asyncio
import os

import pytest

from bench import b2_tracking
from bench.registry import BENCHMARKS
from bench.server import ROOT, UvicornServer, write_log_config

pytestmark = pytest.mark.usefixtures("clean_state")


def test_b2_is_registered():
    assert BENCHMARKS["B2"] is b2_tracking.run


def test_targets_are_those_of_quality_md():
    assert {(t.name, t.op, t.threshold) for t in b2_tracking.TARGETS} == {
        ("open_over_hello_rps", ">=", 0.7), ("click_over_hello_rps", ">=", 0.7),
        ("open_p99_over_hello_p99", "<=", 2.0), ("click_p99_over_hello_p99", "<=", 2.0),
        ("lost_events", "<=", 0), ("duplicated_events", "<=", 0)}


def _run(rps: float, p99: float) -> dict:
    return {"rps": rps, "p50_ms": p99 / 3, "p99_ms": p99, "errors": 0}


def test_checks_come_from_per_pair_ratios_and_the_lost_events_phase():
    rounds = [{"pair": i, "runs": {"hello": _run(h, 4.0), "open": _run(h * o, 6.0),
                                   "click": _run(h * c, 10.0)}}
              for i, (h, o, c) in enumerate([(10_000, 0.8, 0.6), (12_000, 0.7, 0.5),
                                             (8_000, 0.9, 0.4)])]
    summary = b2_tracking.summarise(rounds, [0, 1, 2])
    found = {c.name: c for c in b2_tracking.checks(summary, {"lost": 0, "duplicated": 2})}

    assert (found["open_over_hello_rps"].value, found["open_over_hello_rps"].met) == (0.8, True)
    assert found["click_over_hello_rps"].value == 0.5 and not found["click_over_hello_rps"].met
    assert found["open_p99_over_hello_p99"].met and not found["click_p99_over_hello_p99"].met
    assert found["lost_events"].met and not found["duplicated_events"].met


async def test_a_tiny_lost_events_phase_stores_every_answered_hit_once(tmp_path):
    from settings import get_settings

    env = {**os.environ, "SECRET_KEY": get_settings().secret_key, "PYTHONPATH": str(ROOT),
           "PICCOLO_CONF": "piccolo_conf"}
    send, link = await b2_tracking.seed(os.environ["DATABASE_URL"])
    signed = b2_tracking.paths(get_settings().secret_key, send, link)
    server = UvicornServer("app", "asgi:create_app", factory=True, env=env, pin=[],
                           log_dir=tmp_path, log_config=write_log_config(tmp_path / "log.json"))
    writer = b2_tracking.Writer(env, tmp_path / "writer.log")
    server.start()
    try:
        await asyncio.to_thread(server.wait_ready, signed["open"], b"GIF89a")
        writer.start()
        lost = await b2_tracking.lost_events([server.url(signed[n]) for n in ("open", "click")],
                                             400, env=env, writer=writer)
    finally:
        writer.terminate()
        server.stop()

    assert (lost["ok"], lost["errors"], lost["other"]) == (400, 0, 0)
    assert (lost["stored"], lost["lost"], lost["duplicated"]) == (400, 0, 0)
    assert lost["drained"] and lost["writer_exit_codes"] == [0, -9]
