"""Browser journeys against a real server.

`talentloop web` and `talentloop worker` run as child processes on a free port, against the
test database and mail sink that tests/conftest.py set up and a Redis server of their own
(see `private_redis`); Chromium drives them through Playwright's async API (the suite runs
on pytest-asyncio's session loop). Run them in their own process: `pytest -m e2e tests/e2e`.

Every page a test opens is watched: a JavaScript console error, an uncaught exception, a
dialog, a failed request or a 5xx response fails the test at teardown.
The `community` fixture (tests/fixtures.py) provides the Engineering community.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Page,
    Request,
    Response,
    async_playwright,
    expect,
)

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 900}
MAIL_TIMEOUT = 15.0

# Auto-waiting assertions give up after this long; the server is local, so a page that
# takes longer is a failure worth seeing rather than a reason to wait.
expect.set_options(timeout=10_000)


# -- live server ------------------------------------------------------------------------


@dataclass
class LiveServer:
    base_url: str
    redis_url: str
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    log_files: dict[str, Path] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base_url + path

    def output(self, tail: int = 4000) -> str:
        parts = []
        for name, path in self.log_files.items():
            text = path.read_text(errors="replace") if path.exists() else ""
            code = self.processes[name].poll()
            state = "running" if code is None else f"exited with {code}"
            parts.append(f"--- talentloop {name} ({state}) ---\n{text[-tail:]}")
        return "\n".join(parts)


def _start(command: str, env: dict[str, str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "cli.py", command], cwd=ROOT, env=env, stdout=log,
        stderr=subprocess.STDOUT,
    )


def _stop(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes.values():
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="session")
def private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis server of this run's own for the web and worker processes.

    tests/conftest.py gives every pytest run Redis database 13 of one shared server and
    flushes it before each test, so a second test run on the same machine (another
    checkout, another engineer) wipes this run's sessions and queued jobs mid-journey:
    the recruiter is signed out between two clicks. The database and the mail sink are
    already private to the run; this makes Redis private too.
    """
    from runtime.redis import EmbeddedRedis

    redis = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    redis.start()
    yield redis.url
    redis.stop()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory, private_redis: str
                ) -> Iterator[LiveServer]:
    with launch_live_server(tmp_path_factory, private_redis) as server:
        yield server


@contextlib.contextmanager
def launch_live_server(tmp_path_factory: pytest.TempPathFactory, redis_url: str,
                       extra_env: dict[str, str] | None = None) -> Iterator[LiveServer]:
    """Web and worker processes on a free port; `extra_env` configures them further (a
    module that needs, say, staff SSO overrides `live_server` with its own)."""
    from runtime.ports import find_free_port, wait_for_port

    port = find_free_port(HOST)
    server = LiveServer(base_url=f"http://{HOST}:{port}", redis_url=redis_url)
    # The web process puts BASE_URL into the links it emails: it must be this server.
    env = {**os.environ, "BASE_URL": server.base_url, "HOST": HOST, "PORT": str(port),
           "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1",
           **(extra_env or {})}
    log_dir = tmp_path_factory.mktemp("live-server")
    logs: list[IO[bytes]] = []
    try:
        for name in ("web", "worker"):
            server.log_files[name] = log_dir / f"{name}.log"
            logs.append(server.log_files[name].open("wb"))
            server.processes[name] = _start(name, env, logs[-1])
        wait_for_port(HOST, port, timeout=30, process=server.processes["web"],
                      name="talentloop web")
        if server.processes["worker"].poll() is not None:
            raise RuntimeError("talentloop worker exited during startup")
    except Exception:
        _stop(server.processes)
        print(server.output(), file=sys.stderr)
        raise
    yield server
    _stop(server.processes)
    for log in logs:
        log.close()


@pytest.fixture(autouse=True)
async def clean_live_redis(live_server: LiveServer) -> None:
    """What clean_state does for the shared Redis database, for the private one:
    no sessions, rate-limit counters or queued jobs carry over from the last test."""
    from redis.asyncio import Redis

    redis = Redis.from_url(live_server.redis_url)
    await redis.flushdb()
    await redis.aclose()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Attach the server's output to failed e2e tests: most failures are explained there."""
    report = yield
    server = getattr(item, "funcargs", {}).get("live_server")
    if report.failed and isinstance(server, LiveServer):
        report.sections.append(("live server output", server.output()))
    return report


# -- browser ----------------------------------------------------------------------------


def _chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail("No Chromium found: install Debian's chromium or set CHROMIUM=/path")
    return path


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=_chromium_path(), args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


HTMX = ROOT / "static" / "vendor" / "htmx.min.js"


@pytest.fixture(scope="session", autouse=True)
def vendored_assets_installed() -> None:
    # The pages load htmx from static/vendor (installed by `make assets`, git-ignored).
    if not HTMX.exists():
        pytest.fail("static/vendor/htmx.min.js is missing: run `make assets` (make test does)")


@dataclass
class PageProblems:
    """What went wrong in a page, besides what the test itself checks."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    _console_urls: list[str] = field(default_factory=list, repr=False)
    _refused_documents: set[str] = field(default_factory=set, repr=False)

    def watch(self, page: Page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)
        page.on("dialog", self._on_dialog)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(f"{message.text} ({message.location.get('url')})")
            self._console_urls.append(message.location.get("url") or "")

    def _on_request_failed(self, request: Request) -> None:
        failure = request.failure or ""
        # A navigation replaces the page while its favicon or a script is still loading.
        if "ERR_ABORTED" not in failure:
            self.failed_requests.append(f"{request.method} {request.url}: {failure}")

    def _on_response(self, response: Response) -> None:
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.url}")
        elif response.status >= 400 and response.request.is_navigation_request():
            self._refused_documents.add(response.url)

    async def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        await dialog.dismiss()

    def unexpected_console_errors(self) -> list[str]:
        # Chromium logs "Failed to load resource" for a page served with a 4xx status,
        # which is how a form comes back with its errors (422): the test checks such
        # pages itself; every other console error counts.
        return [
            text for text, url in zip(self.console_errors, self._console_urls, strict=True)
            if not (text.startswith("Failed to load resource") and url in self._refused_documents)
        ]

    def report(self) -> str:
        found = {
            "console errors": self.unexpected_console_errors(),
            "uncaught exceptions": self.page_errors,
            "failed requests": self.failed_requests,
            "server errors": self.server_errors,
            "dialogs": self.dialogs,
        }
        return "\n".join(f"{name}: {values}" for name, values in found.items() if values)


@dataclass
class Pages:
    """Opens watched pages, each in a fresh browser context (no shared cookies)."""

    browser: Browser
    base_url: str
    opened: list[tuple[BrowserContext, PageProblems]] = field(default_factory=list)

    async def new(self, viewport: dict[str, int] | None = None) -> Page:
        context = await self.browser.new_context(
            base_url=self.base_url, viewport=viewport or DESKTOP, locale="en-GB",
        )
        problems = PageProblems()
        self.opened.append((context, problems))
        context.set_default_timeout(10_000)
        page = await context.new_page()
        problems.watch(page)
        return page

    def problems(self, page: Page) -> PageProblems:
        return next(p for context, p in self.opened if page.context is context)

    async def close(self) -> str:
        reports = [problems.report() for _context, problems in self.opened]
        for context, _problems in self.opened:
            await context.close()
        return "\n".join(report for report in reports if report)


@pytest.fixture
async def pages(chromium: Browser, live_server: LiveServer) -> AsyncIterator[Pages]:
    opener = Pages(chromium, live_server.base_url)
    yield opener
    problems = await opener.close()
    if problems:
        pytest.fail(f"the browser saw problems:\n{problems}", pytrace=False)


@pytest.fixture
async def page(pages: Pages) -> Page:
    return await pages.new()


# -- data and mail ----------------------------------------------------------------------


@dataclass(frozen=True)
class StaffLogin:
    email: str
    password: str
    full_name: str


@pytest.fixture
async def recruiter() -> StaffLogin:
    from domain.accounts import service as accounts
    from domain.ports import SystemClock

    login = StaffLogin("recruiter@test.local", "a-long-test-password", "Riley Recruiter")
    await accounts.create_user(email=login.email, full_name=login.full_name,
                               roles=["recruiter"], password=login.password,
                               clock=SystemClock())
    return login


@pytest.fixture
async def consent_text() -> str:
    """The wording the join form shows next to its consent box (the box's label)."""
    from domain.consent import service as consent
    from domain.consent.rules import COMMUNITY_EMAILS

    return str((await consent.current_text(COMMUNITY_EMAILS))["body"])


WaitForEmail = Callable[..., Awaitable[list]]


@pytest.fixture
def wait_for_email(mail, live_server: LiveServer) -> WaitForEmail:
    """Poll the sink until `count` messages for `to` arrived: the worker process sends
    them, so there is nothing to await but the Maildir."""

    async def wait(to: str, subject_contains: str | None = None, *, count: int = 1,
                   within: float = MAIL_TIMEOUT) -> list:
        deadline = asyncio.get_running_loop().time() + within
        while True:
            found = mail.find(to=to, subject_contains=subject_contains)
            if len(found) >= count:
                return found
            if asyncio.get_running_loop().time() > deadline:
                pytest.fail(f"{count} email(s) to {to} ({subject_contains!r}) did not reach "
                            f"the mail sink within {within:g} s; it has {len(found)}")
            await asyncio.sleep(0.1)

    return wait


def confirm_link(text_body: str, base_url: str) -> str:
    match = re.search(re.escape(base_url) + r"/confirm/[A-Za-z0-9_.\-]+", text_body or "")
    assert match, f"no {base_url}/confirm/… link in the email:\n{text_body}"
    return match.group(0)


@pytest.fixture
def confirm_url(live_server: LiveServer) -> Callable[[str], str]:
    return lambda text_body: confirm_link(text_body, live_server.base_url)
