"""What each `talentloop` sub-command does (cli.py only parses arguments)."""

from __future__ import annotations

import argparse
import asyncio
import copy
import os
import secrets
from pathlib import Path

from runtime.checks import describe_database_error
from runtime.errors import CommandError
from settings import get_settings


def _error(message: str) -> Exception:
    return CommandError(message)


async def _with_db(coroutine_factory):
    """Run domain code with a connection pool, turning connection failures into one line."""
    import warnings

    from domain.db import close_pool, start_pool

    url = get_settings().require_database_url()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Piccolo warns before we explain
            await start_pool(max_size=4)
    except Exception as exc:
        raise _error(describe_database_error(exc, url)) from exc
    try:
        return await coroutine_factory()
    finally:
        await close_pool()


async def apply_migrations() -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from domain.bootstrap import ensure_reference_data
    from domain.ports import SystemClock

    response = await run_forwards(app_name="domain")
    if not response.success:
        raise _error(f"migrations failed: {response.message}")
    await ensure_reference_data(clock=SystemClock(), company_name=get_settings().company_name)


def migrate(_: argparse.Namespace) -> int:
    asyncio.run(_with_db(apply_migrations))
    print("Database is up to date.")
    return 0


def demo_password(var_dir: Path) -> str:
    """DEMO_PASSWORD, else one random password per installation kept under var/."""
    if os.environ.get("DEMO_PASSWORD"):
        return os.environ["DEMO_PASSWORD"]
    path = var_dir / "demo-password"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    password = "demo-" + secrets.token_urlsafe(9)
    path.write_text(password)
    path.chmod(0o600)
    return password


async def seed_demo_data(people: int = 2000):
    from domain.demo.service import seed_demo
    from domain.ports import SystemClock

    password = demo_password(get_settings().var_dir)
    return await seed_demo(clock=SystemClock(), people=people, staff_password=password)


def seed(args: argparse.Namespace) -> int:
    summary = asyncio.run(_with_db(lambda: seed_demo_data(args.people)))
    if not summary.created:
        print("Demo data is already loaded; nothing changed.")
    else:
        print(
            f"Loaded demo data: {summary.people} people, {summary.memberships} memberships, "
            f"{summary.engagement_events} engagement events, {summary.requisitions} "
            f"requisitions with {summary.applications} applications."
        )
    print_logins(get_settings().var_dir)
    return 0


def print_logins(var_dir: Path) -> None:
    password = demo_password(var_dir)
    print("Demo back-office logins (password for all: " + password + "):")
    for email, what in (
        ("recruiter@demo.local", "recruiter, on every demo requisition"),
        ("admin@demo.local", "admin"),
        ("hiring.manager@demo.local",
         "hiring manager of Senior Backend Engineer and Frontend Engineer only"),
        ("host@demo.local", "event host"),
        ("marketing@demo.local", "marketing"),
    ):
        print(f"  {email:<28} {what}")


def users(args: argparse.Namespace) -> int:
    from domain.accounts import service as accounts
    from domain.errors import DomainError
    from domain.ports import SystemClock

    password = args.password or os.environ.get("TALENTLOOP_PASSWORD") or secrets.token_urlsafe(12)
    try:
        staff = asyncio.run(
            _with_db(
                lambda: accounts.create_user(
                    email=args.email,
                    full_name=args.name,
                    roles=args.role,
                    password=password,
                    clock=SystemClock(),
                )
            )
        )
    except (DomainError, ValueError) as exc:
        raise _error(str(exc)) from exc
    print(f"Created {staff.email} with roles {', '.join(staff.roles)}.")
    if not args.password and not os.environ.get("TALENTLOOP_PASSWORD"):
        print(f"Password: {password}")
    return 0


def web(args: argparse.Namespace) -> int:
    import uvicorn

    from runtime.ports import ensure_port_free

    settings = get_settings()
    ensure_port_free(settings.host, settings.port)
    _preflight()
    uvicorn.run(
        "asgi:create_server_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=args.workers,
        log_level=settings.log_level.lower(),
        proxy_headers=False,
        access_log=False,
        log_config=_log_config(settings.log_level),
    )
    return 0


def _preflight() -> None:
    """Fail with one clear line before a server starts against unreachable services."""
    from runtime.checks import database_problem, redis_problem

    settings = get_settings()
    problem = asyncio.run(database_problem(settings)) or asyncio.run(redis_problem(settings))
    if problem:
        raise _error(problem)


def _log_config(level: str) -> dict:
    """uvicorn's logging plus our access log (which logs route templates, never tokens)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["talentloop"] = {"handlers": ["default"], "level": level,
                                       "propagate": False}
    return config


def worker(_: argparse.Namespace) -> int:
    from workers.__main__ import run

    _preflight()
    run()
    return 0


def inbound(_: argparse.Namespace) -> int:
    from runtime.inbound import run as run_inbound

    _preflight()
    return run_inbound()


def check(_: argparse.Namespace) -> int:
    from runtime.checks import run_checks

    problems = asyncio.run(run_checks(get_settings()))
    return 1 if problems else 0


def run(_: argparse.Namespace) -> int:
    from runtime.local import run_local

    return run_local()

