"""PostgreSQL and Redis for a benchmark run, and a throwaway database on them.

DATABASE_URL / REDIS_URL name servers to use when set (the database in the URL is only
used to reach the server: a database of our own is created next to it and dropped at the
end). Unset, the embedded servers of runtime/ are started in a temporary directory.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.harness import log

ROOT = Path(__file__).resolve().parent.parent
MIGRATE_TIMEOUT = 300.0
SEED_TIMEOUT = 600.0


@dataclass(frozen=True)
class Services:
    env: dict[str, str]  # environment for every child process (app servers, cli.py)
    postgres_version: str
    embedded: list[str]  # which servers the harness started itself


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def _admin(server_url: str, sql: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(with_database(server_url, "postgres"))
    try:
        return str(await conn.fetchval(sql))
    finally:
        await conn.close()


def _admin_sql(server_url: str, sql: str) -> str:
    return asyncio.run(_admin(server_url, sql))


def _start_embedded(stack: ExitStack, scratch: Path, pin_cpu: int | None,
                    want_pg: bool, want_redis: bool) -> tuple[str | None, str | None]:
    from runtime.postgres import EmbeddedPostgres
    from runtime.redis import EmbeddedRedis

    pg_url = redis_url = None
    if want_pg:
        postgres = stack.enter_context(EmbeddedPostgres(scratch / "pg", database="postgres"))
        _pin(postgres.pid, pin_cpu)
        pg_url = postgres.url
    if want_redis:
        redis = stack.enter_context(EmbeddedRedis(scratch / "redis"))
        _pin(redis.pid, pin_cpu)
        redis_url = redis.url
    return pg_url, redis_url


def _pin(pid: int | None, cpu: int | None) -> None:
    # Servers we start share the load generator's core, so the app server has its core
    # to itself; PostgreSQL backends forked later inherit the postmaster's affinity.
    if pid is not None and cpu is not None:
        os.sched_setaffinity(pid, {cpu})


def _child_env(database_url: str, redis_url: str, scratch: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        # production settings, so nothing development-only (generated secrets, demo
        # seeding on start) runs; no mail is sent by the pages measured.
        "APP_ENV": "production",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SMTP_URL": "smtp://127.0.0.1:9",
        "BASE_URL": "http://127.0.0.1:8000",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "DEMO_PASSWORD": secrets.token_urlsafe(12),
        "VAR_DIR": str(scratch / "var"),
        "PICCOLO_CONF": "piccolo_conf",
        "LOG_LEVEL": "INFO",
        "PYTHONPATH": str(ROOT),
    })
    return env


def cli(env: dict[str, str], *args: str, timeout: float) -> None:
    """`python cli.py ARGS` against the benchmark database; raises with its output."""
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"cli.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


@contextmanager
def services(scratch: Path, *, pin_cpu: int | None, seed_people: int) -> Iterator[Services]:
    """Servers up, a migrated and seeded database created; everything undone on exit."""
    with ExitStack() as stack:
        server_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
        embedded = [name for name, url in (("postgres", server_url), ("redis", redis_url))
                    if not url]
        pg_url, own_redis = _start_embedded(stack, scratch, pin_cpu, "postgres" in embedded,
                                            "redis" in embedded)
        server_url, redis_url = server_url or pg_url, redis_url or own_redis
        assert server_url, "no PostgreSQL"
        assert redis_url, "no Redis"
        name = f"talentloop_bench_{os.getpid()}"
        _admin_sql(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _admin_sql(server_url, f'CREATE DATABASE "{name}"')
        stack.callback(_admin_sql, server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        env = _child_env(with_database(server_url, name), redis_url, scratch)
        log(f"database {name}: migrating, seeding {seed_people} demo people")
        cli(env, "migrate", timeout=MIGRATE_TIMEOUT)
        cli(env, "seed", "demo", "--people", str(seed_people), timeout=SEED_TIMEOUT)
        version = _admin_sql(server_url, "SHOW server_version").split()[0]
        yield Services(env=env, postgres_version=version, embedded=embedded)
