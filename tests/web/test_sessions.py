"""Session write-back: a request that overlaps a sign-out must not sign the person back in."""

import asyncio

import pytest
from litestar import Request, get

from web_sessions import session_config


def slow_route(entered: asyncio.Event, release: asyncio.Event, *, change: bool):
    middleware = session_config(key="tl_portal", store="portal_sessions", max_age=3600,
                                secure=False).middleware

    @get(f"/slow-{'changing' if change else 'reading'}", middleware=[middleware],
         include_in_schema=False)
    async def slow(request: Request) -> str:
        assert "person_id" in request.session  # loaded while still signed in
        entered.set()
        await release.wait()
        if change:
            request.session["notice"] = "Saved."
        return "done"

    return slow


async def session_keys(app) -> list:
    return await app.state.redis.keys("talentloop:sessions:portal*")


@pytest.mark.parametrize("change", [False, True], ids=["reading", "changing"])
async def test_a_slow_request_cannot_undo_a_sign_out(app, candidate, change):
    entered, release = asyncio.Event(), asyncio.Event()
    app.register(slow_route(entered, release, change=change))
    path = f"/slow-{'changing' if change else 'reading'}"
    slow = asyncio.create_task(candidate.client.get(path))
    await entered.wait()
    await candidate.get("/account")
    signed_out = await candidate.submit("/account/sign-out", {})
    assert signed_out.status_code == 303
    assert await session_keys(app) == []
    release.set()
    assert (await slow).status_code == 200
    assert await session_keys(app) == [], "the slow request stored the session again"
    assert (await candidate.get("/account")).status_code == 303


async def test_unchanged_sessions_are_not_rewritten_but_cookies_are_refreshed(app, candidate):
    [key] = await session_keys(app)
    before = await app.state.redis.get(key)
    response = await candidate.get("/account")
    assert response.status_code == 200
    assert await app.state.redis.get(key) == before
    assert "tl_portal=" in response.headers.get("set-cookie", ""), \
        "the idle timeout runs from the last request, so the cookie is re-sent"
