"""Token lifecycle, scopes and the per-token rate limit (issue 8, REST API)."""

from __future__ import annotations

from domain.db import fetch
from domain.integrations import tokens
from domain.integrations.rules import grants, parse_token_form, token_hash
from tests.api.support import assert_problem, client, make_token


def test_write_implies_read_and_nothing_else():
    assert grants(["people:write"], "people:read")
    assert grants(["people:read"], "people:read")
    assert not grants(["people:read"], "people:write")
    assert not grants(["pools:write"], "people:read")


def test_the_form_names_each_bad_field():
    _, errors = parse_token_form("", ["people:admin"], "0", "x")
    assert set(errors) == {"name", "scopes", "expiry_days", "rate_limit"}
    draft, errors = parse_token_form(" HRIS  sync ", ["people:read"], "", "")
    assert not errors and draft.name == "HRIS sync" and draft.expiry_days is None


async def test_a_token_is_stored_hashed_and_shown_once(app):
    created = await make_token("people:read")
    rows = await fetch("SELECT * FROM api_tokens")
    assert len(rows) == 1
    stored = " ".join(str(value) for value in rows[0].values())
    assert created.token not in stored
    assert rows[0]["token_hash"] == token_hash(created.token)
    assert created.token.startswith(rows[0]["prefix"]) and len(rows[0]["prefix"]) == 10
    assert created.token not in str(await tokens.list_tokens())
    audit = await fetch("SELECT action, detail::text FROM audit_entries "
                        "WHERE action = 'api_token.created'")
    assert len(audit) == 1 and created.token not in audit[0]["detail"]
    async with client(app, created.token) as api:
        assert (await api.get("/api/v1/people")).status_code == 200


async def test_missing_unknown_revoked_and_expired_tokens_get_401(app, clock):
    live = await make_token("people:read")
    revoked = await make_token("people:read", name="old")
    await tokens.revoke(revoked.id, actor="admin@test.local", ip="", clock=clock)
    expired = await make_token("people:read", name="short", expiry_days=1, clock=clock)
    for token in (None, "tl_nope", live.token + "x", revoked.token, expired.token):
        async with client(app, token) as api:
            response = await api.get("/api/v1/people")
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")
    async with client(app) as api:
        response = await api.get("/api/v1/people", headers={"authorization": "Basic eDp5"})
    assert_problem(response, 401)
    events = await fetch("SELECT actor, ip, detail::text FROM audit_entries "
                         "WHERE action = 'api.auth_failed'")
    assert events and all(live.token not in event["detail"] for event in events)
    assert {event["ip"] for event in events} == {"203.0.113.9"}


async def test_wrong_scope_is_403_and_audited(app):
    created = await make_token("people:read", name="reader")
    async with client(app, created.token) as api:
        body = assert_problem(await api.patch("/api/v1/people/1", json={"full_name": "X"}),
                              403)
        assert "people:write" in body["detail"]
        assert_problem(await api.get("/api/v1/requisitions"), 403)
    events = await fetch("SELECT actor, detail->>'scope' AS scope FROM audit_entries "
                         "WHERE action = 'api.permission_denied' ORDER BY id")
    assert [(e["actor"], e["scope"]) for e in events] == [
        ("api:reader", "people:write"), ("api:reader", "requisitions:read")]


async def test_last_used_is_written_at_most_once_a_minute(app, clock):
    created = await make_token("people:read")
    assert await tokens.authenticate(created.token, clock=clock)
    first = (await fetch("SELECT last_used_at FROM api_tokens"))[0]["last_used_at"]
    clock.advance(seconds=30)
    await tokens.authenticate(created.token, clock=clock)
    assert (await fetch("SELECT last_used_at FROM api_tokens"))[0]["last_used_at"] == first
    clock.advance(seconds=31)
    await tokens.authenticate(created.token, clock=clock)
    assert (await fetch("SELECT last_used_at FROM api_tokens"))[0]["last_used_at"] > first


async def test_the_rate_limit_is_shared_by_two_app_instances(app):
    """Two app objects (two web processes) count against one Redis window per token."""
    from asgi import create_app
    from settings import get_settings
    from tests.fixtures import running

    created = await make_token("people:read", rate_limit=5)
    other = create_app(get_settings())
    async with running(other), client(app, created.token) as one, \
            client(other, created.token) as two:
        statuses = []
        for index in range(6):
            api = one if index % 2 == 0 else two
            statuses.append((await api.get("/api/v1/people")).status_code)
        assert statuses == [200] * 5 + [429]
        response = await one.get("/api/v1/people")
        body = assert_problem(response, 429)
        assert 1 <= int(response.headers["retry-after"]) <= 60
        assert "5 requests a minute" in body["detail"]
    # another token has its own window
    fresh = await make_token("people:read", name="other")
    async with client(app, fresh.token) as api:
        assert (await api.get("/api/v1/people")).status_code == 200
