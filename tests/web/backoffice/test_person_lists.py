"""A person's page: their pools and tags, adding them to a static pool (not someone else's
private one, not a dynamic one), tagging and untagging; the result is said once, from the
session, not from the URL."""

from __future__ import annotations

import html

import pytest

from domain.db import fetch, fetchval
from domain.pools import rules as pool_rules
from domain.pools import service as pools
from domain.ports import SystemClock
from tests.events_support import person, staff_browser

pytestmark = pytest.mark.usefixtures("clean_state")


async def test_pool_and_tags_from_the_person_page(app):
    recruiter = await staff_browser(app, "rita@corp.test", ["recruiter"])
    owner = await fetchval("SELECT id FROM staff_users WHERE email = 'rita@corp.test'")
    now = SystemClock().now()
    shared = await pools.create(pool_rules.parse_pool({"name": "Backend folks"}),
                                owner_id=owner, by="rita@corp.test", now=now)
    ada = await person("ada@example.com", "Ada Lovelace")
    page = await recruiter.get(f"/backoffice/candidates/{ada}")
    assert "In no pool you can see." in page.text and "Backend folks" in page.text

    added = await recruiter.submit(f"/backoffice/candidates/{ada}/pools", {"pool": str(shared)})
    assert added.status_code == 303 and "notice" not in added.headers["location"]
    shown = html.unescape((await recruiter.get(f"/backoffice/candidates/{ada}")).text)
    assert "Added to “Backend folks”." in shown and "/backoffice/pools/" in shown
    assert "Added to “" not in html.unescape((await recruiter.get(
        f"/backoffice/candidates/{ada}")).text)

    await recruiter.submit(f"/backoffice/candidates/{ada}/tags", {"tags": "Relocating, VIP"})
    assert await fetchval("SELECT count(*) FROM person_tags WHERE person = $1", ada) == 2
    await recruiter.submit(f"/backoffice/candidates/{ada}/tags/remove", {"tag": "vip"})
    assert [r["tag"] for r in await fetch("SELECT tag FROM person_tags")] == ["Relocating"]
    empty = await recruiter.submit(f"/backoffice/candidates/{ada}/tags", {"tags": " , "})
    assert empty.status_code == 303
    assert "Type a tag" in html.unescape((await recruiter.get(
        f"/backoffice/candidates/{ada}")).text)


async def test_other_peoples_private_pools_and_roles(app):
    await staff_browser(app, "mia@corp.test", ["marketing"])
    mia = await fetchval("SELECT id FROM staff_users WHERE email = 'mia@corp.test'")
    private = await pools.create(pool_rules.parse_pool({"name": "Mine",
                                                        "visibility": "private"}),
                                 owner_id=mia, by="mia@corp.test", now=SystemClock().now())
    ada = await person("ada@example.com", "Ada Lovelace")
    recruiter = await staff_browser(app, "rita@corp.test", ["recruiter"])
    assert (await recruiter.submit(f"/backoffice/candidates/{ada}/pools",
                                   {"pool": str(private)})).status_code == 404
    assert (await recruiter.submit("/backoffice/candidates/987654/tags",
                                   {"tags": "x"})).status_code == 404
    manager = await staff_browser(app, "hana@corp.test", ["hiring_manager"])
    assert (await manager.submit(f"/backoffice/candidates/{ada}/tags",
                                 {"tags": "x"})).status_code == 403
    assert await fetchval("SELECT count(*) FROM pool_members") == 0
