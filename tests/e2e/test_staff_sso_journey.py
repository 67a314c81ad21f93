"""Staff single sign-on in Chromium against a real OIDC provider process (oidc-provider-mock):
a hiring manager and an event host are provisioned on first sign-in with roles mapped from
their IdP groups, and the back office then shows only what each role may use."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.async_api import Page, Route, expect

from tests import oidc_support as support
from tests.e2e.conftest import LiveServer, launch_live_server

pytestmark = pytest.mark.e2e
HANA = {"email": "hana@example.com", "email_verified": True, "name": "Hana Manager",
        "groups": ["hiring"], "amr": ["pwd", "otp"]}


@pytest.fixture(scope="module")
def idp() -> Iterator[str]:
    with support.mock_provider() as url:
        yield url


@pytest.fixture(scope="module")
def live_server(tmp_path_factory, private_redis: str, idp: str) -> Iterator[LiveServer]:
    """This module's own server, with staff SSO pointed at the mock provider."""
    env = {"STAFF_OIDC_ISSUER": idp, "STAFF_OIDC_CLIENT_ID": support.CLIENT_ID,
           "STAFF_OIDC_CLIENT_SECRET": support.CLIENT_SECRET, "STAFF_OIDC_NAME": "Acme Okta"}
    with launch_live_server(tmp_path_factory, private_redis, env) as server:
        yield server


@pytest.fixture
async def sso_policy() -> None:
    from domain.db import fetch

    await fetch(
        "INSERT INTO sso_settings (id, jit_provisioning, default_role, allowed_domains, "
        "group_roles, mfa_required_roles) VALUES (1, true, 'event_host', ARRAY['example.com'], "
        "$1::jsonb, ARRAY['hiring_manager'])",
        json.dumps({"hiring": ["hiring_manager"], "events": ["event_host"]}))


async def _offline_stylesheet(route: Route) -> None:
    # The mock's page links a CDN stylesheet; there is no network here.
    await route.fulfill(status=200, content_type="text/css", body="")


async def sign_in_with_sso(page: Page, base_url: str, sub: str) -> None:
    await page.route(re.compile(r"^https://cdn\.jsdelivr\.net/"), _offline_stylesheet)
    await page.goto(f"{base_url}/backoffice/login")
    await page.get_by_role("link", name="Sign in with Acme Okta").click()
    await expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    await page.get_by_placeholder("sub").fill(sub)
    await page.get_by_role("button", name="Authorize").click()


async def test_a_hiring_manager_signs_in_with_sso_and_sees_only_their_pages(
        page, live_server, idp, sso_policy):
    async with httpx.AsyncClient() as provider:
        assert (await provider.put(f"{idp}/users/hana", json=HANA)).status_code == 204
    await sign_in_with_sso(page, live_server.base_url, "hana")
    await expect(page).to_have_url(re.compile(r"/backoffice/"))
    nav = page.get_by_role("navigation", name="Main")
    await expect(nav.get_by_role("link", name="Requisitions")).to_be_visible()
    for hidden in ("Candidates", "Pools", "Events", "Mail outbox", "Staff", "Audit log",
                   "Single sign-on", "Privacy"):
        await expect(nav.get_by_role("link", name=hidden)).to_have_count(0)
    await expect(page.get_by_role("button", name="Sign out Hana Manager")).to_be_visible()
    await nav.get_by_role("link", name="Requisitions").click()
    await expect(page.get_by_role("heading", name="Requisitions", level=1)).to_be_visible()
    # A page outside the role is refused, not shown.
    refused = await page.goto(f"{live_server.base_url}/backoffice/candidates")
    assert refused is not None and refused.status == 403


async def test_an_event_host_signs_in_with_sso_and_sees_only_events(
        page, live_server, idp, sso_policy):
    async with httpx.AsyncClient() as provider:
        claims = {"email": "eve@example.com", "email_verified": True, "name": "Eve Host",
                  "groups": ["events"]}  # event hosts need no MFA in this policy
        assert (await provider.put(f"{idp}/users/eve", json=claims)).status_code == 204
    await sign_in_with_sso(page, live_server.base_url, "eve")
    await expect(page).to_have_url(re.compile(r"/backoffice/events"))
    nav = page.get_by_role("navigation", name="Main")
    await expect(nav.get_by_role("link", name="Events")).to_be_visible()
    for hidden in ("Candidates", "Requisitions", "Pools", "Staff", "Single sign-on"):
        await expect(nav.get_by_role("link", name=hidden)).to_have_count(0)


async def test_sso_without_the_required_mfa_is_refused_with_a_clear_page(
        page, live_server, idp, sso_policy):
    async with httpx.AsyncClient() as provider:
        claims = {**HANA, "email": "hugo@example.com", "amr": ["pwd"]}
        assert (await provider.put(f"{idp}/users/hugo", json=claims)).status_code == 204
    await sign_in_with_sso(page, live_server.base_url, "hugo")
    await expect(page.get_by_role("heading", name="Multi-factor sign-in is required")
                 ).to_be_visible()
    await page.get_by_role("link", name="Back to sign-in").click()
    await expect(page.get_by_role("link", name="Sign in with Acme Okta")).to_be_visible()
