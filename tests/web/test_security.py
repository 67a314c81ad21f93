"""Security properties of the web layer that every later route inherits."""

import re

import pytest
from litestar.handlers import HTTPRouteHandler

import asgi


def post_routes(app):
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if isinstance(handler, HTTPRouteHandler) and "POST" in handler.http_methods:
                yield route.path


async def test_web_template_environment_autoescapes(app):
    env = app.template_engine.engine
    assert env.autoescape is True or env.autoescape("page.html") is True


def test_csrf_exemptions_are_exactly_the_declared_set():
    # Only RFC 8058 one-click unsubscribe, signed webhooks (/hooks/, HMAC of the body) and
    # the bearer-token REST API (no cookie is ever read under /api/) may be listed here.
    assert asgi.CSRF_EXEMPT == [r"^/u/[^/]+$", r"^/api/", r"^/hooks/"]
    exempt = re.compile("|".join(asgi.CSRF_EXEMPT))
    assert exempt.search("/u/some.token") and exempt.search("/api/v1/people")
    assert exempt.search("/hooks/email-events") and exempt.search("/hooks/inbound-mail")
    for protected in ("/u/some.token/confirm", "/x/u/some.token", "/preferences/t",
                      "/account/consent/withdraw", "/backoffice/api/v1", "/apiary",
                      "/backoffice/integrations/tokens"):
        assert not exempt.search(protected), protected


async def test_every_post_route_rejects_a_missing_csrf_token(app, browser):
    paths = sorted(set(post_routes(app)))
    assert "/communities/{slug:str}/join" in paths and "/backoffice/login" in paths
    assert "/u/{token:str}" in paths and "/u/{token:str}/confirm" in paths
    await browser.get("/")  # obtain the CSRF cookie, like a browser would
    exempt = re.compile("|".join(asgi.CSRF_EXEMPT))
    for path in paths:
        concrete = path.replace("{slug:str}", "engineering").replace("{token:str}", "abc")
        concrete = re.sub(r"\{[a-z_]+:int\}", "1", concrete)
        if concrete.startswith("/api/"):
            # Exempt by design (bearer token in a header, never a cookie): without a
            # token the route is still refused, CSRF token or not (tests/api).
            response = await browser.submit(concrete, {"x": "1"}, csrf=False)
            assert response.status_code == 401, f"{path} accepted a POST without a token"
            continue
        if concrete.startswith("/hooks/"):
            # Exempt by design (a provider's POST, signed): unsigned, it is still refused
            # (tests/web/test_tracking_endpoints.py covers bad signatures).
            response = await browser.submit(concrete, {"x": "1"}, csrf=False)
            assert response.status_code == 401, f"{path} accepted an unsigned POST"
            continue
        if exempt.search(concrete):
            assert concrete.startswith("/u/"), f"{path} is exempt from CSRF unexpectedly"
            continue  # the one-click POST: covered in tests/web/portal/test_unsubscribe.py
        response = await browser.submit(concrete, {"x": "1"}, csrf=False)
        assert response.status_code == 403, f"{path} accepted a POST without a CSRF token"
        assert "Traceback" not in response.text


async def test_a_forged_csrf_token_is_rejected(browser):
    await browser.get("/backoffice/login")
    browser.last_token = "forged-token"
    response = await browser.submit("/backoffice/login", {"email": "a@b.c", "password": "x"})
    assert response.status_code == 403
    assert "form expired" in response.text


async def test_unknown_pages_get_a_friendly_404(browser):
    response = await browser.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert "Traceback" not in response.text


async def test_api_clients_get_problem_details(browser):
    response = await browser.client.get("/api/nothing", headers={"accept": "application/json"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 404


@pytest.mark.parametrize("path", ["/backoffice/candidates", "/backoffice/candidates/1",
                                  "/backoffice/mail"])
async def test_back_office_pages_need_sign_in(browser, path):
    response = await browser.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/backoffice/login?next=")


async def test_html_responses_carry_security_headers(browser, community):
    for path in ("/", "/communities/engineering", "/backoffice/login", "/no/such/page"):
        response = await browser.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "object-src 'none'" in csp, path
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"


async def test_session_and_csrf_cookies_are_http_only_and_same_site(browser, staff_user):
    page = await browser.get("/backoffice/login")
    assert "HttpOnly" in page.headers["set-cookie"] and "SameSite=lax" in page.headers["set-cookie"]
    response = await browser.submit(
        "/backoffice/login", {"email": "recruiter@test.local", "password": "a-long-test-password"})
    staff_cookie = [c for c in response.headers.get_list("set-cookie") if c.startswith("tl_staff=")]
    assert staff_cookie and "HttpOnly" in staff_cookie[0] and "SameSite=lax" in staff_cookie[0]


async def test_staff_login_is_rate_limited_per_peer_not_per_forwarded_header(browser, staff_user):
    await browser.get("/backoffice/login")
    statuses = []
    for attempt in range(11):
        response = await browser.submit(
            "/backoffice/login", {"email": "recruiter@test.local", "password": f"wrong-{attempt}"},
            headers={"x-forwarded-for": f"198.51.100.{attempt}"})  # spoofing changes nothing
        statuses.append(response.status_code)
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429
    assert int(response.headers["retry-after"]) > 0
    assert "Slow down" in response.text


async def test_access_log_names_routes_not_token_paths(browser, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="talentloop.access"):
        await browser.get("/confirm/secret-token-value")
    lines = [r.getMessage() for r in caplog.records if r.name == "talentloop.access"]
    assert any("/confirm/{token}" in line for line in lines)
    assert not any("secret-token-value" in line for line in lines)


async def test_anonymous_visitors_get_no_session_record(app, browser, community):
    response = await browser.get("/communities/engineering")
    assert "tl_portal" not in response.headers.get("set-cookie", "")
    assert await app.state.redis.keys("talentloop:sessions:*") == []
    # Once there is something to remember (the address to show after joining), there is one.
    text_id = re.search(r'name="consent_text_id" value="(\d+)"', response.text).group(1)
    joined = await browser.submit("/communities/engineering/join", {
        "full_name": "Ann", "email": "ann@example.com", "consent": "yes",
        "consent_text_id": text_id})
    assert joined.status_code == 303
    assert len(await app.state.redis.keys("talentloop:sessions:*")) == 1


async def test_https_deployments_use_host_prefixed_secure_cookies(staff_user):
    import dataclasses

    import httpx

    from asgi import create_app
    from settings import get_settings

    settings = dataclasses.replace(get_settings(), base_url="https://careers.example",
                                   cookie_secure=True)
    application = create_app(settings)
    async with application.lifespan():
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as c:
            page = await c.get("/backoffice/login")
            csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
            response = await c.post("/backoffice/login", data={
                "email": "recruiter@test.local", "password": "a-long-test-password",
                "_csrf_token": csrf})
    cookies = page.headers.get_list("set-cookie") + response.headers.get_list("set-cookie")
    assert any(c.startswith("__Host-tl_csrf=") for c in cookies)
    staff = [c for c in cookies if c.startswith("__Host-tl_staff=")]
    assert staff, cookies
    for cookie in staff:
        assert "Secure" in cookie and "Path=/;" in cookie + ";" and "Domain" not in cookie
    assert page.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_error_pages_show_their_own_status(browser):
    response = await browser.get("/no/such/page")
    assert response.status_code == 404
    assert "500" not in response.text
