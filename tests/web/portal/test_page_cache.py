"""The public page cache: fast for anonymous visitors, never wrong for anyone."""

import dataclasses
import re

import httpx
import pytest

from asgi import create_server_app
from settings import get_settings
from tests.fixtures import Browser, running, sign_in_candidate
from web_page_cache import PLACEHOLDER, PublicPageCache

TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


@pytest.fixture
async def cached_app():
    settings = dataclasses.replace(get_settings(), page_cache_seconds=30)
    application = create_server_app(settings)
    assert isinstance(application, PublicPageCache)
    async with running(application.app):
        yield application


def client(application) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=application),
                             base_url="http://testserver")


async def test_second_anonymous_visit_is_served_from_the_cache(cached_app, community):
    async with client(cached_app) as first, client(cached_app) as second:
        miss = await first.get("/communities/engineering")
        hit = await second.get("/communities/engineering")
    assert (miss.headers["x-page-cache"], hit.headers["x-page-cache"]) == ("miss", "hit")
    assert miss.status_code == hit.status_code == 200
    assert "Join Engineering" in hit.text
    assert hit.headers["content-security-policy"], "security headers are kept"
    for response in (miss, hit):
        assert PLACEHOLDER not in response.text


async def test_every_visitor_gets_their_own_working_csrf_token(cached_app, community):
    async with client(cached_app) as first, client(cached_app) as second:
        page_one = await first.get("/communities/engineering")
        page_two = await second.get("/communities/engineering")
        token_one, token_two = (TOKEN.search(p.text).group(1) for p in (page_one, page_two))
        assert token_one != token_two
        assert first.cookies["tl_csrf"] == token_one
        assert second.cookies["tl_csrf"] == token_two
        text_id = re.search(r'name="consent_text_id" value="(\d+)"', page_two.text).group(1)
        joined = await second.post("/communities/engineering/join", data={
            "full_name": "Ann", "email": "ann@example.com", "consent": "yes",
            "consent_text_id": text_id, "_csrf_token": token_two})
        assert joined.status_code == 303, "a cached page's form must submit"
        again = await first.get("/communities/engineering")
        assert TOKEN.search(again.text).group(1) == token_one, "a returning visitor keeps it"
        assert "set-cookie" not in again.headers


async def test_signed_in_candidates_are_never_served_cached_pages(cached_app, community):
    async with client(cached_app) as anonymous:
        await anonymous.get("/communities/engineering")
        await anonymous.get("/communities/engineering")
    async with client(cached_app) as signed:
        await sign_in_candidate(Browser(signed), "cand@example.com")
        page = await signed.get("/communities/engineering")
    assert "x-page-cache" not in page.headers
    assert "Your account" in page.text


async def test_errors_and_other_paths_are_not_cached(cached_app, community):
    async with client(cached_app) as visitor:
        missing = await visitor.get("/communities/nope")
        missing_again = await visitor.get("/communities/nope")
        sign_in = await visitor.get("/account/sign-in")
    assert missing.status_code == missing_again.status_code == 404
    assert missing_again.headers["x-page-cache"] == "miss"
    assert "x-page-cache" not in sign_in.headers
    assert PLACEHOLDER not in missing.text


def test_disabled_cache_serves_the_plain_app():
    settings = dataclasses.replace(get_settings(), page_cache_seconds=0)
    assert not isinstance(create_server_app(settings), PublicPageCache)
