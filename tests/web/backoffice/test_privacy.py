"""Privacy requests and legal holds in the back office (admins only)."""

from datetime import UTC, datetime

import pytest

from domain.db import fetch, fetchval
from domain.privacy import service as privacy
from tests.fixtures import FrozenClock
from tests.integration.test_privacy import populate

PAGE = "/backoffice/privacy/requests"


@pytest.fixture
async def admin(browser, clock):
    from domain.accounts import service as accounts

    await accounts.create_user(email="admin@test.local", full_name="Ada Admin", roles=["admin"],
                               password="a-long-admin-password", clock=clock)
    await browser.get("/backoffice/login")
    response = await browser.submit(
        "/backoffice/login", {"email": "admin@test.local", "password": "a-long-admin-password"})
    assert response.status_code == 303
    return browser


async def test_admin_sees_requests_with_due_dates_and_overdue_ones_flagged(admin, community):
    # Received 2 Jan 2026, due 2 Feb 2026: long overdue by the real clock.
    late_clock = FrozenClock(datetime(2026, 1, 2, tzinfo=UTC))
    ann = await populate("ann@example.com", "ann", community, late_clock)
    await privacy.request_export(person_id=ann, clock=late_clock, queue=None)
    page = await admin.get(PAGE)
    assert page.status_code == 200
    assert "ann@example.com" in page.text and "Export" in page.text
    assert "2 Feb 2026" in page.text  # due one calendar month after receipt
    assert "Overdue" in page.text
    assert 'href="/backoffice/privacy/requests"' in page.text  # nav link for admins


async def test_recruiters_get_403_and_no_nav_link(signed_in):
    assert (await signed_in.get(PAGE)).status_code == 403
    candidates = await signed_in.get("/backoffice/candidates")
    assert "/backoffice/privacy" not in candidates.text
    response = await signed_in.submit("/backoffice/privacy/holds",
                                      {"person": "1", "reason": "x"})
    assert response.status_code == 403
    assert await fetchval("SELECT count(*) FROM legal_holds") == 0


async def test_placing_a_hold_needs_a_person_and_a_reason(admin):
    await admin.get(PAGE)
    response = await admin.submit("/backoffice/privacy/holds",
                                  {"person": "ghost@example.com", "reason": ""})
    assert response.status_code == 422
    assert "No candidate has that id or email address." in response.text
    assert await fetchval("SELECT count(*) FROM legal_holds") == 0


async def test_a_hold_placed_here_blocks_the_purge_until_released(admin, community, clock):
    ann = await populate("ann@example.com", "ann", community, clock)
    await admin.get(PAGE)
    response = await admin.submit("/backoffice/privacy/holds",
                                  {"person": "ann@example.com", "reason": "EEOC charge 42"})
    assert response.status_code == 303
    page = await admin.get(response.headers["location"])
    assert "Legal hold placed." in page.text and "EEOC charge 42" in page.text

    await privacy.erase_account(person_id=ann, clock=clock, queue=None)
    clock.advance(days=3 * 365)
    assert await privacy.purge_retained(clock=clock) == 0
    assert await fetchval("SELECT email FROM people WHERE id = $1", ann) == f"erased-{ann}@invalid"

    hold_id = await fetchval("SELECT id FROM legal_holds")
    await admin.get(PAGE)
    released = await admin.submit("/backoffice/privacy/holds/release", {"hold_id": str(hold_id)})
    assert released.status_code == 303
    assert await privacy.purge_retained(clock=clock) == 1
    assert await fetchval("SELECT count(*) FROM people") == 0
    audit = await fetch("SELECT action, actor FROM audit_entries WHERE action LIKE 'privacy.%' "
                        "ORDER BY id")
    assert audit == [{"action": "privacy.legal_hold_placed", "actor": "admin@test.local"},
                     {"action": "privacy.legal_hold_released", "actor": "admin@test.local"}]


async def test_releasing_twice_is_not_found(admin, community, clock):
    ann = await populate("ann@example.com", "ann", community, clock)
    hold_id = await privacy.place_legal_hold(person_ref=str(ann), reason="Charge",
                                             staff_email="admin@test.local", ip="",
                                             clock=clock)
    await admin.get(PAGE)
    form = {"hold_id": str(hold_id)}
    first = await admin.submit("/backoffice/privacy/holds/release", form)
    second = await admin.submit("/backoffice/privacy/holds/release", form)
    junk = await admin.submit("/backoffice/privacy/holds/release", {"hold_id": "1 OR 1=1"})
    assert (first.status_code, second.status_code, junk.status_code) == (303, 404, 404)
    assert await fetchval("SELECT released_at FROM legal_holds") is not None
