"""Supervisor with real child processes."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import time
from pathlib import Path

from runtime.supervisor import Supervisor
from tests.runtime.helpers import alive, eventually

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]
ROOT = Path(__file__).resolve().parents[2]


def test_a_failing_child_stops_the_others_and_sets_the_exit_code():
    output = io.StringIO()
    supervisor = Supervisor(output=output)
    supervisor.add("sleeper", SLEEPER)
    supervisor.add(
        "failer",
        [
            sys.executable,
            "-c",
            "import sys, time; time.sleep(0.3); print('giving up'); sys.exit(3)",
        ],
        {"EXTRA": "1"},
    )
    started = time.monotonic()
    assert supervisor.run_forever() == 3
    assert time.monotonic() - started < 8
    assert not alive(supervisor.pids["sleeper"])
    assert "[failer]  giving up" in output.getvalue()
    assert "failer exited with code 3" in output.getvalue()


def test_sigterm_stops_all_children_including_stubborn_ones():
    # The supervisor runs as its own process, as under `talentloop run`; one child
    # ignores SIGTERM and must be killed after the stop timeout.
    script = """
import sys
from runtime.supervisor import Supervisor
supervisor = Supervisor(stop_timeout=1.0)
report = "import os; print('pid', os.getpid(), flush=True); "
supervisor.add("polite", [sys.executable, "-c", report + "import time; time.sleep(60)"])
supervisor.add("stubborn", [sys.executable, "-c", report +
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"])
sys.exit(supervisor.run_forever())
"""
    parent = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    pids = {}
    try:
        while len(pids) < 2:
            line = parent.stdout.readline()
            assert line, "supervisor exited early"
            name, _, pid = line.split()
            pids[name] = int(pid)
        time.sleep(0.2)  # let the stubborn child install its SIG_IGN handler
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=10) == 0
    finally:
        if parent.poll() is None:
            parent.kill()
        parent.wait()
        parent.stdout.close()
    assert eventually(lambda: not any(alive(pid) for pid in pids.values()), timeout=3)
    assert set(pids) == {"[polite]", "[stubborn]"}
