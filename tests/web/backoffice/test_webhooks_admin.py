"""Webhook admin pages through HTTP like a browser: per-field errors, the SSRF check at
save time, send test with its result, rotate, enable/disable, the delivery log with its
filter and "retry now", CSRF, audit, and admins only."""

from __future__ import annotations

import re

import pytest

from domain.db import fetch
from tests.events_support import staff_browser
from tests.webhooks_support import Receiver

BASE = "/backoffice/integrations/webhooks"


@pytest.fixture
async def admin(app):
    browser = await staff_browser(app, "admin@test.local", ["admin"])
    yield browser
    await browser.client.aclose()


async def create(admin, url: str, *, types=("person.created",), private: bool = True):
    await admin.get(f"{BASE}/new")
    data = [("url", url), ("description", "HRIS"), *[("event_types", t) for t in types]]
    if private:
        data.append(("allow_private_network", "yes"))
    return await admin.submit(BASE, data)


async def subscription() -> dict:
    return (await fetch("SELECT * FROM webhook_subscriptions"))[0]


async def audit_actions() -> list[str]:
    return [row["action"] for row in await fetch(
        "SELECT action FROM audit_entries WHERE action LIKE 'webhook.%' ORDER BY id")]


async def test_non_admins_are_refused(app, admin):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    assert (await recruiter.get(BASE)).status_code == 403
    await recruiter.get("/backoffice/")
    response = await recruiter.submit(BASE, {"url": "https://hooks.example/in",
                                             "event_types": "person.created"})
    assert response.status_code == 403
    assert await fetch("SELECT id FROM webhook_subscriptions") == []
    await recruiter.client.aclose()


async def test_bad_fields_get_per_field_errors_and_nothing_is_saved(admin):
    response = await create(admin, "ftp://user:pw@hooks.example/in", types=())
    assert response.status_code == 422
    assert "Use an http:// or https:// URL." in response.text
    assert "Choose at least one event type." in response.text
    response = await create(admin, "https://user:pw@hooks.example/in")
    assert "must not contain a user name or password" in response.text
    assert await fetch("SELECT id FROM webhook_subscriptions") == []


async def test_private_addresses_are_refused_at_save_unless_allowed(admin):
    response = await create(admin, "http://127.0.0.1:9/hook", private=False)
    assert response.status_code == 422
    assert "This URL is refused" in response.text and "loopback" in response.text
    response = await create(admin, "http://169.254.169.254/latest", private=False)
    assert "link-local" in response.text
    response = await create(admin, "http://127.0.0.1:9/hook")
    assert response.status_code == 303
    row = await subscription()
    assert row["allow_private_network"] and row["event_types"] == ["person.created"]
    assert len(row["secret"]) >= 40
    assert await audit_actions() == ["webhook.created"]


async def test_send_test_shows_the_result_and_the_receiver_verifies_it(admin):
    with Receiver() as receiver:
        await create(admin, receiver.url)
        row = await subscription()
        receiver.secret = row["secret"]
        page = await admin.get(f"{BASE}/{row['id']}")
        assert row["secret"] in page.text
        response = await admin.submit(f"{BASE}/{row['id']}/test", {})
        assert response.status_code == 303
        page = await admin.get(response.headers["location"])
    assert "Test result" in page.text and "Delivered" in page.text and "HTTP 204" in page.text
    [body] = receiver.processed.values()
    assert body["type"] == "webhook.test"
    assert await audit_actions() == ["webhook.created", "webhook.test_sent"]


async def test_rotate_enable_disable_and_edit(admin):
    await create(admin, "http://127.0.0.1:9/hook")
    row = await subscription()
    await admin.get(f"{BASE}/{row['id']}")
    assert (await admin.submit(f"{BASE}/{row['id']}/rotate", {})).status_code == 303
    assert (await subscription())["secret"] != row["secret"]
    await admin.submit(f"{BASE}/{row['id']}/disable", {})
    assert not (await subscription())["active"]
    await admin.submit(f"{BASE}/{row['id']}/enable", {})
    assert (await subscription())["active"]
    await admin.get(f"{BASE}/{row['id']}/edit")
    response = await admin.submit(f"{BASE}/{row['id']}/edit", {
        "url": "http://127.0.0.1:9/other", "event_types": "consent.changed"})
    assert response.status_code == 422 and "loopback" in response.text  # not allowed now
    response = await admin.submit(f"{BASE}/{row['id']}/edit", [
        ("url", "http://127.0.0.1:9/other"), ("event_types", "consent.changed"),
        ("allow_private_network", "yes")])
    assert response.status_code == 303
    assert (await subscription())["event_types"] == ["consent.changed"]
    assert await audit_actions() == ["webhook.created", "webhook.secret_rotated",
                                     "webhook.disabled", "webhook.enabled", "webhook.updated"]
    listing = await admin.get(BASE)
    assert "http://127.0.0.1:9/other" in listing.text


async def test_delivery_log_filter_and_retry_now(admin):
    with Receiver(fail_first=1) as receiver:
        await create(admin, receiver.url)
        row = await subscription()
        receiver.secret = row["secret"]
        await admin.get(f"{BASE}/{row['id']}")
        await admin.submit(f"{BASE}/{row['id']}/test", {})
        log = await admin.get(f"{BASE}/{row['id']}/deliveries?status=failed")
        assert "webhook.test" in log.text and "HTTP 500" in log.text
        action = re.search(r'action="([^"]+/retry)"', log.text).group(1)
        response = await admin.submit(action, {})
        assert response.status_code == 303
        page = await admin.get(response.headers["location"])
    assert "Retried delivery" in page.text and "Delivered" in page.text
    assert "Retry now" not in (await admin.get(
        f"{BASE}/{row['id']}/deliveries?status=delivered")).text
    assert "No deliveries" in (await admin.get(
        f"{BASE}/{row['id']}/deliveries?status=gave_up")).text
    assert len(receiver.processed) == 1


async def test_posts_need_the_csrf_token(admin):
    await create(admin, "http://127.0.0.1:9/hook")
    row = await subscription()
    response = await admin.submit(f"{BASE}/{row['id']}/rotate", {}, csrf=False)
    assert response.status_code == 403
    assert (await subscription())["secret"] == row["secret"]
