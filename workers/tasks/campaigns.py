"""Campaign and sequence sending: the tick (every minute), a start right away, and one
task per batch. arq may run any of them twice: the send rows' claims make that safe."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from arq import cron

from domain.campaigns import sending
from domain.campaigns.delivery import Sender
from domain.campaigns.dispatch import advance
from domain.campaigns.eligibility import cap_days
from domain.campaigns.throttle import TokenBuckets
from settings import get_settings

RETRY_SECONDS = float(os.environ.get("CAMPAIGN_RETRY_SECONDS") or 60)
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:80]


async def _sender(ctx: dict) -> Sender:
    outlet = ctx["campaign_outlet"]
    return Sender(outlet=outlet, clock=ctx["clock"], worker_id=WORKER_ID,
                  # A lease of one round of groups: one Redis call per round.
                  buckets=TokenBuckets(ctx["redis"], lease=outlet.lanes),
                  global_rate=get_settings().mail_rate_per_second,
                  cap_days=await cap_days(), lanes=outlet.lanes,
                  group_size=outlet.group_size,
                  # CAMPAIGN_RETRY_SECONDS: a 4xx reply's first retry delay (doubling).
                  retry_delay=timedelta(seconds=RETRY_SECONDS))


async def campaign_tick(ctx: dict) -> dict:
    return await sending.tick(queue=ctx["queue"], clock=ctx["clock"])


async def start_campaign(ctx: dict, campaign_id: int) -> int:
    return await advance(campaign_id, queue=ctx["queue"], clock=ctx["clock"], kicked=True)


async def send_campaign_batch(ctx: dict, campaign_id: int, batch: int) -> dict:
    return await sending.send_campaign_batch(campaign_id, batch, sender=await _sender(ctx))


async def send_sequence_batch(ctx: dict, first_id: int, last_id: int) -> dict:
    return await sending.send_sequence_batch(first_id, last_id, sender=await _sender(ctx))


TASKS = [campaign_tick, start_campaign, send_campaign_batch, send_sequence_batch]
CRON_JOBS = [cron(campaign_tick, second={5}, unique=True, timeout=120)]
