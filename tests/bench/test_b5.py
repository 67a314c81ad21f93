"""B5's structure, and one tiny round against the test database with a real worker
process and the slow sink: every recipient ends sent (451s retried), each ceiling
handles every recipient. Nothing here asserts a timing (QUALITY.md 3.5)."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from bench import b5_send
from bench.b5_send import CEILINGS, WORKLOADS, Bench, Workload
from bench.registry import BENCHMARKS
from runtime.ports import find_free_port
from tests.campaign_support import assert_consent_invariant


def test_b5_is_registered():
    assert BENCHMARKS["B5"] is b5_send.run


def test_targets_and_sizes_are_those_of_the_issue():
    assert {(t.name, t.op, t.threshold) for t in b5_send.TARGETS} == {
        ("send_over_slowest_ceiling", ">=", 0.6), ("send_msgs_per_s", ">=", 20)}
    assert (WORKLOADS["ci"].recipients, WORKLOADS["local"].recipients) == (10_000, 100_000)


def test_the_check_is_against_the_slowest_ceiling_of_each_pair():
    def runs(smtp: float, render: float, keyset: float, send: float) -> dict:
        return {"smtp": {"msgs_per_s": smtp}, "render": {"msgs_per_s": render},
                "keyset": {"msgs_per_s": keyset, "rows": 10},
                "send": {"msgs_per_s": send, "first_mail_s": 0.1, "states": {"sent": 10},
                         "worker_peak_rss_kb": 90_000}}

    measured = {"warmup": runs(1, 1, 1, 1), "rounds": [
        {"pair": 0, "runs": runs(1000, 500, 9000, 300)},
        {"pair": 1, "runs": runs(400, 800, 9000, 200)},
        {"pair": 2, "runs": runs(1000, 1000, 9000, 700)}]}
    summary = b5_send.summarise(measured, [0, 1, 2])
    assert summary["ratio"]["per_pair"] == [0.6, 0.5, 0.7]
    assert summary["slowest_ceiling_per_pair"] == ["render", "smtp", "smtp"]
    checks = {c.name: c for c in b5_send.checks(summary)}
    assert (checks["send_over_slowest_ceiling"].value,
            checks["send_over_slowest_ceiling"].met) == (0.6, True)
    assert checks["send_msgs_per_s"].value == 300
    assert summary["worker_peak_rss_mb"] == round(90_000 / 1024, 1)
    assert summary["unsent"] == 0


async def test_a_tiny_round_sends_every_recipient_once(queue):
    port = find_free_port()
    sink = b5_send.sink_process(port)
    url = f"smtp://127.0.0.1:{port}"
    log = Path(tempfile.mkdtemp(prefix="b5-test-")) / "worker.log"
    worker = b5_send.worker_process({**os.environ, "SMTP_URL": url}, log)
    try:
        bench = Bench(Workload(recipients=120, pairs=1), smtp_url=url, queue=queue,
                      worker_pid=worker.pid)
        measured = await bench.rounds(lambda: {"loadavg": [0.0] * 3})
    finally:
        worker.terminate()
        sink.terminate()
        await asyncio.to_thread(worker.wait, 60)
        await asyncio.to_thread(sink.wait, 30)
    for runs in (measured["warmup"], measured["rounds"][0]["runs"]):
        assert runs["send"]["states"] == {"sent": 120}, log.read_text()[-2000:]
        assert runs["keyset"]["rows"] == 120
        assert all(runs[name]["msgs_per_s"] > 0 for name in (*CEILINGS, "send"))
        assert runs["send"]["worker_peak_rss_kb"] > 0
    assert b5_send.summarise(measured, [0])["unsent"] == 0
    await assert_consent_invariant()
