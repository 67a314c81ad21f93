"""`talentloop run` on a fresh machine: embedded PostgreSQL, Redis and mail sink, web and
worker supervised, demo data loaded, /healthz all green, Ctrl-C stops everything cleanly.

Runs in its own pytest process (`pytest -m smoke`) with DATABASE_URL/REDIS_URL unset.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from runtime.ports import find_free_port, port_is_free

pytestmark = pytest.mark.smoke
ROOT = Path(__file__).resolve().parents[2]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _wait_healthy(base: str, process: subprocess.Popen, deadline: float) -> dict:
    last: dict = {}
    while time.monotonic() < deadline:
        assert process.poll() is None, "talentloop run exited early"
        try:
            status, body = _get(f"{base}/healthz")
            last = json.loads(body)
            if status == 200:
                return last
        except OSError:
            pass
        time.sleep(1)
    raise AssertionError(f"/healthz never became green: {last}")


def test_talentloop_run_starts_serves_and_stops(tmp_path):
    port = find_free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "SMTP_URL", "MAIL_SINK_DIR", "BASE_URL"}}
    env.update({"VAR_DIR": str(tmp_path / "var"), "PORT": str(port), "PYTHONUNBUFFERED": "1",
                "APP_ENV": "development"})
    log = (tmp_path / "run.log").open("w+")
    process = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "run"], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        health = _wait_healthy(base, process, time.monotonic() + 240)
        assert health["database"]["ok"] and health["redis"]["ok"] and health["worker"]["ok"]
        status, body = _get(f"{base}/")
        assert status == 200 and b"Engineering" in body, "demo communities are listed"
        status, _ = _get(f"{base}/backoffice/login")
        assert status == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
        log.seek(0)
        output = log.read()
        print(output)
    assert "recruiter@demo.local" in output, "the demo login is printed"
    assert f"{base}/backoffice" in output, "the URLs are printed"
    assert port_is_free("127.0.0.1", port)
    for state in ("pg/port", "redis/port"):
        remembered = tmp_path / "var" / state
        if remembered.exists():
            assert port_is_free("127.0.0.1", int(remembered.read_text())), f"{state} still open"
