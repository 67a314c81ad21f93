"""Back office → Integrations → API tokens: admins only; the token is shown once."""

from __future__ import annotations

import re

from domain.db import fetch
from tests.api.support import client
from tests.events_support import staff_browser


async def test_an_admin_creates_sees_once_and_revokes_a_token(app):
    admin = await staff_browser(app, "admin@test.local", ["admin"])
    listing = await admin.get("/backoffice/integrations/tokens")
    assert listing.status_code == 200 and "No API tokens yet" in listing.text
    assert 'href="/backoffice/integrations/webhooks"' in listing.text  # the shared tabs
    form = await admin.get("/backoffice/integrations/tokens/new")
    assert form.status_code == 200
    bad = await admin.submit("/backoffice/integrations/tokens/new",
                             [("name", ""), ("scopes", "people:admin"), ("expiry_days", "0"),
                              ("rate_limit", "many")])
    assert bad.status_code == 422
    for message in ("Name the token", "Choose scopes from the list", "Enter a number of days",
                    "Enter requests per minute"):
        assert message in bad.text
    assert await fetch("SELECT id FROM api_tokens") == []
    created = await admin.submit("/backoffice/integrations/tokens/new",
                                 [("name", "HRIS sync"), ("scopes", "people:read"),
                                  ("expiry_days", "30"), ("rate_limit", "100")])
    assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
    token = re.search(r'value="(tl_[^"]+)"', created.text).group(1)
    assert "only time it is shown" in created.text
    listing = await admin.get("/backoffice/integrations/tokens")
    assert "HRIS sync" in listing.text and token not in listing.text
    assert token[:10] in listing.text
    async with client(app, token) as api:
        assert (await api.get("/api/v1/people")).status_code == 200
    row = (await fetch("SELECT id, rate_limit_per_minute FROM api_tokens"))[0]
    assert row["rate_limit_per_minute"] == 100
    await admin.get("/backoffice/integrations/tokens")
    revoked = await admin.submit(f"/backoffice/integrations/tokens/{row['id']}/revoke", {})
    assert revoked.status_code == 303
    async with client(app, token) as api:
        assert (await api.get("/api/v1/people")).status_code == 401
    actions = [r["action"] for r in await fetch("SELECT action FROM audit_entries "
                                                "WHERE action LIKE 'api_token.%' ORDER BY id")]
    assert actions == ["api_token.created", "api_token.revoked"]
    audit = await fetch("SELECT detail::text AS detail FROM audit_entries")
    assert all(token not in entry["detail"] for entry in audit)


async def test_a_recruiter_cannot_manage_tokens(app):
    recruiter = await staff_browser(app, "recruiter@test.local", ["recruiter"])
    assert (await recruiter.get("/backoffice/integrations/tokens")).status_code == 403
    await recruiter.get("/backoffice/candidates")
    response = await recruiter.submit("/backoffice/integrations/tokens/new",
                                      [("name", "x"), ("scopes", "people:read")])
    assert response.status_code == 403
    assert await fetch("SELECT id FROM api_tokens") == []
