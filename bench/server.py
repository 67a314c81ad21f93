"""One uvicorn process per measured app, pinned to the server core, on loopback only."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

from runtime.errors import RuntimeServiceError
from runtime.ports import find_free_port, wait_for_port
from runtime.process import die_with_parent, log_tail, stop_process

HOST = "127.0.0.1"
START_TIMEOUT = 60.0  # the real app imports a lot and opens a DB pool
PROBE_ATTEMPTS = 50  # readiness probes after the port opens, PROBE_INTERVAL apart
PROBE_INTERVAL = 0.1
STOP_TIMEOUT = 10.0
ROOT = Path(__file__).resolve().parent.parent


def write_log_config(path: Path) -> Path:
    """uvicorn's logging plus the app's access log, exactly as `talentloop web` sets it up.

    Without it the `talentloop.access` lines (one per request in production) would be
    filtered out, and (d) would skip work production does.
    """
    from runtime.commands import _log_config

    path.write_text(json.dumps(_log_config("INFO")))
    return path


class UvicornServer:
    """`target` served by one uvicorn worker (httptools, no uvicorn access log)."""

    def __init__(self, name: str, target: str, *, factory: bool, env: dict[str, str],
                 pin: list[str], log_dir: Path, log_config: Path):
        self.name, self.target, self.factory = name, target, factory
        self.env, self.pin = env, pin
        self.log_file = log_dir / f"server-{name}.log"
        self.log_config = log_config
        self.port = find_free_port(HOST)
        self._process: subprocess.Popen[bytes] | None = None

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def command(self) -> list[str]:
        return [*self.pin, sys.executable, "-m", "uvicorn", self.target,
                *(["--factory"] if self.factory else []),
                "--host", HOST, "--port", str(self.port), "--workers", "1",
                "--http", "httptools", "--no-access-log", "--no-proxy-headers",
                "--log-config", str(self.log_config)]

    def start(self) -> None:
        with self.log_file.open("wb") as log:
            self._process = subprocess.Popen(
                self.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=ROOT, env=self.env, start_new_session=True,
                preexec_fn=die_with_parent(signal.SIGTERM),
            )

    def wait_ready(self, path: str, expect: bytes) -> int:
        """Block until `path` answers 200 with `expect` in the body; returns the body size."""
        assert self._process is not None
        try:
            wait_for_port(HOST, self.port, START_TIMEOUT, process=self._process, name=self.name)
            return probe(self.url(path), expect)
        except RuntimeServiceError as error:
            raise RuntimeServiceError(
                f"{error}; log tail ({self.log_file}): {log_tail(self.log_file)}") from None

    def cpu_seconds(self) -> float:
        """CPU time the server has used so far: per-request cost that other load on the
        machine cannot inflate the way it inflates wall-clock rps."""
        assert self._process is not None
        times = psutil.Process(self._process.pid).cpu_times()
        return float(times.user + times.system)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            stop_process(process, first=signal.SIGTERM, timeout=STOP_TIMEOUT)


def probe(url: str, expect: bytes, attempts: int = PROBE_ATTEMPTS,
          interval: float = PROBE_INTERVAL) -> int:
    """GET `url` until it answers 200 containing `expect`, at most `attempts` times."""
    last = "no answer"
    for _ in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - loopback http
                body = answer.read()
            if expect in body:
                return len(body)
            last = f"200 without {expect!r}"
        except (urllib.error.URLError, OSError) as error:
            last = str(error)
        time.sleep(interval)
    raise RuntimeServiceError(f"{url} not ready after {attempts} probes: {last}")
