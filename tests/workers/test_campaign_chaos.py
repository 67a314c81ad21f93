"""Campaign chaos (QUALITY.md Q1, Q2, Q7 and the unsubscribe-while-sending bar): real
arq worker subprocesses sending into the test's SMTP sink, killed and restarted at
random moments, while this process runs the tick like the cron does.

CI runs the small size; `make soak` the full one (2,000 recipients, 20 kills).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from domain.campaigns import sending
from domain.db import fetch
from domain.ports import SystemClock
from domain.preferences import emails as preference_links
from settings import get_settings
from tests.campaign_support import (
    PURPOSE,
    SCOPE,
    approved_campaign,
    assert_consent_invariant,
    campaign_state,
    people_with_consent,
    send_states,
)
from workers.campaign_mail import sends_in_flight

ROOT = Path(__file__).resolve().parents[2]
CLOCK = SystemClock()
# Sends one worker may have claimed at once: a kill leaves at most this many in doubt.
LANES = sends_in_flight(get_settings().smtp_pool_size)
SIZES = [pytest.param(500, 5, id="ci"),
         pytest.param(2000, 20, id="soak", marks=pytest.mark.soak)]


class Workers:
    """arq worker subprocesses this test started (and only those are signalled)."""

    def __init__(self, count: int, rate: float) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="campaign-chaos-"))
        self.env = {**os.environ, "WORKER_JOB_TIMEOUT": "10", "PYTHONPATH": str(ROOT),
                    "MAIL_RATE_PER_SECOND": str(rate)}
        self.logs: list[Path] = []
        self.procs = [self._spawn(i) for i in range(count)]

    def _spawn(self, index: int) -> subprocess.Popen:
        log = self.dir / f"worker-{index}-{time.monotonic_ns()}.log"
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "workers"],  # as `talentloop worker` runs it
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        if index < len(self.logs):
            self.logs[index] = log
        else:
            self.logs.append(log)
        return proc

    async def ready(self, index: int, within: float = 30) -> None:
        """Until the worker runs its first job, so that a kill lands while it sends
        rather than while Python starts up (bounded: at most `within` seconds)."""
        start = time.monotonic()
        while time.monotonic() - start < within:
            if "→" in self.logs[index].read_text(errors="replace"):
                return
            await asyncio.sleep(0.1)

    async def hit(self, index: int, sig: int) -> None:
        """Signal one worker, wait for it to exit, start a new one in its place."""
        proc = self.procs[index]
        proc.send_signal(sig)
        await asyncio.to_thread(proc.wait, 30)
        self.procs[index] = self._spawn(index)

    async def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                await asyncio.to_thread(proc.wait, 30)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextlib.asynccontextmanager
async def running(workers_count: int, rate: float, queue, stale_after: float = 5.0):
    """Workers plus a tick every second (the cron's minute is too slow for a test)."""
    workers = Workers(workers_count, rate)
    stop = asyncio.Event()

    async def ticking() -> None:
        while not stop.is_set():
            await sending.tick(queue=queue, clock=CLOCK, batch_size=100,
                               stale_after=timedelta(seconds=stale_after))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)

    ticker = asyncio.create_task(ticking())
    try:
        yield workers
    finally:
        stop.set()
        await ticker
        await workers.stop()


async def until_finished(campaign_id: int, workers: Workers, deadline: float = 240) -> None:
    start = time.monotonic()
    while await campaign_state(campaign_id) != "finished":
        if time.monotonic() - start > deadline:
            states = await send_states(campaign_id)
            tail = "".join(log.read_text(errors="replace")[-1500:] for log in workers.logs)
            pytest.fail(f"campaign not finished after {deadline}s: {states}\n{tail}")
        await asyncio.sleep(0.5)


def delivered(mail) -> dict[str, list[datetime]]:
    """Receive times per recipient address at the sink."""
    found: dict[str, list[datetime]] = {}
    for summary in mail.list(limit=10**6):
        found.setdefault(summary.to, []).append(mail._received_at(summary.key))
    return found


async def check_outcome(campaign_id: int, people: list[int], mail, *, max_in_doubt: int,
                        may_skip: frozenset[str] = frozenset()) -> dict[str, int]:
    by_address = delivered(mail)
    duplicates = {to: len(times) for to, times in by_address.items() if len(times) > 1}
    assert duplicates == {}, f"duplicate deliveries: {duplicates}"
    rows = await fetch("SELECT s.state, p.email FROM marketing_sends s JOIN people p "
                       "ON p.id = s.person WHERE s.campaign = $1", campaign_id)
    states = {row["email"]: row["state"] for row in rows}
    assert len(states) == len(people)
    missing = [email for email, state in states.items()
               if state not in {"sent", "in_doubt"} and email not in may_skip]
    assert missing == [], f"neither sent nor in doubt: {missing[:10]}"
    sent_not_delivered = [e for e, s in states.items() if s == "sent" and e not in by_address]
    assert sent_not_delivered == []
    counts = await send_states(campaign_id)
    assert counts.get("in_doubt", 0) <= max_in_doubt
    await assert_consent_invariant()
    return counts


@pytest.mark.parametrize(("recipients", "kills"), SIZES)
async def test_sigkill_mid_campaign_no_duplicates_none_lost(recipients, kills, queue, mail):
    people = await people_with_consent(recipients)
    campaign = await approved_campaign(people)
    async with running(2, rate=recipients / 12, queue=queue) as workers:
        async def chaos(index: int) -> None:
            for _ in range(kills):
                await workers.ready(index)
                await asyncio.sleep(random.uniform(0.2, 3))
                await workers.hit(index, signal.SIGKILL)

        await asyncio.gather(chaos(0), chaos(1))
        await until_finished(campaign, workers)
    counts = await check_outcome(campaign, people, mail, max_in_doubt=2 * kills * LANES)
    print(f"SIGKILL x{2 * kills}: {counts}")


@pytest.mark.parametrize(("recipients", "kills"), SIZES)
async def test_sigterm_mid_campaign_nothing_in_doubt(recipients, kills, queue, mail):
    people = await people_with_consent(recipients)
    campaign = await approved_campaign(people)
    async with running(2, rate=recipients / 12, queue=queue) as workers:
        async def chaos(index: int) -> None:
            for _ in range(kills):
                await workers.ready(index)
                await asyncio.sleep(random.uniform(0.2, 3))
                await workers.hit(index, signal.SIGTERM)

        await asyncio.gather(chaos(0), chaos(1))
        await until_finished(campaign, workers)
    counts = await check_outcome(campaign, people, mail, max_in_doubt=0)
    assert counts == {"sent": recipients}


@pytest.mark.parametrize("recipients", [pytest.param(500, id="ci"),
                                        pytest.param(2000, id="soak", marks=pytest.mark.soak)])
async def test_pause_and_resume_ten_times(recipients, queue, mail):
    people = await people_with_consent(recipients)
    campaign = await approved_campaign(people)
    async with running(2, rate=recipients / 10, queue=queue) as workers:
        await asyncio.sleep(1.5)
        for _ in range(10):
            await sending.pause(campaign, "marketing@test.local", CLOCK)
            await asyncio.sleep(random.uniform(0.2, 0.8))
            await sending.resume(campaign, "marketing@test.local", CLOCK, queue=queue)
            await asyncio.sleep(random.uniform(0.3, 1.0))
        await until_finished(campaign, workers)
    counts = await check_outcome(campaign, people, mail, max_in_doubt=0)
    assert counts == {"sent": recipients}
    assert len(delivered(mail)) == recipients


@pytest.mark.parametrize(("recipients", "leaving"), [
    pytest.param(500, 25, id="ci"), pytest.param(2000, 100, id="soak", marks=pytest.mark.soak)])
async def test_no_mail_after_an_unsubscribe_committed(recipients, leaving, queue, mail):
    people = await people_with_consent(recipients)
    campaign = await approved_campaign(people)
    chosen = random.sample(people, leaving)
    committed: dict[str, datetime] = {}
    async with running(2, rate=recipients / 8, queue=queue) as workers:
        await asyncio.sleep(1.0)
        for person in chosen:
            token = preference_links.unsubscribe_url(person, PURPOSE, SCOPE).rsplit("/", 1)[1]
            await preference_links.unsubscribe(token, method="one_click", clock=CLOCK)
            # Returned, so committed: any mail received after this went out too late.
            committed[f"r{people.index(person) + 1}@example.com"] = datetime.now(UTC)
            await asyncio.sleep(random.uniform(0.0, 0.2))
        await until_finished(campaign, workers)
    by_address = delivered(mail)
    late = {to: [t for t in by_address.get(to, []) if t > at] for to, at in committed.items()}
    assert {to: times for to, times in late.items() if times} == {}
    reasons = await fetch("SELECT s.state, s.reason FROM marketing_sends s WHERE s.campaign = $1 "
                          "AND s.person = ANY($2::int[])", campaign, chosen)
    assert {(r["state"], r["reason"]) for r in reasons} <= {("sent", ""),
                                                          ("skipped", "unsubscribed")}
    assert any(r["reason"] == "unsubscribed" for r in reasons), "some left before their turn"
    await check_outcome(campaign, people, mail, max_in_doubt=0, may_skip=frozenset(committed))
