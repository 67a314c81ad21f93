"""What the domain needs from the outside world, as Protocols the entrypoints implement."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol


class TaskQueue(Protocol):
    async def enqueue(self, task: str, *args: Any, job_id: str | None = None) -> bool:
        """Queue `task(*args)`; with a job_id, a second enqueue of the same id is a no-op.
        Returns False when the id was already queued."""
        ...

    async def waiting(self, job_id_prefix: str) -> set[str]:
        """Ids starting with the prefix of jobs queued and not started yet."""
        ...


class Mailer(Protocol):
    async def send(self, message: Any) -> str:
        """Send an email.message.EmailMessage; returns the server's reply."""
        ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)
