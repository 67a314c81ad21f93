"""What the embedded PostgreSQL and Redis have in common: one child server process."""

from __future__ import annotations

import subprocess
from typing import Self

from runtime.errors import RuntimeServiceError


class ManagedServer:
    """A server we run as a child process; subclasses define start(), stop() and url."""

    label = "server"

    def __init__(self) -> None:
        self._port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeServiceError(f"embedded {self.label} is not started")
        return self._port

    @property
    def pid(self) -> int | None:
        """Pid of the server process while started (diagnostics and tests)."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
