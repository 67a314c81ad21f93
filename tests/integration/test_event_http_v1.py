"""V1 and V3 over HTTP (QUALITY.md 2.8): the real server with two worker processes, hundreds
of guests registering at once, then cancellations through the signed manage links.

`talentloop web --workers 2` runs as a child process against the test database and Redis
database tests/conftest.py set up. Registration is rate limited per socket peer (20 POSTs
a minute, no bypass), so guests come from many loopback addresses (127.x.y.z), each a
different peer, a few guests per address. A thread samples the event row and its seat
count every few milliseconds while requests are in flight: no snapshot may ever show more
seats than the capacity. Five seeds run in CI; `make soak` runs twenty more.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest

from domain.db import fetch, fetchval
from domain.events import links, rules
from tests.events_support import create_event

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
CAPACITY = 100
GUESTS = 500
CANCELLATIONS = 50
GUESTS_PER_ADDRESS = 10  # well under the 20 POSTs a minute allowed per peer
POST_SPREAD_SECONDS = 0.5  # the seed's jitter: when each guest submits after the barrier
SAMPLE_SECONDS = 0.003
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')
CI_SEEDS = list(range(5))
SOAK_SEEDS = list(range(100, 120))
# httpx builds an SSL context per transport (~18 ms of CPU each) unless given one; the
# server is plain http, so one shared context only saves that time.
_TLS = ssl.create_default_context()


# -- the server ---------------------------------------------------------------------------


@dataclass
class WebServer:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, size: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-size:]


def _wait_healthy(server: WebServer, timeout: float = 60.0) -> None:
    """Both workers have to be up: the parent listens before its workers can answer.
    (/healthz would say 503 here: it also wants a background worker, which V1 needs not.)"""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"talentloop web exited:\n{server.log_tail()}")
        try:
            if httpx.get(f"{server.base_url}/events", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"talentloop web not healthy after {timeout:g} s:\n{server.log_tail()}")


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory):
    from runtime.ports import find_free_port

    port = find_free_port(HOST)
    base_url = f"http://{HOST}:{port}"
    # The deployed page cache is on (the test default turns it off for in-process tests).
    env = {**os.environ, "HOST": HOST, "PORT": str(port), "BASE_URL": base_url,
           "LOG_LEVEL": "WARNING", "PAGE_CACHE_SECONDS": "2", "PYTHONUNBUFFERED": "1"}
    log_path = tmp_path_factory.mktemp("v1-web") / "web.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "cli.py", "web", "--workers", "2"],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = WebServer(base_url, process, log_path)
    try:
        _wait_healthy(server)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


# -- the sampler --------------------------------------------------------------------------


@dataclass
class SeatSampler:
    """Polls (taken, capacity, seats counted) on its own connection and thread, so the
    sampling rate does not depend on how busy the test's event loop is."""

    event_id: int
    samples: list[tuple[int, int, int]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None

    async def _poll(self) -> None:
        conn = await asyncpg.connect(os.environ["DATABASE_URL"])
        try:
            while not self.stop.is_set():
                row = await conn.fetchrow(
                    "SELECT e.taken, e.capacity, (SELECT count(*) FROM event_registrations r "
                    "WHERE r.event = e.id AND r.status = ANY($2::varchar[])) AS seats "
                    "FROM events e WHERE e.id = $1", self.event_id, list(rules.SEAT_STATUSES))
                self.samples.append((row["taken"], row["capacity"], row["seats"]))
                await asyncio.sleep(SAMPLE_SECONDS)
        finally:
            await conn.close()

    def _run(self) -> None:
        try:
            asyncio.run(self._poll())
        except BaseException as exc:  # surfaced by the test, not lost in the thread
            self.error = exc

    def __enter__(self) -> SeatSampler:
        self.thread = threading.Thread(target=self._run, name="seat-sampler", daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)

    def assert_never_overbooked(self, minimum_samples: int) -> None:
        assert self.error is None, f"sampler failed: {self.error!r}"
        assert len(self.samples) >= minimum_samples, f"only {len(self.samples)} samples"
        over = [s for s in self.samples if s[0] > s[1] or s[2] > s[1]]
        assert not over, f"overbooked snapshots (taken, capacity, seats): {over[:5]}"
        # One statement sees one snapshot, and every seat change commits with its row.
        drift = [s for s in self.samples if s[0] != s[2]]
        assert not drift, f"taken differs from the seats held: {drift[:5]}"


# -- clients --------------------------------------------------------------------------------


def loopback_address(seed: int, index: int) -> str:
    """A distinct 127/8 address per group of guests, and per seed, so no two runs share a
    peer's rate-limit window."""
    group = index // GUESTS_PER_ADDRESS
    return f"127.{10 + seed % 240}.{group // 250}.{group % 250 + 2}"


@dataclass
class Visit:
    """One person's browser: its own cookies, from its own source address."""

    address: str
    base_url: str
    statuses: list[int] = field(default_factory=list)
    sent_at: float = 0.0
    answered_at: float = 0.0

    def client(self) -> httpx.AsyncClient:
        transport = httpx.AsyncHTTPTransport(local_address=self.address, verify=_TLS)
        return httpx.AsyncClient(transport=transport, base_url=self.base_url, timeout=60)

    async def form_token(self, client: httpx.AsyncClient, path: str) -> str:
        page = await client.get(path)
        self.statuses.append(page.status_code)
        match = CSRF_FIELD.search(page.text)
        assert match, f"no CSRF field on {path} ({page.status_code})"
        return match.group(1)

    async def post(self, client: httpx.AsyncClient, path: str, data: dict[str, str]) -> None:
        self.sent_at = time.monotonic()
        answer = await client.post(path, data=data)
        self.answered_at = time.monotonic()
        self.statuses.append(answer.status_code)


async def _submit_all(visits: list[Visit], paths: list[tuple[str, str]],
                      forms: list[dict[str, str]], delays: list[float]) -> None:
    """Every visitor opens the form page, all wait at a barrier, then each submits after its
    jitter: the POSTs are in flight together, the way a spike arrives."""
    barrier = asyncio.Barrier(len(visits))

    async def one(visit: Visit, page: str, action: str, form: dict[str, str],
                  delay: float) -> None:
        async with visit.client() as client:
            token = await visit.form_token(client, page)
            await barrier.wait()
            await asyncio.sleep(delay)
            await visit.post(client, action, {**form, "_csrf_token": token})

    await asyncio.gather(*(one(v, page, action, form, delay) for v, (page, action), form, delay
                           in zip(visits, paths, forms, delays, strict=True)))


def assert_no_errors(visits: list[Visit], server: WebServer) -> None:
    seen = sorted({status for v in visits for status in v.statuses})
    assert seen == [200, 303], f"statuses {seen}\n{server.log_tail()}"


# -- the checks ---------------------------------------------------------------------------


async def _registrations(event_id: int) -> list[dict]:
    return await fetch(
        "SELECT r.id, r.status, r.position, r.person, p.email FROM event_registrations r "
        "JOIN people p ON p.id = r.person WHERE r.event = $1 ORDER BY r.position", event_id)


def assert_arrival_order(waitlisted: list[dict], by_email: dict[str, Visit]) -> None:
    """A place in the queue is taken when the row is inserted: whoever got their answer
    before another person even sent the form must be ahead of them.

    Not "positions increase with registration ids": the id and the position come from two
    sequences, and concurrent inserts can draw them interleaved (seen in 3 of 25 runs).
    created_at is the web process's clock before the transaction, not the insert order."""
    timings = [by_email[row["email"]] for row in waitlisted]  # in position order
    earliest_answer_behind = float("inf")
    for visit in reversed(timings):
        assert visit.sent_at <= earliest_answer_behind, \
            "someone answered before this guest sent the form is behind them in the queue"
        earliest_answer_behind = min(earliest_answer_behind, visit.answered_at)


async def _spike(server: WebServer, seed: int, slug: str) -> dict[str, Visit]:
    rng = random.Random(seed)
    emails = [f"guest-{seed}-{rng.getrandbits(40):010x}-{n}@example.com" for n in range(GUESTS)]
    rng.shuffle(emails)
    visits = [Visit(loopback_address(seed, n), server.base_url) for n in range(GUESTS)]
    paths = [(f"/events/{slug}", f"/events/{slug}/register")] * GUESTS
    forms = [{"full_name": f"Guest {n}", "email": email} for n, email in enumerate(emails)]
    delays = [rng.uniform(0, POST_SPREAD_SECONDS) for _ in range(GUESTS)]
    await _submit_all(visits, paths, forms, delays)
    assert_no_errors(visits, server)
    return dict(zip(emails, visits, strict=True))


async def _cancel_seats(server: WebServer, seed: int, registrations: list[dict]) -> None:
    rng = random.Random(seed + 1_000_000)
    seated = rng.sample([r for r in registrations if r["status"] == "registered"],
                        CANCELLATIONS)
    visits = [Visit(loopback_address(seed, GUESTS + n), server.base_url)
              for n in range(CANCELLATIONS)]
    tokens = [links.registration_token(row["id"]) for row in seated]
    paths = [(f"/events/registrations/{t}", f"/events/registrations/{t}/cancel") for t in tokens]
    delays = [rng.uniform(0, POST_SPREAD_SECONDS) for _ in seated]
    await _submit_all(visits, paths, [{}] * CANCELLATIONS, delays)
    assert_no_errors(visits, server)


async def _offers_per_person(slug: str) -> list[int]:
    rows = await fetch("SELECT person, count(*) AS n FROM engagement_events "
                       "WHERE type = 'event_offered' AND payload->>'event' = $1 "
                       "GROUP BY person", slug)
    return [row["n"] for row in rows]


async def run_v1(server: WebServer, seed: int) -> None:
    slug = f"v1-{seed}"
    starts = datetime.now(UTC) + timedelta(days=7)
    event = await create_event(slug, capacity=CAPACITY, starts_at=starts)

    with SeatSampler(event["id"]) as spike_sampler:
        began = time.monotonic()
        by_email = await _spike(server, seed, slug)
        spike_seconds = time.monotonic() - began
    spike_sampler.assert_never_overbooked(minimum_samples=20)
    rows = await _registrations(event["id"])
    assert sorted(row["email"] for row in rows) == sorted(by_email)  # one row per guest
    status = [row["status"] for row in rows]
    assert (status.count("registered"), status.count("waitlisted")) == (CAPACITY,
                                                                       GUESTS - CAPACITY)
    assert await fetchval("SELECT taken FROM events WHERE id = $1", event["id"]) == CAPACITY
    waitlisted = [row for row in rows if row["status"] == "waitlisted"]
    assert len({row["position"] for row in waitlisted}) == len(waitlisted)
    assert_arrival_order(waitlisted, by_email)

    with SeatSampler(event["id"]) as sampler:
        await _cancel_seats(server, seed, rows)
    sampler.assert_never_overbooked(minimum_samples=5)
    after = {row["id"]: row["status"] for row in await _registrations(event["id"])}
    offered = [row["id"] for row in rows if after[row["id"]] == "offered"]
    assert list(after.values()).count("cancelled") == CANCELLATIONS
    assert offered == [row["id"] for row in waitlisted[:CANCELLATIONS]]  # queue order
    assert await _offers_per_person(slug) == [1] * CANCELLATIONS  # nobody offered twice
    assert await fetchval("SELECT taken FROM events WHERE id = $1", event["id"]) == CAPACITY
    print(f"V1 seed {seed}: {GUESTS} guests (page + form) in {spike_seconds:.2f} s, "
          f"{len(spike_sampler.samples)} seat samples; {CANCELLATIONS} cancellations, "
          f"{len(sampler.samples)} samples")


@pytest.mark.parametrize("seed", CI_SEEDS)
async def test_registration_spike_over_http_never_overbooks(web_server, seed):
    await run_v1(web_server, seed)


@pytest.mark.soak
@pytest.mark.parametrize("seed", SOAK_SEEDS)
async def test_registration_spike_over_http_soak(web_server, seed):
    await run_v1(web_server, seed)
