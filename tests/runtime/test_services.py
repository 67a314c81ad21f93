"""start_local_services: embedded services when URLs are missing, nothing when given."""

from __future__ import annotations

import asyncio
import socket
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import asyncpg
import redis

from runtime.mailstore import MailStore
from runtime.services import start_local_services
from tests.runtime.helpers import alive


async def _use_services(database_url: str, smtp_url: str) -> int:
    connection = await asyncpg.connect(database_url)
    try:
        value = await connection.fetchval("SELECT 41 + 1")
    finally:
        await connection.close()
    message = EmailMessage()
    message["From"] = "app@talentloop.test"
    message["To"] = "someone@example.test"
    message["Subject"] = "Through the sink"
    message.set_content("hi")
    host, port = smtp_url.removeprefix("smtp://").split(":")
    await aiosmtplib.send(message, hostname=host, port=int(port))
    return value


def test_starts_what_is_missing_and_stops_in_reverse(tmp_path: Path):
    with socket.socket() as busy:  # someone else holds the preferred sink port
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        busy_port = busy.getsockname()[1]
        with start_local_services(
            tmp_path / "var",
            database_url=None,
            redis_url=None,
            smtp_url=None,
            smtp_sink_port=busy_port,
        ) as services:
            env = services.env
            assert set(env) == {"DATABASE_URL", "REDIS_URL", "SMTP_URL", "MAIL_SINK_DIR"}
            assert env["DATABASE_URL"].startswith("postgresql://postgres@127.0.0.1:")
            assert env["REDIS_URL"].startswith("redis://127.0.0.1:")
            assert env["SMTP_URL"].startswith("smtp://127.0.0.1:")
            assert env["SMTP_URL"] != f"smtp://127.0.0.1:{busy_port}"
            assert [line.split(" (")[0] for line in services.started] == [
                "PostgreSQL",
                "Redis",
                "Mail sink",
            ]
            assert asyncio.run(_use_services(env["DATABASE_URL"], env["SMTP_URL"])) == 42
            assert redis.Redis.from_url(env["REDIS_URL"]).ping()
            assert MailStore(Path(env["MAIL_SINK_DIR"])).find("someone@example.test")
            assert services.postgres is not None
            assert services.redis is not None
            pids = [services.postgres.pid, services.redis.pid]
    assert not any(alive(pid) for pid in pids if pid is not None)
    services.stop()  # idempotent


def test_configured_urls_start_nothing(tmp_path: Path):
    services = start_local_services(
        tmp_path,
        database_url="postgresql://db.internal/app",
        redis_url="redis://cache.internal:6379/0",
        smtp_url="smtp://relay.internal:587",
    )
    assert services.env == {
        "DATABASE_URL": "postgresql://db.internal/app",
        "REDIS_URL": "redis://cache.internal:6379/0",
        "SMTP_URL": "smtp://relay.internal:587",
    }
    assert services.started == []
    services.stop()
    assert list(tmp_path.iterdir()) == []
