"""TCP port helpers shared by the embedded services and the CLI."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from pathlib import Path

from runtime.errors import RuntimeServiceError


def _family(host: str) -> socket.AddressFamily:
    # "::1" or "::" need an AF_INET6 socket; everything else we use is IPv4.
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def port_is_free(host: str, port: int) -> bool:
    """True when a server could bind `host:port` right now."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR mirrors what uvicorn, PostgreSQL and Redis set: a port whose only
        # users are TIME_WAIT leftovers of a previous run is free for them, so it must
        # count as free here too; a live listener still makes bind() fail.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def ensure_port_free(host: str, port: int, *, setting: str = "PORT") -> None:
    """Raise a clear error when `host:port` is taken; `setting` names the env var to change."""
    if not port_is_free(host, port):
        raise RuntimeServiceError(
            f"port {port} on {host} is already in use (another talentloop?)"
            f" — set {setting} to use another"
        )


def find_free_port(host: str = "127.0.0.1") -> int:
    """A port the OS considers free now.

    There is an unavoidable race between returning the number and the server binding
    it; callers that start a server should still report a bind failure clearly.
    """
    with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def remembered_port(state_file: Path, host: str = "127.0.0.1") -> int:
    """The port saved in `state_file` if still free, else a new free port (then saved).

    A stable port per data directory keeps DSNs the developer copied into a SQL client
    or a .env file valid across `talentloop run` restarts.
    """
    with contextlib.suppress(OSError, ValueError):
        saved = int(state_file.read_text().strip())
        if 0 < saved < 65536 and port_is_free(host, saved):
            return saved
    port = find_free_port(host)
    state_file.parent.mkdir(parents=True, exist_ok=True)
    state_file.write_text(f"{port}\n")
    return port


def _accepts_connections(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_port(
    host: str,
    port: int,
    timeout: float,
    *,
    process: subprocess.Popen[bytes] | None = None,
    name: str = "server",
) -> None:
    """Block until something accepts TCP connections on `host:port`.

    When `process` is given, give up as soon as it exits: waiting the whole timeout for a
    server that already crashed only delays the error message.
    """
    deadline = time.monotonic() + timeout
    while True:
        if _accepts_connections(host, port):
            return
        if process is not None and process.poll() is not None:
            raise RuntimeServiceError(
                f"{name} exited with code {process.returncode} before listening on {host}:{port}"
            )
        if time.monotonic() >= deadline:
            raise RuntimeServiceError(
                f"{name} did not accept connections on {host}:{port} within {timeout:g} s"
            )
        time.sleep(0.05)
