"""/o and /c: a pixel or a redirect to a stored URL for genuine tokens, the 404 page for
anything else, never a redirect elsewhere; every genuine hit lands in the buffer. Genuine
hits are answered by web_tracking_front before routing; everything else reaches the
Litestar routes (the 404 page, the first click of a link, a Redis failure) — both ways
give the same answer and buffer the hit exactly once."""

from __future__ import annotations

import hashlib
import os
import random
from urllib.parse import quote

import pytest
from itsdangerous import Signer
from redis.asyncio import Redis

from domain.campaigns import links, tracking
from tests.events_support import person
from tests.tracking_support import campaign, sent, stored_links
from web_tracking import LINK_URLS
from web_tracking_front import TrackingFront


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


async def _buffered(redis) -> list[tracking.Hit]:
    return [tracking.decode(r) for r in reversed(await redis.lrange(tracking.BUFFER, 0, -1))]


async def test_the_pixel_is_an_uncached_gif_and_buffers_an_open(browser, redis, setting):
    response = await browser.client.get(f"/o/{links.open_token(setting['send'])}",
                                        headers={"user-agent": "Mozilla/5.0 (Macintosh) "
                                                 "AppleWebKit/605.1.15 Version/17.0"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/gif"
    assert response.content.startswith(b"GIF89a") and len(response.content) == 42
    assert "no-store" in response.headers["cache-control"]
    assert "set-cookie" not in response.headers  # no CSRF or session cookie in a mail client
    [hit] = await _buffered(redis)
    assert (hit.kind, hit.send_id, hit.link_id, hit.flag) == ("open", setting["send"], None, "")


async def test_a_click_redirects_to_the_stored_url_and_buffers_the_click(
        browser, redis, setting):
    url = "https://jobs.example.com/open?ref=mail"
    token = links.click_token(setting["send"], setting["links"][url])

    response = await browser.client.get(f"/c/{token}", headers={"user-agent": "Firefox/130"})

    assert response.status_code == 302
    assert response.headers["location"] == url
    assert "set-cookie" not in response.headers
    [hit] = await _buffered(redis)
    assert (hit.kind, hit.link_id, hit.flag) == ("click", setting["links"][url], "")


async def test_proxies_and_scanners_are_flagged(browser, redis, setting):
    pixel = f"/o/{links.open_token(setting['send'])}"
    await browser.client.get(pixel, headers={"user-agent": "Mozilla/5.0"})  # Apple MPP
    await browser.client.get(pixel, headers={
        "user-agent": "Mozilla/5.0 (Windows NT 5.1) (via ggpht.com GoogleImageProxy)"})
    await browser.client.head(pixel, headers={"user-agent": "Mozilla/5.0 (X11) Firefox/130"})
    click = f"/c/{links.click_token(setting['send'], min(setting['links'].values()))}"
    await browser.client.get(click, headers={"user-agent": "Mimecast URL protect"})

    assert [hit.flag for hit in await _buffered(redis)] == [
        "proxy", "proxy", "prefetch", "prefetch"]


def _other_salt(value: str) -> str:
    from settings import get_settings

    signer = Signer(get_settings().secret_key, salt="talentloop.tracking-other", sep=".",
                    digest_method=hashlib.sha256)
    return signer.sign(value).decode()


def _attempts(send: int, link_ids: list[int], count: int) -> list[str]:
    """Generated /c URLs: genuine, tampered, forged, re-salted, swapped and hostile."""
    rng = random.Random(7)
    genuine = [links.click_token(send, link) for link in link_ids]
    hostile = ["//evil.example", "/\\evil.example", "https:evil.example", "%2F%2Fevil",
               "%5Cevil", "javascript:alert(1)", "\u2215\u2215evil", "..%2F..%2Fevil",
               "https%3A%2F%2Fevil.example", "%0d%0aLocation:%20https://evil.example"]
    paths: list[str] = []
    while len(paths) < count:
        token = rng.choice(genuine)
        choice = rng.randrange(10)
        if choice == 0:
            paths.append(f"/c/{token}")
        elif choice == 1:  # one character changed
            at = rng.randrange(len(token))
            paths.append(f"/c/{token[:at]}{rng.choice('AZaz09-_.')}{token[at + 1:]}")
        elif choice == 2:  # a genuine token with something glued on
            paths.append(f"/c/{token}{quote(rng.choice(hostile), safe='')}")
        elif choice == 3:  # the ids swapped, or a link of another send, unsigned
            paths.append(f"/c/{rng.choice(link_ids):x}-{send:x}.{token.split('.')[-1]}")
        elif choice == 4:  # signed with another salt (the open pixel's, or any other)
            value = f"{send:x}-{rng.choice(link_ids):x}"
            paths.append(f"/c/{rng.choice([links.open_token(send), _other_salt(value)])}")
        elif choice == 5:  # a genuine signature over a link id that does not exist
            paths.append(f"/c/{links.click_token(send, rng.randrange(10_000, 10**9))}")
        elif choice == 6:
            paths.append(f"/c/{rng.choice(hostile)}")
        elif choice == 7:
            paths.append(f"/c/{quote(rng.choice(hostile), safe='')}/{token}")
        elif choice == 8:  # unicode and encoded noise
            noise = "".join(chr(rng.randrange(0x20, 0x2FFF)) for _ in range(rng.randrange(1, 12)))
            paths.append(f"/c/{quote(noise, safe='')}")
        else:
            paths.append(f"//c/{token}" if rng.random() < 0.5 else f"/c/{token}?next=//evil")
    return paths


async def test_two_thousand_generated_urls_redirect_only_to_stored_urls(browser, setting):
    stored = set(setting["links"])
    statuses: dict[int, int] = {}
    for path in _attempts(setting["send"], list(setting["links"].values()), 2_000):
        response = await browser.client.get(path)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code in (302, 404), (path, response.status_code)
        if response.status_code == 302:
            assert response.headers["location"] in stored, path
        assert "Traceback" not in response.text
    assert statuses[302] > 100 and statuses[404] > 1_000


async def test_a_forged_token_gets_the_not_found_page_and_buffers_nothing(
        browser, redis, setting):
    response = await browser.client.get("/c/abc.def", headers={"accept": "text/html"})
    pixel = await browser.client.get("/o/1.forged")

    assert response.status_code == 404 and "Page not found" in response.text
    assert "location" not in response.headers
    assert pixel.status_code == 404
    assert await redis.llen(tracking.BUFFER) == 0


# -- signed webhooks -----------------------------------------------------------------------

def _signed(body: bytes, *, at: float | None = None, key: bytes | None = None) -> dict:
    import time

    from domain.campaigns import webhook_signature

    stamp = int(time.time() if at is None else at)
    return {webhook_signature.HEADER: webhook_signature.sign(body, timestamp=stamp, key=key),
            "content-type": "application/json"}


async def _inbound_count() -> int:
    from domain.db import fetchval

    return await fetchval("SELECT count(*) FROM inbound_messages")


BOUNCE = (b'{"type": "bounce", "email": "ann@example.com", "message_id": '
          b'"<x@acme.example>", "bounce_type": "hard", "status": "5.1.1", '
          b'"diagnostic": "550 user unknown", "occurred_at": "2026-11-02T09:00:00Z"}')


@pytest.mark.parametrize("headers", [
    {},
    {"X-Talentloop-Signature": "t=1,v1=00"},
    "wrong key", "an hour old", "another body",
])
async def test_a_webhook_without_a_valid_signature_is_refused_and_changes_nothing(
        browser, setting, headers):
    import time

    if headers == "wrong key":
        headers = _signed(BOUNCE, key=b"not-our-key")
    elif headers == "an hour old":
        headers = _signed(BOUNCE, at=time.time() - 3600)
    elif headers == "another body":
        headers = _signed(BOUNCE.replace(b"hard", b"soft"))

    response = await browser.client.post("/hooks/email-events", content=BOUNCE,
                                         headers=headers)

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 401
    assert await _inbound_count() == 0


async def test_a_signed_bounce_event_is_applied(browser, setting):
    from domain.privacy import suppression

    response = await browser.client.post("/hooks/email-events", content=BOUNCE,
                                         headers=_signed(BOUNCE))

    assert response.status_code == 200 and response.json() == {"received": 1}
    assert await suppression.is_suppressed("ann@example.com")
    assert await _inbound_count() == 1


@pytest.mark.parametrize("body", [
    b"not json", b'{"type": "bounce"}', b'{"type": "opened", "email": "a@b.c"}',
    b'[' + BOUNCE + b', {"type": "bounce", "email": "b@example.com", "bounce_type": "x"}]',
    b'{"type": "complaint", "email": "a@b.c", "occurred_at": "yesterday"}',
    b'{"type": "complaint", "email": 42}',
])
async def test_a_signed_but_invalid_body_gets_problem_details_and_applies_nothing(
        browser, setting, body):
    response = await browser.client.post("/hooks/email-events", content=body,
                                         headers=_signed(body))

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await _inbound_count() == 0


async def test_a_signed_raw_reply_is_matched(browser, setting):
    from tests.dsn_samples import reply

    raw = reply(to="replies+reply1c1@replies.acme.example", sender="ann@example.com",
                message_id="<reply-9@example.com>")
    unsigned = await browser.client.post("/hooks/inbound-mail", content=raw)
    response = await browser.client.post("/hooks/inbound-mail", content=raw,
                                         headers=_signed(raw))

    assert unsigned.status_code == 401
    assert response.status_code == 200 and response.json() == {"kind": "reply"}


async def test_tracking_hits_write_no_access_log_line_but_other_routes_do(
        browser, setting, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="talentloop.access"):
        await browser.client.get(f"/o/{links.open_token(setting['send'])}")
        await browser.client.get("/no/such/page")

    lines = [r.getMessage() for r in caplog.records if r.name == "talentloop.access"]
    assert lines == ["203.0.113.7 GET (no matching route) 404"]


# -- web_tracking_front: genuine hits answered before routing, the rest by the routes ---

URL = "https://jobs.example.com/open?ref=mail"


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
