"""The campaign journey, end to end against live web and worker processes: marketing writes
a template; a recruiter builds a campaign to a segment and submits it; a second person
approves it; it sends to the mail sink; the recipient clicks a tracked link and
unsubscribes with one click (RFC 8058); the report and the person's timeline show both.
Then a nurture sequence with a wait and a condition on the first email's open advances
when the clock is moved forward: the reader gets the second email, the other person
becomes a recruiter's call."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest
from playwright.async_api import Page, expect

from domain.db import fetchval
from domain.ports import SystemClock
from tests.e2e.test_accessibility import sign_in_staff
from tests.e2e.test_portal_journeys import headers_of
from tests.sequences_support import consenting, email, live_sequence

pytestmark = pytest.mark.e2e
MARKETER = ("mia@test.local", "a-long-marketing-password")
RECIPIENT = "rosa@example.com"
DESKTOP_AGENT = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                 "Chrome/120.0 Safari/537.36")


async def _until(check, *, within: float = 20.0, what: str = "") -> object:
    """Poll `check()` (the worker process does the work) until it returns a truthy value."""
    deadline = asyncio.get_running_loop().time() + within
    while not (found := await check()):
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"not within {within:g} s: {what}")
        await asyncio.sleep(0.25)
    return found


async def _world(recruiter) -> dict:
    from domain.accounts import service as accounts

    clock = SystemClock()
    await accounts.create_user(email=MARKETER[0], full_name="Mia Marketing",
                               roles=["marketing"], password=MARKETER[1], clock=clock)
    rosa = await consenting(RECIPIENT, clock, name="Rosa Reader")
    outsider = await consenting("olaf@example.com", clock, name="Olaf Outside")
    owner = await fetchval("SELECT id FROM staff_users WHERE email = $1", recruiter.email)
    await fetchval("INSERT INTO person_tags (person, tag, added_by, added_at) "
                   "VALUES ($1, 'spring-meetup', 'test', now()) RETURNING id", rosa)
    segment = await fetchval(
        "INSERT INTO segments (name, definition, visibility, owner, created_at, updated_at) "
        "VALUES ('Spring meetup people', $1::jsonb, 'shared', $2, now(), now()) "
        "RETURNING id", '{"match": "all", "conditions": [{"field": "tag", "op": "any", '
        '"value": ["spring-meetup"]}]}', owner)
    return {"rosa": rosa, "outsider": outsider, "segment": segment}


async def _write_template(page: Page, base_url: str) -> None:
    await sign_in_staff(page, base_url, *MARKETER)
    await page.goto(f"{base_url}/backoffice/campaigns/templates/new")
    await page.locator("#f-name").fill("Spring meetup")
    await page.locator("#f-purpose").select_option("community_emails")
    await page.locator("#f-subject").fill("Spring meetup, {{ first_name }}")
    await page.locator("#f-html_body").fill(
        f'<p>Hi {{{{ first_name }}}}, see <a href="{base_url}/jobs">our open roles</a>.</p>'
        '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a> · {{ postal_address }}</p>')
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_text("Template created.").first).to_be_visible()


async def _build_campaign(page: Page, base_url: str, segment: int) -> int:
    await page.goto(f"{base_url}/backoffice/campaigns/new")
    await page.locator("#f-name").fill("Spring meetup invite")
    template = await fetchval("SELECT id FROM marketing_templates WHERE name = 'Spring meetup'")
    await page.locator("#f-template").select_option(str(template))
    await page.locator("#f-consent_scope").select_option("engineering")
    await page.locator("#f-audience_kind").select_option("segment")
    await page.locator("#f-segment_id").select_option(str(segment))
    await page.locator("#f-send_mode").select_option("now")
    await page.get_by_role("button", name="Save").click()
    await page.wait_for_url(re.compile(r"/backoffice/campaigns/\d+(\?.*)?$"))
    campaign_id = int(re.search(r"/campaigns/(\d+)", page.url).group(1))
    await page.get_by_role("button", name="Submit for approval").click()
    await expect(page.get_by_text("submitted", exact=False).first).to_be_visible()
    return campaign_id


async def test_a_campaign_from_template_to_report_then_a_sequence_moves_on(
        pages, chromium, live_server, recruiter, community, wait_for_email, mail):
    base = live_server.base_url
    world = await _world(recruiter)
    marketing, staff = await pages.new(), await pages.new()

    # Marketing writes the template; the recruiter builds the campaign and submits it.
    await _write_template(marketing, base)
    await sign_in_staff(staff, base, recruiter.email, recruiter.password)
    campaign_id = await _build_campaign(staff, base, world["segment"])

    # Someone else approves it; the author sends it now; the worker delivers it.
    await marketing.goto(f"{base}/backoffice/campaigns/{campaign_id}/approve")
    await marketing.get_by_role("button", name="Approve revision 1").click()
    await staff.goto(f"{base}/backoffice/campaigns/{campaign_id}")
    await staff.get_by_role("button", name="Send now").click()
    received = (await wait_for_email(RECIPIENT, "Spring meetup", within=30))[0]
    assert not mail.find("olaf@example.com", "Spring meetup")  # not in the segment
    headers = headers_of(received)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # A click within seconds of the send is what link scanners do (flagged, not counted):
    # the reader takes a moment.
    sent_at = await fetchval("SELECT sent_at FROM marketing_sends WHERE campaign = $1",
                             campaign_id)
    await asyncio.sleep(max(0.0, 11 - (SystemClock().now() - sent_at).total_seconds()))

    # The recipient clicks the tracked link (it lands on our jobs page) …
    click = re.search(re.escape(base) + r"/c/[A-Za-z0-9_.\-]+", received.html_body or "")
    assert click, received.html_body
    # (a desktop browser's user agent: the headless one is what link scanners send).
    reader_context = await chromium.new_context(user_agent=DESKTOP_AGENT)
    reader = await reader_context.new_page()
    await reader.goto(click.group(0))
    await reader.wait_for_url(f"{base}/jobs")
    # … and unsubscribes with one click, as a mail client does from the header.
    unsubscribe = re.search(r"<(https?://[^>]+/u/[^>]+)>", headers["List-Unsubscribe"])
    assert unsubscribe, headers["List-Unsubscribe"]
    answer = await reader.request.post(unsubscribe.group(1),
                                       form={"List-Unsubscribe": "One-Click"})
    assert answer.status == 200
    assert await fetchval(
        "SELECT action FROM consent_records WHERE person = $1 ORDER BY id DESC LIMIT 1",
        world["rosa"]) == "withdrawn"
    await reader_context.close()

    # The report shows the click (once the tracking writer flushed it) and the unsubscribe.
    report = f"{base}/backoffice/campaigns/{campaign_id}/report"

    async def clicked() -> bool:
        await staff.goto(report)
        cell = staff.locator('[data-figure="clicked"]')
        return (await cell.inner_text()).strip().startswith("1")

    await _until(clicked, what="the report counts the click")
    for figure, value in (("recipients", "1"), ("sent", "1"), ("delivered", "1"),
                          ("unsubscribed", "1"), ("bounced", "0")):
        await expect(staff.locator(f'[data-figure="{figure}"] a')).to_have_text(
            re.compile(rf"^{value}\b"))
    await expect(staff.get_by_role("cell", name=f"{base}/jobs")).to_be_visible()
    await staff.locator('[data-figure="clicked"] a').click()
    await expect(staff.get_by_role("link", name="Rosa Reader")).to_be_visible()

    # The person's timeline has the click and the unsubscribe.
    await staff.goto(f"{base}/backoffice/candidates/{world['rosa']}")
    await expect(staff.get_by_text("Clicked a link in an email").first).to_be_visible()
    await expect(staff.get_by_text("Unsubscribed from emails").first).to_be_visible()

    await _nurture_moves_on_when_the_clock_moves(staff, live_server, recruiter,
                                                wait_for_email, mail)


async def _nurture_moves_on_when_the_clock_moves(staff: Page, live_server, recruiter,
                                                 wait_for_email, mail) -> None:
    """Welcome email → wait 3 days → opened it? → a second email, else a recruiter call.
    The scheduler runs here with the clock we move; the live worker sends the emails."""
    from domain.campaigns.dispatch import enqueue_sequence_batches
    from domain.sequences import enrolment, scheduler
    from workers.queue import ArqTaskQueue

    base, clock = live_server.base_url, SystemClock()
    steps = [email("welcome", "pause", subject="Welcome aboard"),
             {"key": "pause", "type": "wait", "amount": 3, "unit": "days", "window": "",
              "next": "check"},
             {"key": "check", "type": "condition", "test": "opened", "step": "welcome",
              "then": "more", "else": "call"},
             # A wait after the last email: the sender sends only while the enrolment is
             # active, and an `end` right after an email completes it in the same tick.
             email("more", "linger", subject="Three things members like"),
             {"key": "linger", "type": "wait", "amount": 1, "unit": "days", "window": "",
              "next": "done"},
             {"key": "call", "type": "task", "kind": "call", "title": "Call to say hello",
              "assignee": recruiter.email, "due_days": 1, "next": "done"},
             {"key": "done", "type": "end"}]
    sequence_id = await live_sequence(steps, clock, name="Welcome series")
    opener = await consenting("otto@example.com", clock, name="Otto Opener")
    quiet = await consenting("quinn@example.com", clock, name="Quinn Quiet")
    await enrolment.enrol(sequence_id, [opener, quiet], reason="manual", now=clock.now())
    queue = await ArqTaskQueue.connect(live_server.redis_url)
    try:
        await scheduler.tick(now=clock.now())  # the welcome email, then the 3-day wait
        await enqueue_sequence_batches(queue, now=clock.now())
        welcome = (await wait_for_email("otto@example.com", "Welcome aboard", within=30))[0]
        await wait_for_email("quinn@example.com", "Welcome aboard", within=30)
        pixel = re.search(re.escape(base) + r"/o/[A-Za-z0-9_.\-]+", welcome.html_body or "")
        assert pixel, welcome.html_body
        opened = await staff.request.get(pixel.group(0), headers={"User-Agent": DESKTOP_AGENT})
        assert opened.status == 200
        await _until(lambda: fetchval(
            "SELECT opened_at IS NOT NULL FROM marketing_sends WHERE person = $1 "
            "AND step_key = 'welcome'", opener), what="the open is recorded")

        # Nothing is due yet; three days later the condition sends each their own way.
        assert await scheduler.tick(now=clock.now() + timedelta(hours=1)) == 0
        later = clock.now() + timedelta(days=3, minutes=5)
        assert await scheduler.tick(now=later) > 0
        await enqueue_sequence_batches(queue, now=clock.now())
        await wait_for_email("otto@example.com", "Three things members like", within=30)
        assert await scheduler.tick(now=later + timedelta(days=1, minutes=5)) > 0
    finally:
        await queue.close()
    assert await fetchval("SELECT state FROM sequence_enrollments WHERE person = $1",
                          opener) == "completed"
    assert not mail.find("quinn@example.com", "Three things members like")

    await staff.goto(f"{base}/backoffice/sequences/{sequence_id}/report")
    await expect(staff.get_by_text("went to more: 1")).to_be_visible()
    await expect(staff.get_by_text("went to call: 1")).to_be_visible()
    await staff.goto(f"{base}/backoffice/tasks")
    await expect(staff.get_by_text("Call to say hello").first).to_be_visible()
    await expect(staff.get_by_text("Quinn Quiet").first).to_be_visible()
