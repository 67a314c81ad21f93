"""Test environment: a fresh PostgreSQL database, a Redis database and an SMTP sink.

With DATABASE_URL / REDIS_URL set (CI), the given servers are used: a database named
after this process is created on that server and dropped at the end. Without them the
embedded PostgreSQL and Redis from runtime/ are started under var/test/. Under
pytest-xdist (`make test` runs `-n 2`) each worker process gets its own database, Redis
database and mail sink on the same servers.
Everything is configured in pytest_configure, before any talentloop module reads settings.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
_cleanup: list = []


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def _recreate_database(server_url: str, name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(_with_database(server_url, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def _drop_database(server_url: str, name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(_with_database(server_url, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def _embedded_services(var_dir: Path) -> tuple[str, str]:
    from runtime.postgres import EmbeddedPostgres
    from runtime.redis import EmbeddedRedis

    postgres = EmbeddedPostgres(var_dir / "pg", database="postgres")
    postgres.start()
    redis = EmbeddedRedis(var_dir / "redis")
    redis.start()
    _cleanup.extend([redis.stop, postgres.stop])
    return postgres.url, redis.url


def _start_mail_sink(maildir: Path) -> str:
    from runtime.mailsink import MailSink
    from runtime.ports import find_free_port

    port = find_free_port()
    sink = MailSink("127.0.0.1", port, maildir)
    sink.start()
    _cleanup.append(sink.stop)
    return f"smtp://127.0.0.1:{port}"


REDIS_CLAIM_KEY = "talentloop:test-run"


def _claim_redis_database(redis_url: str) -> str:
    """A Redis database no other test run is using: each test flushes its database, so
    two runs sharing one would wipe each other's sessions and queues. The claim is a key
    set with NX in the database itself (re-set after every flush, dropped at the end)."""
    import redis

    for index in range(1, 16):
        url = urlunsplit(urlsplit(redis_url)._replace(path=f"/{index}"))
        client = redis.Redis.from_url(url)
        try:
            if client.set(REDIS_CLAIM_KEY, str(os.getpid()), nx=True, ex=6 * 3600):
                _cleanup.insert(0, lambda c=client: c.delete(REDIS_CLAIM_KEY))
                return url
        finally:
            client.close()
    raise pytest.UsageError("every Redis database 1-15 is claimed by another test run")


def pytest_configure(config: pytest.Config) -> None:
    sys.path.insert(0, str(ROOT))
    if config.option.markexpr == "smoke":
        return  # the smoke test starts its own services through `talentloop run`
    server_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if not server_url or not redis_url:
        embedded_pg, embedded_redis = _embedded_services(ROOT / "var" / "test")
        server_url, redis_url = server_url or embedded_pg, redis_url or embedded_redis
    if _is_xdist_controller(config):
        # The controller runs no test. Its workers start after this hook and inherit the
        # environment, so they share these servers (embedded ones started once, here)
        # and each makes its own database, Redis database and mail sink below.
        os.environ.update({"DATABASE_URL": server_url, "REDIS_URL": redis_url})
        return
    scratch = Path(tempfile.mkdtemp(prefix="talentloop-test-"))
    _cleanup.append(lambda: shutil.rmtree(scratch, ignore_errors=True))
    name = f"talentloop_test_{os.getpid()}"
    asyncio.run(_recreate_database(server_url, name))
    _cleanup.insert(0, lambda: asyncio.run(_drop_database(server_url, name)))
    maildir = scratch / "mail"
    os.environ.update({
        "APP_ENV": "test",
        "DATABASE_URL": _with_database(server_url, name),
        # A Redis database of its own (flushed per test) keeps concurrent runs apart.
        "REDIS_URL": _claim_redis_database(redis_url),
        "SMTP_URL": _start_mail_sink(maildir),
        "MAIL_SINK_DIR": str(maildir),
        "VAR_DIR": str(scratch / "var"),
        "SECRET_KEY": "test-secret-key-not-for-production",
        "BASE_URL": "http://testserver",
        "PICCOLO_CONF": "piccolo_conf",
        "TALENTLOOP_TEST_SERVICES": "1",
        # Tests read pages right after changing data; the cache has tests of its own.
        "PAGE_CACHE_SECONDS": "0",
    })
    _migrate()


def _is_xdist_controller(config: pytest.Config) -> bool:
    """True in the process pytest-xdist's `-n N` (N > 0) uses to hand tests to workers."""
    return bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")


def _migrate() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "migrate"], cwd=ROOT, capture_output=True,
        text=True, check=False,
    )
    if result.returncode != 0:
        raise pytest.UsageError(f"migrations failed:\n{result.stdout}\n{result.stderr}")


def pytest_unconfigure(config: pytest.Config) -> None:
    while _cleanup:
        try:
            _cleanup.pop(0)()
        except Exception as exc:  # cleanup must not hide the test result
            print(f"cleanup: {exc}", file=sys.stderr)


pytest_plugins = ["tests.fixtures"]
