"""web_tracking_front: genuine hits are answered before routing, everything else reaches
the Litestar routes (the 404 page, the first click of a link, a Redis failure) — and both
ways give the same answer and buffer the hit exactly once."""

from __future__ import annotations

import os

import pytest
from redis.asyncio import Redis

from domain.campaigns import links, tracking
from tests.events_support import person
from tests.tracking_support import campaign, sent, stored_links
from web_tracking import LINK_URLS
from web_tracking_front import TrackingFront

URL = "https://jobs.example.com/open?ref=mail"


@pytest.fixture
async def redis():
    client = Redis.from_url(os.environ["REDIS_URL"])
    yield client
    await client.aclose()


@pytest.fixture
async def setting(clock):
    campaign_id = await campaign()
    ann = await person("ann@example.com")
    return {"links": await stored_links(campaign_id),
            "send": await sent(ann, campaign_id, at=clock.now())}


@pytest.fixture
def routed(app):
    """Paths that reached the Litestar routes behind the front."""
    front = app.asgi_handler
    assert isinstance(front, TrackingFront)
    inner, seen = front.inner, []

    async def recording(scope, receive, send):
        seen.append(scope["path"])
        await inner(scope, receive, send)

    front.inner = recording
    yield seen
    front.inner = inner


async def _buffered(redis) -> list[tracking.Hit]:
    return [tracking.decode(r) for r in reversed(await redis.lrange(tracking.BUFFER, 0, -1))]


async def test_a_genuine_open_is_answered_by_the_front_with_the_security_headers(
        browser, redis, setting, routed):
    response = await browser.client.get(f"/o/{links.open_token(setting['send'])}")
    head = await browser.client.head(f"/o/{links.open_token(setting['send'])}")

    assert routed == []
    assert response.status_code == 200 and response.content.startswith(b"GIF89a")
    assert response.headers["content-type"] == "image/gif"
    assert response.headers["x-content-type-options"] == "nosniff"  # before_send hooks ran
    assert "set-cookie" not in response.headers
    assert head.status_code == 200 and head.content == b""
    assert [(h.kind, h.send_id, h.flag) for h in await _buffered(redis)] == [
        ("open", setting["send"], "prefetch"), ("open", setting["send"], "prefetch")]


async def test_the_first_click_of_a_link_reads_its_url_through_the_route_then_the_front(
        browser, redis, setting, routed):
    link = setting["links"][URL]
    LINK_URLS._urls.pop(link, None)  # as in a freshly started process
    path = f"/c/{links.click_token(setting['send'], link)}"

    first = await browser.client.get(path, headers={"user-agent": "Firefox/130"})
    second = await browser.client.get(path, headers={"user-agent": "Firefox/130"})

    assert routed == [path]  # only the first: it put the URL in the cache
    assert [r.status_code for r in (first, second)] == [302, 302]
    assert first.headers["location"] == second.headers["location"] == URL
    assert second.headers["cache-control"].startswith("no-store")
    assert [(h.kind, h.link_id, h.flag) for h in await _buffered(redis)] == [
        ("click", link, ""), ("click", link, "")]


async def test_forged_and_odd_paths_go_to_the_routes_and_buffer_nothing(
        browser, redis, setting, routed):
    token = links.open_token(setting["send"])
    paths = [f"/o/{token}x", f"/c/{token}", "/o/", f"/o/{token}/more", "/c/a.b.c"]

    answers = [await browser.client.get(p) for p in paths]
    post = await browser.client.post(f"/o/{token}")

    assert routed == [*paths, f"/o/{token}"]
    assert [a.status_code for a in answers] == [404] * len(paths)
    assert post.status_code in (403, 405)  # no POST route (CSRF may refuse it first)
    assert await redis.llen(tracking.BUFFER) == 0


async def test_when_redis_fails_the_route_answers_the_error_page_not_a_traceback(
        app, browser, setting, routed):
    real = app.state.redis
    broken = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    app.state.redis = broken
    app.state.tracking_hits = tracking.HitBuffer(broken)
    try:
        response = await browser.client.get(f"/o/{links.open_token(setting['send'])}")
    finally:
        app.state.redis = real
        del app.state["tracking_hits"]
        await broken.aclose()

    assert len(routed) == 1  # the front gave up; the route tried again and failed too
    assert response.status_code >= 500 and "Traceback" not in response.text
