"""`talentloop run`: everything a newcomer needs, on embedded defaults, in one terminal."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from pathlib import Path

from runtime.errors import RuntimeServiceError
from runtime.ports import ensure_port_free, wait_for_port
from runtime.services import LocalServices, start_local_services
from runtime.supervisor import Supervisor
from settings import ROOT, get_settings


def _prepare_database(settings_var_dir: Path) -> None:
    from runtime.commands import _with_db, apply_migrations, seed_demo_data

    async def migrate_and_seed() -> None:
        await apply_migrations()
        if get_settings().demo_seed:
            summary = await seed_demo_data()
            if summary.created:
                print(f"Loaded demo data: {summary.people} people, "
                      f"{summary.engagement_events} engagement events.")

    asyncio.run(_with_db(migrate_and_seed))


def _banner(services: LocalServices) -> None:
    from runtime.commands import print_logins

    settings = get_settings()
    print("\n" + "=" * 64)
    print(f"talentloop is running: {settings.base_url}")
    print(f"  Careers portal  {settings.base_url}/")
    print(f"  Back office     {settings.base_url}/backoffice")
    print(f"  Mail outbox     {settings.base_url}/backoffice/mail")
    print(f"  Health          {settings.base_url}/healthz")
    print(f"  Inbound SMTP    {settings.host}:{settings.inbound_smtp_port}"
          f" (replies+…@{settings.reply_domain}, bounces)")
    print(f"  API schema      {settings.base_url}/schema")
    for line in services.started:
        print(f"  {line}")
    if settings.demo_seed:
        print_logins(settings.var_dir)
    print("Press Ctrl-C to stop.")
    print("=" * 64 + "\n", flush=True)


def _announce_when_ready(services: LocalServices) -> None:
    settings = get_settings()
    try:
        wait_for_port(settings.host, settings.port, timeout=60)
    except RuntimeServiceError as exc:
        print(f"talentloop: web did not start: {exc}", file=sys.stderr)
        return
    _banner(services)


def run_local() -> int:
    settings = get_settings()
    ensure_port_free(settings.host, settings.port)
    services = start_local_services(
        settings.var_dir, database_url=settings.database_url, redis_url=settings.redis_url,
        smtp_url=settings.smtp_url,
    )
    try:
        os.environ.update(services.env)
        get_settings.cache_clear()
        _prepare_database(settings.var_dir)
        supervisor = Supervisor()
        cli = [sys.executable, str(ROOT / "cli.py")]
        supervisor.add("web", [*cli, "web"], services.env)
        supervisor.add("worker", [*cli, "worker"], services.env)
        # Replies and bounces by SMTP (REPLY_DOMAIN's MX, or the dev sink forwarding).
        supervisor.add("inbound", [*cli, "inbound"], services.env)
        threading.Thread(target=_announce_when_ready, args=(services,), daemon=True).start()
        return supervisor.run_forever()
    finally:
        services.stop()
