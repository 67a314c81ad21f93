"""Consent expiry: an hourly sweep sends re-consent emails before consent lapses and
records the expiry when it does, so marketing stops on the day."""

from __future__ import annotations

from arq import cron

from domain.preferences import service as preferences


async def sweep_consent_expiry(ctx: dict) -> dict:
    """Idempotent: reminders are deduplicated per given consent, and an expiry is only
    appended while that consent is still the current state."""
    return await preferences.sweep_consent_expiry(clock=ctx["clock"], queue=ctx["queue"])


TASKS = [sweep_consent_expiry]
CRON_JOBS = [cron(sweep_consent_expiry, minute={23}, unique=True, timeout=600)]
