"""Connectivity checks with one-line, actionable explanations (`talentloop check`)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit, urlunsplit

from settings import Settings


def redact(url: str) -> str:
    """The URL without its password, safe to print."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def describe_database_error(exc: BaseException, url: str) -> str:
    name = exc.__class__.__name__
    where = redact(url)
    if name == "InvalidCatalogNameError":
        database = urlsplit(url).path.lstrip("/")
        return f"database {database!r} does not exist on {where}; create it (createdb {database})"
    if name in {"InvalidPasswordError", "InvalidAuthorizationSpecificationError"}:
        return f"PostgreSQL refused the credentials in DATABASE_URL ({where})"
    if isinstance(exc, (ConnectionRefusedError, OSError, asyncio.TimeoutError)):
        return f"cannot reach PostgreSQL at {where}: {exc.__class__.__name__}: {exc}"
    if isinstance(exc, ValueError) or name == "ClientConfigurationError":
        return f"DATABASE_URL is not a valid PostgreSQL URL ({where}): {exc}"
    return f"PostgreSQL at {where} failed: {name}: {exc}"


def describe_redis_error(exc: BaseException, url: str) -> str:
    if isinstance(exc, ValueError):
        return f"REDIS_URL is not a valid Redis URL ({redact(url)}): {exc}"
    return f"cannot reach Redis at {redact(url)}: {exc.__class__.__name__}: {exc}"


async def database_problem(settings: Settings) -> str | None:
    import asyncpg

    url = settings.require_database_url()
    try:
        connection = await asyncpg.connect(url, timeout=5)
    except Exception as exc:
        return describe_database_error(exc, url)
    try:
        applied = await connection.fetchval(
            "SELECT count(*) FROM migration WHERE app_name = 'domain'"
        )
    except Exception:
        return "the database has no talentloop schema yet: run `talentloop migrate`"
    finally:
        await connection.close()
    return None if applied else "no migrations applied yet: run `talentloop migrate`"


async def redis_problem(settings: Settings) -> str | None:
    from redis.asyncio import Redis

    url = settings.require_redis_url()
    try:
        client = Redis.from_url(url, socket_connect_timeout=3)
        await client.ping()
        await client.aclose()
    except Exception as exc:
        return describe_redis_error(exc, url)
    return None


async def _smtp(settings: Settings) -> str | None:
    import aiosmtplib

    url = settings.smtp_url or "smtp://127.0.0.1:1025"
    parts = urlsplit(url)
    try:
        client = aiosmtplib.SMTP(hostname=parts.hostname, port=parts.port or 25, timeout=5,
                                 use_tls=parts.scheme == "smtps")
        await client.connect()
        await client.quit()
    except Exception as exc:
        return f"cannot reach SMTP at {redact(url)}: {exc.__class__.__name__}: {exc}"
    return None


async def run_checks(settings: Settings) -> list[str]:
    from settings import ConfigError

    problems: list[str] = []
    checks = (("PostgreSQL", database_problem), ("Redis", redis_problem), ("SMTP", _smtp))
    for label, check in checks:
        try:
            problem = await check(settings)
        except ConfigError as exc:
            problem = str(exc)
        print(f"{'✗' if problem else '✓'} {label}" + (f": {problem}" if problem else ""))
        if problem:
            problems.append(problem)
    if settings.is_production and not settings.secret_key:
        problems.append("SECRET_KEY is empty")
    return problems
