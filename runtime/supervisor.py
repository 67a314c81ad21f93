"""A minimal process supervisor for `talentloop run` (web + worker in one terminal).

Children run in their own session/process group. A Ctrl-C in the terminal therefore
reaches only the supervisor, which then stops every child once, with SIGTERM, to the
whole group (so a child's own subprocesses go too) — instead of each child getting the
terminal's SIGINT and our SIGTERM on top. If any child exits on its own, the others are
stopped as well: a run with a dead worker or web server is not a run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import IO

from runtime.process import die_with_parent

STOP_TIMEOUT = 10.0
_HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass
class _Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    reader: threading.Thread | None = field(default=None, repr=False)


class Supervisor:
    """Start named children, prefix their output, stop them all together."""

    def __init__(self, *, stop_timeout: float = STOP_TIMEOUT, output: IO[str] | None = None):
        self.stop_timeout = stop_timeout
        self._output = output if output is not None else sys.stdout
        self._output_lock = threading.Lock()
        self._children: list[_Child] = []
        self._wake = threading.Event()
        self._stop_requested = False
        self._kill_requested = False

    def add(self, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None) -> None:
        """Register a child; `env` is added to (and overrides) this process's environment."""
        if any(child.name == name for child in self._children):
            raise ValueError(f"duplicate child name {name!r}")
        merged = {**os.environ, **(env or {})}
        # Python children buffer stdout when it is a pipe; unbuffered, their lines show
        # up in the terminal when they are written, in order with their stderr.
        merged.setdefault("PYTHONUNBUFFERED", "1")
        self._children.append(_Child(name=name, argv=list(argv), env=merged))

    @property
    def pids(self) -> dict[str, int]:
        """Pids of started children by name (for tests and diagnostics)."""
        return {c.name: c.process.pid for c in self._children if c.process is not None}

    def request_stop(self) -> None:
        """Ask `run_forever` to stop the children and return (thread-safe)."""
        if self._stop_requested:
            self._kill_requested = True  # asked twice: do not wait for a graceful stop
        self._stop_requested = True
        self._wake.set()

    def run_forever(self) -> int:
        """Run until a signal or a child exit; returns the exit code for the CLI.

        0 after SIGINT/SIGTERM/SIGHUP; otherwise the exit code of the first child that
        exited (128+N when killed by signal N).
        """
        previous = self._install_signal_handlers()
        try:
            exit_code = self._start_all()
            if exit_code is None:
                exit_code = self._watch()
            self._stop_all()
            return exit_code
        finally:
            self._restore_signal_handlers(previous)

    # -- lifecycle ---------------------------------------------------------------------------

    def _start_all(self) -> int | None:
        for child in self._children:
            try:
                child.process = subprocess.Popen(  # noqa: S603 - argv given by our CLI
                    child.argv,
                    env=child.env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=die_with_parent(signal.SIGTERM),
                )
            except OSError as error:
                self._say(f"cannot start {child.name} ({child.argv[0]}): {error}")
                return 127 if isinstance(error, FileNotFoundError) else 1
            child.reader = threading.Thread(
                target=self._pump_output, args=(child,), name=f"output-{child.name}", daemon=True
            )
            child.reader.start()
        return None

    def _watch(self) -> int:
        while True:
            if self._stop_requested:
                self._say("stopping")
                return 0
            for child in self._children:
                assert child.process is not None
                code = child.process.poll()
                if code is not None:
                    self._say(f"{child.name} exited with code {code} — stopping the others")
                    return 128 - code if code < 0 else code
            self._wake.wait(0.1)

    def _stop_all(self) -> None:
        running = [c for c in self._children if c.process is not None]
        for child in running:
            self._signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        while time.monotonic() < deadline and not self._kill_requested:
            if all(c.process is not None and c.process.poll() is not None for c in running):
                break
            time.sleep(0.05)
        for child in running:
            assert child.process is not None
            if child.process.poll() is None:
                self._say(f"{child.name} did not stop in time — killing it")
            # Also after a clean exit: subprocesses of the child left in its group would
            # otherwise outlive the run.
            self._signal_group(child, signal.SIGKILL)
        for child in running:
            assert child.process is not None
            child.process.wait()
            if child.reader is not None:
                # A grandchild that escaped its group can keep the pipe open; do not hang.
                child.reader.join(timeout=2.0)

    @staticmethod
    def _signal_group(child: _Child, sig: signal.Signals) -> None:
        assert child.process is not None
        # start_new_session made the child its group leader, so pgid == pid; the group
        # id stays valid while any member lives, even after the leader was reaped.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.process.pid, sig)

    # -- output ------------------------------------------------------------------------------

    def _pump_output(self, child: _Child) -> None:
        assert child.process is not None
        assert child.process.stdout is not None
        width = max(len(c.name) for c in self._children)
        prefix = f"[{child.name}]".ljust(width + 2)
        with child.process.stdout as pipe:
            for line in iter(pipe.readline, b""):
                text = line.decode("utf-8", errors="replace").rstrip("\r\n")
                self._write(f"{prefix} {text}")

    def _say(self, message: str) -> None:
        self._write(f"[supervisor] {message}")

    def _write(self, line: str) -> None:
        with self._output_lock:
            try:
                self._output.write(line + "\n")
                self._output.flush()
            except (OSError, ValueError):
                pass  # terminal gone or stream closed: keep supervising anyway

    # -- signals -----------------------------------------------------------------------------

    def _install_signal_handlers(self) -> dict[int, object]:
        # Signal handlers can only be set from the main thread; elsewhere the caller uses
        # request_stop() instead.
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous: dict[int, object] = {}
        for signum in _HANDLED_SIGNALS:
            previous[signum] = signal.signal(signum, self._on_signal)
        return previous

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.request_stop()

    @staticmethod
    def _restore_signal_handlers(previous: dict[int, object]) -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
