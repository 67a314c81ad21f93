"""Start whatever backing service is not configured, for `talentloop run` and friends.

Each service is embedded only when its URL is unset, so a developer with a real
PostgreSQL (or CI with service containers) just sets DATABASE_URL and nothing changes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from runtime.mailsink import MailSink
from runtime.ports import find_free_port, port_is_free
from runtime.postgres import EmbeddedPostgres
from runtime.redis import EmbeddedRedis

logger = logging.getLogger(__name__)

SINK_HOST = "127.0.0.1"


class _Stoppable(Protocol):
    def stop(self) -> None: ...


@dataclass
class LocalServices:
    """What `start_local_services` provides: env for children and the running services."""

    env: dict[str, str] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)
    postgres: EmbeddedPostgres | None = None
    redis: EmbeddedRedis | None = None
    mail_sink: MailSink | None = None
    _stop_order: list[_Stoppable] = field(default_factory=list, repr=False)

    def stop(self) -> None:
        """Stop started services, last started first; safe to call twice."""
        while self._stop_order:
            service = self._stop_order.pop()
            try:
                service.stop()
            except Exception:
                # Keep stopping the rest: one stuck service must not leave the others up.
                logger.exception("could not stop %r", service)

    def __enter__(self) -> LocalServices:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_local_services(
    var_dir: Path,
    *,
    database_url: str | None,
    redis_url: str | None,
    smtp_url: str | None,
    smtp_sink_port: int = 1025,
) -> LocalServices:
    """Start embedded PostgreSQL/Redis/mail sink for each URL that is None.

    State lives under `var_dir` (pg/, redis/, mail/). `.env` always carries the three
    URLs (given or embedded) and MAIL_SINK_DIR when the sink runs. If one service fails
    to start, those already started are stopped before the error propagates.
    """
    var_dir = Path(var_dir).resolve()
    services = LocalServices()
    try:
        services.env["DATABASE_URL"] = database_url or _start_postgres(var_dir, services)
        services.env["REDIS_URL"] = redis_url or _start_redis(var_dir, services)
        services.env["SMTP_URL"] = smtp_url or _start_mail_sink(var_dir, smtp_sink_port, services)
    except BaseException:
        services.stop()
        raise
    return services


def _start_postgres(var_dir: Path, services: LocalServices) -> str:
    postgres = EmbeddedPostgres(var_dir / "pg")
    postgres.start()
    services.postgres = postgres
    services._stop_order.append(postgres)
    services.started.append(f"PostgreSQL (embedded) {postgres.url}  data: {postgres.data_dir}")
    return postgres.url


def _start_redis(var_dir: Path, services: LocalServices) -> str:
    redis = EmbeddedRedis(var_dir / "redis")
    redis.start()
    services.redis = redis
    services._stop_order.append(redis)
    services.started.append(f"Redis (embedded) {redis.url}  data: {redis.data_dir}")
    return redis.url


def _start_mail_sink(var_dir: Path, preferred_port: int, services: LocalServices) -> str:
    # 1025 is the conventional dev-SMTP port, but another sink (MailHog, a second
    # checkout) often holds it; any port works since the URL is handed to the children.
    port = preferred_port if port_is_free(SINK_HOST, preferred_port) else find_free_port(SINK_HOST)
    maildir = var_dir / "mail"
    sink = MailSink(SINK_HOST, port, maildir)
    sink.start()
    services.mail_sink = sink
    services._stop_order.append(sink)
    services.env["MAIL_SINK_DIR"] = str(maildir)
    services.started.append(f"Mail sink (development) {sink.url}  maildir: {maildir}")
    return sink.url
