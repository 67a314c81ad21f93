"""axe-core on every portal page (and the back office): no serious or critical violation.

The page list grows with the portal; a page that exists but is not listed here is a gap.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page

pytestmark = pytest.mark.e2e

axe = Axe()

ANONYMOUS_PAGES = [
    "/",
    "/communities/engineering",
    "/account/sign-in",
    "/confirm/not-a-real-token",
    "/account/magic/not-a-real-token",
    "/no/such/page",
    "/backoffice/login",
]
CANDIDATE_PAGES = ["/account"]
STAFF_PAGES = ["/backoffice/candidates", "/backoffice/mail"]


async def assert_accessible(page: Page, path: str) -> None:
    results = await axe.run(page)
    blocking = [v for v in results.response["violations"]
                if v.get("impact") in {"serious", "critical"}]
    details = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} — "
        + ", ".join(str(node.get("target")) for node in v["nodes"][:3])
        for v in blocking
    )
    assert not blocking, f"axe found serious/critical violations on {path}:\n{details}"


async def sign_in_candidate(page: Page, base_url: str) -> None:
    from domain.identity.service import person_subject
    from domain.people import service as people
    from domain.ports import SystemClock
    from domain.tokens import service as tokens
    from domain.tokens.signer import Purpose

    clock = SystemClock()
    person = await people.find_or_create(email="cand@example.com", full_name="Cam Candidate",
                                         source="test", now=clock.now())
    token = await tokens.issue(purpose=Purpose.MAGIC_LINK,
                               subject=person_subject(person["id"]), clock=clock)
    await page.goto(f"{base_url}/account/magic/{token}")
    await page.get_by_role("button", name="Sign me in").click()
    await page.wait_for_url(f"{base_url}/account")


async def test_anonymous_pages_are_accessible(pages, live_server, community):
    page = await pages.new()
    for path in ANONYMOUS_PAGES:
        await page.goto(live_server.url(path))
        await assert_accessible(page, path)


async def test_join_form_with_errors_is_accessible(page, live_server, community):
    await page.goto(live_server.url("/communities/engineering"))
    await page.get_by_role("button", name="Join Engineering").click()
    await page.wait_for_selector(".error-summary, [role=alert]")
    await assert_accessible(page, "/communities/engineering (with errors)")


async def test_signed_in_candidate_pages_are_accessible(page, live_server):
    await sign_in_candidate(page, live_server.base_url)
    for path in CANDIDATE_PAGES:
        await page.goto(live_server.url(path))
        await assert_accessible(page, path)


async def test_back_office_pages_are_accessible(page, live_server, recruiter, community):
    await page.goto(live_server.url("/backoffice/login"))
    await page.get_by_label("Email address").fill(recruiter.email)
    await page.get_by_label("Password").fill(recruiter.password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(live_server.url("/backoffice/candidates"))
    for path in STAFF_PAGES:
        await page.goto(live_server.url(path))
        await assert_accessible(page, path)
