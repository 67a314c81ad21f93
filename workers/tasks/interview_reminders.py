"""Interviews: the reminder 24 h before, and the scorecard request once one has ended."""

from __future__ import annotations

from arq import cron

from domain.interviews import reminders


async def send_interview_reminders(ctx: dict) -> int:
    """Idempotent: an interview's reminder mark is claimed once per start time."""
    return await reminders.send_reminders(clock=ctx["clock"], queue=ctx["queue"])


async def request_interview_scorecards(ctx: dict) -> int:
    """Idempotent: an ended interview is completed, and its panel asked, once."""
    return await reminders.request_scorecards(clock=ctx["clock"], queue=ctx["queue"])


TASKS = [send_interview_reminders, request_interview_scorecards]
CRON_JOBS = [
    cron(send_interview_reminders, minute=set(range(1, 60, 5)), second={41}, unique=True,
         timeout=240),
    cron(request_interview_scorecards, minute=set(range(2, 60, 5)), second={41},
         unique=True, timeout=240),
]
