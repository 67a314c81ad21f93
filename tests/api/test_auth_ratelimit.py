"""Failed API authentications are limited per socket peer: after AUTH_FAILURES_PER_MINUTE
in a minute that peer gets 429 (whatever token it sends next), while other peers and
their valid tokens carry on. X-Forwarded-For changes nothing."""

from __future__ import annotations

import httpx

from api import auth
from domain.db import fetch
from tests.api.support import assert_problem, client, make_token


def peer_client(app, host: str, token: str | None = None) -> httpx.AsyncClient:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    transport = httpx.ASGITransport(app=app, client=(host, 5000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver",
                             headers=headers)


async def test_a_peer_guessing_tokens_gets_429_and_others_are_unaffected(app):
    valid = await make_token("people:read")
    limit = auth.AUTH_FAILURES_PER_MINUTE
    async with client(app) as scanner:
        for attempt in range(limit):
            guessed = {"authorization": f"Bearer tl_guess-{attempt}",
                       # A spoofed address per request must not give a fresh budget.
                       "x-forwarded-for": f"198.51.100.{attempt}"}
            assert_problem(await scanner.get("/api/v1/people", headers=guessed), 401)
        refused = await scanner.get("/api/v1/people",
                                    headers={"authorization": "Bearer tl_guess-more"})
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        # Blocked before any token is looked at: a right guess would not get through.
        late = await scanner.get("/api/v1/people",
                                 headers={"authorization": f"Bearer {valid.token}"})
        assert late.status_code == 429
        assert (await scanner.get("/api/v1/people")).status_code == 429
    async with peer_client(app, "192.0.2.44", valid.token) as other:
        assert (await other.get("/api/v1/people")).status_code == 200
    async with peer_client(app, "192.0.2.45") as other_bad:
        assert_problem(await other_bad.get("/api/v1/people",
                                           headers={"authorization": "Bearer tl_x"}), 401)
    logged = await fetch("SELECT detail->>'reason' AS reason, ip FROM audit_entries "
                         "WHERE action = 'api.auth_failed' ORDER BY id")
    assert ("too_many_failures", "203.0.113.9") in {(r["reason"], r["ip"]) for r in logged}


async def test_valid_tokens_do_not_count_as_failures(app):
    valid = await make_token("people:read")
    async with client(app, valid.token) as api:
        for _ in range(auth.AUTH_FAILURES_PER_MINUTE + 5):
            assert (await api.get("/api/v1/people")).status_code == 200
