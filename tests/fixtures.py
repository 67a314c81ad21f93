"""Shared fixtures: database reset, clock, web client with CSRF like a browser, worker, mail."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest


@dataclass
class FrozenClock:
    current: datetime = field(default_factory=lambda: datetime(2026, 11, 2, 9, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


def _services_configured() -> bool:
    # False in the smoke run, which starts its own services through `talentloop run`.
    return os.environ.get("TALENTLOOP_TEST_SERVICES") == "1"


@pytest.fixture(scope="session", autouse=True)
async def db_pool():
    from domain.db import close_pool, start_pool

    if not _services_configured():
        yield
        return
    await start_pool(max_size=10)
    yield
    await close_pool()


@pytest.fixture(autouse=True)
async def clean_state(db_pool):
    """Each test starts from empty tables, an empty Redis database and an empty sink."""
    from redis.asyncio import Redis

    if not _services_configured():
        return
    from domain.bootstrap import ensure_reference_data
    from domain.db import execute
    from domain.piccolo_app import APP_CONFIG
    from domain.ports import SystemClock

    tables = ", ".join(table._meta.tablename for table in APP_CONFIG.table_classes)
    await execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    await ensure_reference_data(clock=SystemClock(), company_name="Acme")
    redis = Redis.from_url(os.environ["REDIS_URL"])
    await redis.flushdb()
    await redis.set("talentloop:test-run", str(os.getpid()), ex=6 * 3600)  # keep our claim
    await redis.aclose()
    mail_store().clear()


def mail_store():
    from runtime.mailstore import MailStore

    return MailStore(Path(os.environ["MAIL_SINK_DIR"]))


@pytest.fixture
def mail():
    return mail_store()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
async def queue():
    from workers.queue import ArqTaskQueue

    task_queue = await ArqTaskQueue.connect(os.environ["REDIS_URL"])
    yield task_queue
    await task_queue.close()


async def run_worker_burst() -> None:
    """Run every queued task to completion with the real arq worker and real Redis."""
    from arq.worker import Worker

    from workers.settings import WorkerSettings

    worker = Worker(
        functions=WorkerSettings.functions, redis_settings=WorkerSettings.redis_settings,
        on_startup=WorkerSettings.on_startup, on_shutdown=WorkerSettings.on_shutdown,
        burst=True, poll_delay=0.05, max_tries=WorkerSettings.max_tries, handle_signals=False,
    )
    try:
        await worker.main()
    finally:
        await worker.close()


@pytest.fixture
def worker_burst():
    return run_worker_burst


@pytest.fixture
async def community():
    from domain.db import fetch

    rows = await fetch(
        "INSERT INTO talent_communities (slug, name, description, is_public, interest_options, "
        "created_at) VALUES ('engineering', 'Engineering', 'Build things with us.', true, "
        "ARRAY['backend','frontend','infrastructure'], now()) RETURNING id, slug, name"
    )
    return rows[0]


CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


class Browser:
    """An httpx client that behaves like a browser for forms: it keeps cookies and sends
    the CSRF token rendered in the form it is submitting."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.last_token = ""
        self.person_id: int | None = None

    async def get(self, url: str, **kwargs) -> httpx.Response:
        response = await self.client.get(url, **kwargs)
        match = CSRF_FIELD.search(response.text)
        if match:
            self.last_token = match.group(1)
        return response

    async def submit(self, url: str, data: dict | list, *, csrf: bool = True,
                     **kwargs) -> httpx.Response:
        items = list(data.items()) if isinstance(data, dict) else list(data)
        if csrf:
            items.append(("_csrf_token", self.last_token))
        form: dict[str, list[str]] = {}
        for key, value in items:
            form.setdefault(key, []).append(value)
        return await self.client.post(url, data=form, **kwargs)


@pytest.fixture
async def app():
    from asgi import create_app
    from settings import get_settings

    application = create_app(get_settings())
    async with running(application):
        yield application


@contextlib.asynccontextmanager
async def running(application):
    """Run an app's lifespan for a fixture. Entered and left in one task of its own: anyio
    refuses to exit a cancel scope from another task, and pytest-asyncio may run fixture
    setup and teardown in different ones."""
    ready, done = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with application.lifespan():
            ready.set()
            await done.wait()

    holder = asyncio.create_task(hold())
    await ready.wait()
    try:
        yield application
    finally:
        done.set()
        await holder


@pytest.fixture
async def browser(app):
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Browser(client)


@pytest.fixture
async def staff_user(clock):
    from domain.accounts import service as accounts

    return await accounts.create_user(
        email="recruiter@test.local", full_name="Riley Recruiter", roles=["recruiter"],
        password="a-long-test-password", clock=clock,
    )


@pytest.fixture
async def signed_in(browser, staff_user):
    await browser.get("/backoffice/login")
    response = await browser.submit(
        "/backoffice/login", {"email": "recruiter@test.local", "password": "a-long-test-password"}
    )
    assert response.status_code == 303, response.text
    return browser


async def sign_in_candidate(browser: Browser, email: str, clock=None) -> int:
    """Sign a person in through the real magic-link pages; returns their person id."""
    from domain.identity.service import person_subject
    from domain.people import service as people
    from domain.ports import SystemClock
    from domain.tokens import service as tokens
    from domain.tokens.signer import Purpose

    clock = clock or SystemClock()
    person = await people.find_or_create(email=email, full_name="Cam Candidate", source="test",
                                         now=clock.now())
    token = await tokens.issue(purpose=Purpose.MAGIC_LINK,
                               subject=person_subject(person["id"]), clock=clock)
    await browser.get(f"/account/magic/{token}")
    response = await browser.submit(f"/account/magic/{token}", {})
    assert response.status_code == 303, response.text
    return person["id"]


@pytest.fixture
async def candidate(browser):
    """A Browser signed in to the portal as cand@example.com (`.person_id` set)."""
    browser.person_id = await sign_in_candidate(browser, "cand@example.com")
    return browser
