"""Candidate sign-in with an OIDC provider and GitHub, end to end over real HTTP.

Our app runs in-process; the providers are real servers on loopback: oidc-provider-mock
for the happy paths and the protocol errors a real provider produces, a crafted provider
for forged tokens, and a fake GitHub.
"""

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey

import web_oidc
from domain.db import fetch
from portal import oauth
from tests import oidc_support as support
from tests.fixtures import FrozenClock
from tests.oidc_support import CLIENT_ID, CLIENT_SECRET, identities, people, refused, signed_in


@pytest.fixture(scope="session")
def idp():
    with support.mock_provider() as url:
        yield url


@pytest.fixture(scope="session")
def github_server():
    with support.FakeGitHub().running() as fake:
        yield fake


@pytest.fixture
def github(github_server):
    github_server.user = {"id": 4242, "login": "octo", "name": "Octo Cat"}
    github_server.emails = [{"email": "octo@example.com", "primary": True, "verified": True}]
    return github_server


@pytest.fixture(scope="session")
def crafted_server():
    with support.CraftedProvider().running() as provider:
        yield provider


@pytest.fixture
def crafted(crafted_server):
    crafted_server.reset()
    return crafted_server


@pytest.fixture
async def social_app(idp, github_server):
    async with support.running_app(**support.oidc_settings(idp),
                                   **github_server.settings()) as application:
        yield application


@pytest.fixture
async def user(social_app):
    async with support.browser_for(social_app) as browser:
        yield browser


@pytest.fixture
async def crafted_user(crafted_server):
    async with support.running_app(**support.oidc_settings(crafted_server.url)) as application, \
            support.browser_for(application) as browser:
        yield browser


VERIFIED = {"email": "ann@example.com", "email_verified": True, "name": "Ann Smith"}


# The page and the start of the flow


async def test_buttons_appear_only_for_configured_providers(browser, user):
    plain = await browser.get("/account/sign-in")
    assert "Continue with" not in plain.text
    page = (await user.get("/account/sign-in")).text
    assert "Continue with Acme SSO" in page and "Continue with GitHub" in page
    for name in ("oidc", "github"):
        form = page.split(f'action="/account/sign-in/{name}"')[1].split("</form>")[0]
        assert 'name="_csrf_token"' in form, "starting a sign-in must carry the CSRF token"


async def test_start_is_a_csrf_protected_post_with_pkce_state_and_nonce(user, idp):
    assert (await user.get("/account/sign-in/oidc")).status_code == 405
    await user.get("/account/sign-in")
    assert (await user.submit("/account/sign-in/oidc", {}, csrf=False)).status_code == 403
    started = await support.start(user)
    assert started.status_code == 303
    location = started.headers["location"]
    assert location.startswith(f"{idp}/oauth2/authorize?")
    query = parse_qs(urlsplit(location).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["client_id"] == [CLIENT_ID] and query["scope"] == ["openid email profile"]
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["redirect_uri"] == ["http://testserver/account/sign-in/oidc/callback"]


async def test_unknown_or_unconfigured_providers_are_404(browser, user):
    await user.get("/account/sign-in")
    missing = "no such sign-in option"
    refused(await user.submit("/account/sign-in/myspace", {}), 404, missing)
    refused(await user.get("/account/sign-in/myspace/callback?state=x&code=y"), 404, missing)
    await browser.get("/account/sign-in")
    refused(await browser.submit("/account/sign-in/github", {}), 404, missing)


# Signing in through oidc-provider-mock


async def test_a_new_verified_email_signs_in_and_creates_one_person(user, idp):
    started = await support.start(user, next_path="/communities")
    before = user.client.cookies["tl_portal"]
    location = await support.authorize_at_mock(started.headers["location"], "new-1", VERIFIED)
    done = await support.back_to_us(user, location)
    assert done.status_code == 303 and done.headers["location"] == "/communities"
    assert user.client.cookies["tl_portal"] != before, "the session id rotates at sign-in"
    home = await user.get("/account")
    assert home.status_code == 200 and "ann@example.com" in home.text
    [person] = await people()
    assert person["source"] == "social"
    assert await identities() == [{"person": person["id"], "provider": "oidc",
                                   "issuer": idp, "subject": "new-1"}]


async def test_an_unsafe_next_falls_back_to_the_account_page(user):
    started = await support.start(user, next_path="https://evil.example/")
    done = await support.back_to_us(user, await support.authorize_at_mock(
        started.headers["location"], "next-1", VERIFIED))
    assert done.headers["location"] == "/account"


async def test_a_verified_email_links_to_the_existing_person(user):
    existing = (await fetch("INSERT INTO people (email, full_name, source, created_at, "
                            "updated_at) VALUES ('ann@example.com', 'Ann', 'test', now(), "
                            "now()) RETURNING id"))[0]["id"]
    assert (await support.sign_in_at_mock(user, "link-1", VERIFIED)).status_code == 303
    assert [row["id"] for row in await people()] == [existing]
    assert (await identities())[0]["person"] == existing


async def test_an_unverified_email_is_refused_with_a_clear_page(user):
    response = await support.sign_in_at_mock(user, "unverified-1",
                                             {**VERIFIED, "email_verified": False})
    refused(response, 403, "email address isn&#39;t verified")
    assert await people() == [] and await identities() == []
    assert not await signed_in(user)


async def test_same_issuer_other_subject_links_only_when_verified_and_never_duplicates(user):
    await support.sign_in_at_mock(user, "first-sub", VERIFIED)
    await user.submit("/account/sign-out", {})
    unverified = await support.sign_in_at_mock(user, "second-sub",
                                               {**VERIFIED, "email_verified": False})
    refused(unverified, 403, "verified")
    assert (await support.sign_in_at_mock(user, "second-sub", VERIFIED)).status_code == 303
    [person] = await people()
    assert [(row["person"], row["subject"]) for row in await identities()] == \
        [(person["id"], "first-sub"), (person["id"], "second-sub")]


async def test_the_provider_reporting_access_denied_gets_a_clear_page(user):
    started = await support.start(user)
    location = await support.authorize_at_mock(started.headers["location"], "x", deny=True)
    assert "error=access_denied" in location
    refused(await support.back_to_us(user, location), 403, "Sign-in was cancelled")
    assert not await signed_in(user)


@pytest.mark.parametrize("query", ["", "?code=abc", "?state=forged&code=abc"])
async def test_missing_or_mismatched_state_is_refused(user, query):
    await support.start(user)
    refused(await user.get(f"/account/sign-in/oidc/callback{query}"), 400,
            "This sign-in has expired")


async def test_a_callback_in_another_browser_session_is_refused(user, social_app):
    started = await support.start(user)
    location = await support.authorize_at_mock(started.headers["location"], "x2", VERIFIED)
    async with support.browser_for(social_app, peer="198.51.100.9") as attacker:
        refused(await support.back_to_us(attacker, location), 400, "expired")
        assert not await signed_in(attacker)
    assert await identities() == []


async def test_a_replayed_callback_and_a_replayed_code_are_refused(user):
    started = await support.start(user)
    location = await support.authorize_at_mock(started.headers["location"], "replay", VERIFIED)
    assert (await support.back_to_us(user, location)).status_code == 303
    refused(await support.back_to_us(user, location), 400, "expired")  # the flow is used up
    # A fresh flow in the same browser, completed with the old code: the provider refuses.
    code = parse_qs(urlsplit(location).query)["code"][0]
    fresh_state = parse_qs(urlsplit((await support.start(user)).headers["location"]).query)
    refused(await user.get(f"/account/sign-in/oidc/callback?state={fresh_state['state'][0]}"
                           f"&code={code}"), 400, "couldn&#39;t confirm")


async def test_a_code_from_another_flow_fails_on_the_nonce(user, social_app):
    victim_started = await support.start(user)
    async with support.browser_for(social_app, peer="198.51.100.9") as attacker:
        attacker_started = await support.start(attacker)
        attacker_location = await support.authorize_at_mock(
            attacker_started.headers["location"], "attacker", VERIFIED)
    # The attacker's code injected into the victim's callback, with the victim's own state.
    victim_state = parse_qs(urlsplit(victim_started.headers["location"]).query)["state"][0]
    code = parse_qs(urlsplit(attacker_location).query)["code"][0]
    refused(await user.get(f"/account/sign-in/oidc/callback?state={victim_state}&code={code}"),
            400, "couldn&#39;t confirm")
    assert await people() == []


async def test_an_expired_id_token_is_refused(user, social_app):
    started = await support.start(user)
    location = await support.authorize_at_mock(started.headers["location"], "late", VERIFIED)
    # The mock's tokens live one hour: arrive two hours later by our clock.
    social_app.state.clock = FrozenClock(datetime.now(UTC) + timedelta(hours=2))
    refused(await support.back_to_us(user, location), 400, "couldn&#39;t confirm")
    assert await people() == []


@pytest.mark.parametrize("server", ["silent", "closed"])
async def test_an_unreachable_provider_gets_a_clear_page(monkeypatch, server):
    monkeypatch.setattr(web_oidc, "HTTP_TIMEOUT", 0.3)
    with support.silent_server() as silent:
        url = silent if server == "silent" else "http://127.0.0.1:9"
        async with support.running_app(**support.oidc_settings(url)) as application, \
                support.browser_for(application) as browser:
            started = time.monotonic()
            refused(await support.start(browser), 503, "Acme SSO isn&#39;t answering")
            assert time.monotonic() - started < 5


# Forged tokens from the crafted provider


FORGERIES = {
    "wrong audience": lambda p, h, c: p.sign(h, {**c, "aud": "another-client"}),
    "two audiences without azp": lambda p, h, c: p.sign(h, {**c, "aud": [CLIENT_ID, "other"]}),
    "wrong issuer": lambda p, h, c: p.sign(h, {**c, "iss": "https://evil.example"}),
    "expired": lambda p, h, c: p.sign(h, {**c, "exp": int(time.time()) - 120}),
    "issued in the future": lambda p, h, c: p.sign(h, {**c, "iat": int(time.time()) + 600}),
    "issued long ago": lambda p, h, c: p.sign(h, {**c, "iat": int(time.time()) - 7200}),
    "no iat": lambda p, h, c: p.sign(h, {k: v for k, v in c.items() if k != "iat"}),
    "wrong nonce": lambda p, h, c: p.sign(h, {**c, "nonce": "not-the-one-we-sent"}),
    "no nonce": lambda p, h, c: p.sign(h, {k: v for k, v in c.items() if k != "nonce"}),
    "alg none": lambda p, h, c: support.unsigned(h, c),
    "HS256 keyed on the client secret": lambda p, h, c: jwt.encode(
        {"alg": "HS256"}, c, OctKey.import_key(CLIENT_SECRET * 2), algorithms=["HS256"]),
    "RS384 outside the allow-list": lambda p, h, c: p.sign({**h, "alg": "RS384"}, c),
    "bad signature": lambda p, h, c: p.sign(h, c, support.rsa_key("rsa-1", variant=1)),
    "tampered payload": lambda p, h, c: p.tampered(h, c, email="victim@example.com"),
    "not a JWT": lambda p, h, c: "not.a.jwt",
}


@pytest.mark.parametrize("forgery", list(FORGERIES))
async def test_forged_id_tokens_are_refused(crafted, crafted_user, forgery):
    crafted.forge = lambda header, claims: FORGERIES[forgery](crafted, header, claims)
    refused(await support.sign_in_via(crafted_user, "oidc"), 400, "couldn&#39;t confirm")
    assert await people() == [] and not await signed_in(crafted_user)


async def test_es256_tokens_are_accepted(crafted, crafted_user):
    crafted.keys = [ECKey.generate_key("P-256", {"kid": "ec-1"}, private=True)]
    assert (await support.sign_in_via(crafted_user, "oidc")).status_code == 303
    assert await signed_in(crafted_user)


async def test_discovery_and_keys_are_cached_and_a_new_kid_refetches_keys(crafted, crafted_user):
    for _ in range(2):
        assert (await support.sign_in_via(crafted_user, "oidc")).status_code == 303
    assert crafted.hits == {"discovery": 1, "jwks": 1}
    crafted.keys = [support.rsa_key("rsa-2")]  # the provider rotates its key
    assert (await support.sign_in_via(crafted_user, "oidc")).status_code == 303
    assert crafted.hits == {"discovery": 1, "jwks": 2}


@pytest.mark.parametrize("override", [
    {"issuer": "https://evil.example"},
    {"token_endpoint": "http://10.0.0.1/token"},
    {"jwks_uri": "http://169.254.169.254/latest/meta-data"},
    {"authorization_endpoint": None},
])
async def test_a_suspicious_discovery_document_is_refused_before_any_request(
        crafted, crafted_user, monkeypatch, override):
    hosts: list[str] = []
    original = httpx.AsyncHTTPTransport.handle_async_request

    async def spy(self, request):
        hosts.append(request.url.host)
        return await original(self, request)

    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", spy)
    crafted.discovery_overrides = override
    refused(await support.start(crafted_user), 502, "reported a problem")
    assert set(hosts) == {"127.0.0.1"}, "no request may leave for a host the document names"


@pytest.mark.parametrize(("url", "issuer", "allowed"), [
    ("https://idp.example/jwks", "https://idp.example", True),
    ("http://idp.example/jwks", "https://idp.example", False),
    ("https://127.0.0.1/jwks", "https://idp.example", False),
    ("https://[::1]/jwks", "https://idp.example", False),
    ("https://10.1.2.3/jwks", "https://idp.example", False),
    ("https://192.168.0.1/jwks", "https://idp.example", False),
    ("https://169.254.169.254/", "https://idp.example", False),
    ("https://0.0.0.0/", "https://idp.example", False),
    ("https://[::ffff:10.0.0.1]/", "https://idp.example", False),
    ("https://localhost/", "https://idp.example", False),
    ("https://2130706433/", "https://idp.example", False),
    ("https://0177.0.0.1/", "https://idp.example", False),
    ("https://0x7f.1/", "https://idp.example", False),
    ("http://127.0.0.1:9400/jwks", "http://127.0.0.1:9400", True),
    ("https://idp.example/jwks", "http://127.0.0.1:9400", False),
])
def test_discovery_endpoints_follow_the_ssrf_rule(url, issuer, allowed):
    if allowed:
        assert oauth.check_endpoint(url, issuer=issuer) == url
    else:
        with pytest.raises(oauth.SocialProblem):
            oauth.check_endpoint(url, issuer=issuer)


OIDC_CLIENT = {"PORTAL_OIDC_CLIENT_ID": "c", "PORTAL_OIDC_CLIENT_SECRET": "s"}


@pytest.mark.parametrize(("env", "error"), [
    ({"PORTAL_OIDC_ISSUER": "http://idp.example", **OIDC_CLIENT}, "https"),
    ({"PORTAL_OIDC_ISSUER": "https://idp.example"}, "together"),
    ({"PORTAL_GITHUB_CLIENT_ID": "x"}, "together"),
    ({"PORTAL_GITHUB_API_URL": "http://10.0.0.1/api"}, "PORTAL_GITHUB_API_URL"),
])
def test_provider_settings_are_checked_at_start(tmp_path, env, error):
    from settings import ConfigError, load_settings

    with pytest.raises(ConfigError, match=error):
        load_settings({"VAR_DIR": str(tmp_path), **env})


def test_loopback_issuers_and_defaults_are_accepted(tmp_path):
    from settings import load_settings

    settings = load_settings({"VAR_DIR": str(tmp_path),
                              "PORTAL_OIDC_ISSUER": "http://127.0.0.1:9400", **OIDC_CLIENT})
    assert settings.social_sign_in == (("oidc", "Single sign-on"),)
    assert settings.portal_github_api_url == "https://api.github.com"
    assert "client_secret" not in repr(settings), "secrets stay out of logs and tracebacks"


# GitHub


async def test_github_signs_in_with_a_verified_primary_email(user, github):
    github.emails = [{"email": "old@example.com", "primary": False, "verified": True},
                     github.emails[0]]
    done = await support.sign_in_via(user, "github")
    assert done.status_code == 303 and await signed_in(user)
    [person] = await people()
    assert person["email"] == "octo@example.com"
    assert await identities() == [{"person": person["id"], "provider": "github",
                                   "issuer": github.url, "subject": "4242"}]


async def test_github_refuses_an_unverified_primary_email(user, github):
    github.emails = [{"email": "octo@example.com", "primary": True, "verified": False},
                     {"email": "other@example.com", "primary": False, "verified": True}]
    refused(await support.sign_in_via(user, "github"), 403, "GitHub hasn&#39;t confirmed")
    assert await people() == [] and not await signed_in(user)


async def test_github_refusing_the_code_gets_a_clear_page(user, github):
    started = await support.start(user, "github")
    location = await support.at_provider(started.headers["location"])
    state = parse_qs(urlsplit(location).query)["state"][0]
    refused(await user.get(f"/account/sign-in/github/callback?state={state}&code=forged"),
            400, "couldn&#39;t confirm")


async def test_oidc_and_github_with_one_verified_email_are_one_person(user, github):
    github.emails = [{"email": "ann@example.com", "primary": True, "verified": True}]
    await support.sign_in_at_mock(user, "ann-at-idp", VERIFIED)
    await user.submit("/account/sign-out", {})
    assert (await support.sign_in_via(user, "github")).status_code == 303
    [person] = await people()
    assert sorted((row["provider"], row["person"]) for row in await identities()) == \
        [("github", person["id"]), ("oidc", person["id"])]
