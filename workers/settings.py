"""arq worker settings: `talentloop worker` or `python -m workers` runs them (on uvloop;
`arq workers.settings.WorkerSettings` also works, on the standard event loop)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time

from domain.db import close_pool, start_pool
from domain.ports import SystemClock
from settings import get_settings
from workers.campaign_mail import CampaignOutlet
from workers.emails import EmailRenderer
from workers.mailer import SmtpMailer, SmtpPool
from workers.queue import ArqTaskQueue, redis_settings
from workers.tasks import (
    bulk_actions,
    campaigns,
    compliance,
    consent,
    engagement_scoring,
    event_attendance,
    event_integrity,
    event_reminders,
    events,
    imports,
    interview_reminders,
    mail,
    offer_expiry,
    outbox,
    pool_snapshots,
    privacy,
    segment_membership,
    sequences,
    tracking,
    webhooks,
)

# Each task module lists its TASKS and CRON_JOBS; a test checks names against these.
TASK_MODULES = [mail, outbox, privacy, consent, events, event_reminders, event_attendance,
                event_integrity, compliance, interview_reminders, offer_expiry,
                engagement_scoring, pool_snapshots, imports, bulk_actions,
                segment_membership, webhooks, tracking, campaigns, sequences]

HEARTBEAT_KEY = "talentloop:worker:heartbeat"
HEARTBEAT_SECONDS = 5
log = logging.getLogger("talentloop.worker")


async def _beat(ctx: dict) -> None:
    while True:
        await ctx["redis"].set(HEARTBEAT_KEY, str(time.time()), ex=HEARTBEAT_SECONDS * 12)
        await asyncio.sleep(HEARTBEAT_SECONDS)


async def startup(ctx: dict) -> None:
    settings = get_settings()
    ctx["owns_pool"] = await start_pool(max_size=settings.db_pool_max)
    ctx["clock"] = SystemClock()
    ctx["queue"] = ArqTaskQueue(ctx["redis"])
    ctx["mailer"] = SmtpMailer(settings.smtp_url or "smtp://127.0.0.1:1025")
    ctx["emails"] = EmailRenderer(
        sender=settings.mail_from, company_name=settings.company_name,
        postal_address=settings.postal_address,
    )
    ctx["campaign_outlet"] = CampaignOutlet(
        SmtpPool(settings.smtp_url or "smtp://127.0.0.1:1025", size=settings.smtp_pool_size),
        ctx["emails"])
    ctx["heartbeat"] = asyncio.create_task(_beat(ctx))
    log.info("worker ready")


async def shutdown(ctx: dict) -> None:
    if "heartbeat" in ctx:
        ctx["heartbeat"].cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ctx["heartbeat"]
    if "mailer" in ctx:
        await ctx["mailer"].close()
    if "campaign_outlet" in ctx:  # sends in flight finish before the pools close
        await ctx["campaign_outlet"].drain()
        await ctx["campaign_outlet"].pool.close()
    if ctx.get("owns_pool"):
        await close_pool(give_up_after=20)


class WorkerSettings:
    functions = [task for module in TASK_MODULES for task in module.TASKS]
    cron_jobs = [job for module in TASK_MODULES for job in module.CRON_JOBS]
    on_startup = startup
    on_shutdown = shutdown
    max_tries = 5
    # WORKER_JOB_TIMEOUT: shorter in the campaign chaos tests (a killed job re-runs after
    # its timeout + 10 s).
    job_timeout = int(os.environ.get("WORKER_JOB_TIMEOUT") or 120)
    keep_result = 3600
    redis_settings = redis_settings(get_settings().redis_url or "redis://127.0.0.1:6379/0")
    max_jobs = get_settings().worker_concurrency
    # arq reads this many due jobs per poll, oldest first, and skips those with an
    # "in progress" key. A SIGKILLed worker's keys live for the longest task timeout
    # (+10 s: an hour here), so with the default (max(5 * max_jobs, 100)) a few kills in
    # a row could park enough dead jobs at the head of the queue to hide every live one
    # for that hour (seen in the campaign chaos soak run).
    queue_read_limit = 1000
