"""Offers: expire the sent offers whose response deadline has ended."""

from __future__ import annotations

from arq import cron

from domain.offers import outcomes


async def expire_offers(ctx: dict) -> int:
    """Idempotent: only a `sent` offer is expired, and its emails have dedupe keys."""
    return await outcomes.expire_due(clock=ctx["clock"], queue=ctx["queue"])


TASKS = [expire_offers]
# Every 15 minutes: a deadline ends at midnight, so an offer lapses early in the next day.
CRON_JOBS = [cron(expire_offers, minute={4, 19, 34, 49}, second={17}, unique=True,
                  timeout=240)]
