"""Staff single sign-on (QUALITY O1-O3, S2), end to end over real HTTP, and the SSO
settings page.

Our app runs in-process; the providers are real servers on loopback (tests/oidc_support):
oidc-provider-mock for the flows a real IdP produces, the crafted provider for forged
ID tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from domain.accounts import service as accounts
from domain.db import fetch
from domain.ports import SystemClock
from tests import oidc_support as support
from tests.events_support import staff_browser
from tests.fixtures import Browser
from tests.oidc_support import CLIENT_ID, CLIENT_SECRET, refused

COOKIE = "tl_staff"
ANN = {"email": "ann@example.com", "email_verified": True, "name": "Ann Admin"}


def staff_oidc(issuer: str, name: str = "Acme Okta") -> dict[str, str]:
    return {"staff_oidc_issuer": issuer, "staff_oidc_client_id": CLIENT_ID,
            "staff_oidc_client_secret": CLIENT_SECRET, "staff_oidc_name": name}


@pytest.fixture(scope="session")
def idp():
    with support.mock_provider() as url:
        yield url


@pytest.fixture(scope="session")
def crafted_server():
    with support.CraftedProvider().running() as provider:
        yield provider


@pytest.fixture
def crafted(crafted_server):
    crafted_server.reset()
    return crafted_server


@pytest.fixture
async def sso_app(idp):
    async with support.running_app(**staff_oidc(idp)) as application:
        yield application


@pytest.fixture
async def user(sso_app):
    async with support.browser_for(sso_app) as browser:
        yield browser


@pytest.fixture
async def crafted_user(crafted_server):
    async with support.running_app(**staff_oidc(crafted_server.url)) as application, \
            support.browser_for(application) as browser:
        yield browser


async def set_policy(**values) -> None:
    row = {"local_login_enabled": True, "jit_provisioning": False, "default_role": "",
           "allowed_domains": ["example.com"], "groups_claim": "groups", "group_roles": {},
           "mfa_required_roles": [], **values}
    await fetch(
        "INSERT INTO sso_settings (id, local_login_enabled, jit_provisioning, default_role, "
        "allowed_domains, groups_claim, group_roles, mfa_required_roles) "
        "VALUES (1, $1, $2, $3, $4, $5, $6::jsonb, $7) ON CONFLICT (id) DO UPDATE SET "
        "local_login_enabled = $1, jit_provisioning = $2, default_role = $3, "
        "allowed_domains = $4, groups_claim = $5, group_roles = $6::jsonb, "
        "mfa_required_roles = $7",
        row["local_login_enabled"], row["jit_provisioning"], row["default_role"],
        row["allowed_domains"], row["groups_claim"], json.dumps(row["group_roles"]),
        row["mfa_required_roles"])


async def staff_account(email: str = "ann@example.com", roles=("admin",)) -> int:
    staff = await accounts.create_user(email=email, full_name="Ann Admin", roles=list(roles),
                                       password="a-long-test-password", clock=SystemClock())
    return staff.id


async def start(browser: Browser, next_path: str = ""):
    query = f"?next={next_path}" if next_path else ""
    return await browser.get(f"/backoffice/sso/start{query}")


async def sign_in_at_mock(browser: Browser, sub: str, claims: dict | None = None,
                          next_path: str = ""):
    started = await start(browser, next_path)
    assert started.status_code == 303, started.text
    location = await support.authorize_at_mock(started.headers["location"], sub, claims)
    return await support.back_to_us(browser, location)


async def sign_in_crafted(browser: Browser):
    started = await start(browser)
    assert started.status_code == 303, started.text
    return await support.back_to_us(browser, await support.at_provider(
        started.headers["location"]))


async def sign_out(browser: Browser) -> None:
    await browser.get("/backoffice/account/sessions")  # a page with the CSRF token
    assert (await browser.submit("/backoffice/logout", {})).status_code == 303


async def signed_in(browser: Browser) -> bool:
    return (await browser.get("/backoffice/account/sessions")).status_code == 200


async def identities() -> list[dict]:
    return await fetch("SELECT staff, issuer, subject FROM staff_identities ORDER BY id")


async def refusals() -> list[str]:
    rows = await fetch("SELECT detail FROM audit_entries WHERE action = 'staff.sso_refused' "
                       "ORDER BY id")
    return [json.loads(r["detail"])["kind"] if isinstance(r["detail"], str)
            else r["detail"]["kind"] for r in rows]


async def audit_text() -> str:
    rows = await fetch("SELECT action, actor, subject, detail::text AS detail "
                       "FROM audit_entries ORDER BY id")
    return "\n".join(" ".join(str(value) for value in row.values()) for row in rows)


# The sign-in page and the start of the flow


async def test_the_button_appears_only_when_sso_is_configured(browser, user):
    assert "Sign in with" not in (await browser.get("/backoffice/login")).text
    assert (await browser.get("/backoffice/sso/start")).status_code == 404
    page = (await user.get("/backoffice/login")).text
    assert 'href="/backoffice/sso/start?next=' in page and "Sign in with Acme Okta" in page


async def test_start_redirects_with_pkce_state_and_nonce(user, idp):
    started = await start(user, "/backoffice/staff")
    assert started.status_code == 303
    location = started.headers["location"]
    assert location.startswith(f"{idp}/oauth2/authorize?")
    query = parse_qs(urlsplit(location).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["client_id"] == [CLIENT_ID] and query["response_type"] == ["code"]
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["redirect_uri"] == ["http://testserver/backoffice/sso/callback"]


# Signing in through oidc-provider-mock


async def test_a_linked_account_signs_in_and_the_session_id_rotates(user, idp):
    staff_id = await staff_account()
    await set_policy()
    started = await start(user, "/backoffice/staff")
    before = user.client.cookies[COOKIE]
    location = await support.authorize_at_mock(started.headers["location"], "ann-1", ANN)
    done = await support.back_to_us(user, location)
    assert done.status_code == 303 and done.headers["location"] == "/backoffice/staff"
    assert user.client.cookies[COOKIE] != before, "the session id rotates at sign-in (S2)"
    assert await signed_in(user)
    assert await identities() == [{"staff": staff_id, "issuer": idp, "subject": "ann-1"}]
    assert '"method": "sso"' in await audit_text()
    # Keyed on (iss, sub): a later sign-in works whatever email the IdP now reports.
    await sign_out(user)
    renamed = {**ANN, "email": "ann.other@elsewhere.example"}
    assert (await sign_in_at_mock(user, "ann-1", renamed)).status_code == 303
    assert await signed_in(user)


async def test_the_pre_sign_in_session_id_is_worthless_afterwards(user, sso_app):
    await staff_account()
    await set_policy()
    started = await start(user)
    planted = user.client.cookies[COOKIE]
    await support.back_to_us(user, await support.authorize_at_mock(
        started.headers["location"], "ann-2", ANN))
    async with support.browser_for(sso_app, peer="198.51.100.9") as attacker:
        attacker.client.cookies.set(COOKIE, planted)
        assert not await signed_in(attacker)


async def test_same_email_with_another_subject_is_not_merged(user):
    staff_id = await staff_account()
    await set_policy()
    assert (await sign_in_at_mock(user, "first-sub", ANN)).status_code == 303
    await sign_out(user)
    response = await sign_in_at_mock(user, "second-sub", ANN)
    refused(response, 403, "already linked to a different")
    assert not await signed_in(user)
    assert [row["subject"] for row in await identities()] == ["first-sub"]
    assert (await identities())[0]["staff"] == staff_id
    assert await refusals() == ["conflict"]


@pytest.mark.parametrize(("claims", "policy", "kind", "text"), [
    ({**ANN, "email_verified": False}, {}, "unverified", "isn&#39;t verified"),
    (ANN, {"allowed_domains": []}, "domain", "domain isn&#39;t allowed"),
    ({**ANN, "email": "ann@other.example"}, {}, "domain", "domain isn&#39;t allowed"),
    ({**ANN, "email": "nobody@example.com"}, {}, "unknown", "no staff account"),
])
async def test_identities_that_cannot_be_linked_are_refused(user, claims, policy, kind, text):
    await staff_account()
    await set_policy(**policy)
    refused(await sign_in_at_mock(user, "someone", claims), 403, text)
    assert await identities() == [] and not await signed_in(user)
    assert await refusals() == [kind]


async def test_a_disabled_account_is_refused_even_when_linked(user):
    staff_id = await staff_account()
    await staff_account("other@example.com")  # the last admin cannot be disabled: not Ann
    await set_policy()
    assert (await sign_in_at_mock(user, "ann-3", ANN)).status_code == 303
    await sign_out(user)
    await fetch("UPDATE staff_users SET is_active = false WHERE id = $1", staff_id)
    refused(await sign_in_at_mock(user, "ann-3", ANN), 403, "disabled")
    assert await refusals() == ["disabled"]


# Just-in-time provisioning and roles from groups


JIT = {"jit_provisioning": True, "default_role": "hiring_manager",
       "group_roles": {"recruiting": ["recruiter"], "it": ["admin"]}}


async def test_jit_provisioning_creates_an_account_with_mapped_roles(user):
    await set_policy(**JIT)
    claims = {"email": "rita@example.com", "email_verified": True, "name": "Rita R",
              "groups": ["recruiting", "unrelated"]}
    assert (await sign_in_at_mock(user, "rita", claims)).status_code == 303
    [row] = await fetch("SELECT email, full_name, roles, password_hash FROM staff_users")
    assert row == {"email": "rita@example.com", "full_name": "Rita R", "roles": ["recruiter"],
                   "password_hash": ""}
    assert (await user.get("/backoffice/candidates")).status_code == 200


async def test_jit_without_matching_groups_gets_the_default_role(user):
    await set_policy(**JIT)
    claims = {"email": "hank@example.com", "email_verified": True, "name": "Hank"}
    assert (await sign_in_at_mock(user, "hank", claims)).status_code == 303
    assert (await fetch("SELECT roles FROM staff_users"))[0]["roles"] == ["hiring_manager"]
    await sign_out(user)
    unmapped = {**claims, "groups": ["unrelated"]}  # groups, none of them mapped
    assert (await sign_in_at_mock(user, "hank", unmapped)).status_code == 303
    assert (await fetch("SELECT roles FROM staff_users"))[0]["roles"] == ["hiring_manager"]


async def test_jit_refuses_domains_off_the_allow_list(user):
    await set_policy(**JIT)
    claims = {"email": "eve@evil.example", "email_verified": True, "groups": ["it"]}
    refused(await sign_in_at_mock(user, "eve", claims), 403, "domain")
    assert await fetch("SELECT id FROM staff_users") == []


async def test_roles_follow_the_groups_claim_and_losing_one_ends_other_sessions(user, sso_app):
    await staff_account("rob@example.com", roles=("recruiter",))
    await staff_account("ann@example.com")  # an admin, so nobody is the last one
    await set_policy(**JIT)
    member = {"email": "rob@example.com", "email_verified": True, "groups": ["recruiting"]}
    assert (await sign_in_at_mock(user, "rob", member)).status_code == 303
    async with support.browser_for(sso_app, peer="198.51.100.7") as laptop:
        assert (await sign_in_at_mock(laptop, "rob", member)).status_code == 303
        assert await signed_in(laptop)
        moved = {**member, "groups": ["unrelated"]}
        assert (await sign_in_at_mock(user, "rob", moved)).status_code == 303
        [row] = await fetch("SELECT roles, session_epoch FROM staff_users "
                            "WHERE email = 'rob@example.com'")
        assert row["roles"] == ["hiring_manager"] and row["session_epoch"] == 1
        assert not await signed_in(laptop), "losing a role ends the other sessions"
    assert await signed_in(user), "the session started after the change goes on"


# MFA reported by the identity provider


@pytest.mark.parametrize(("extra", "allowed"), [
    ({}, False), ({"amr": ["pwd"]}, False), ({"amr": ["pwd", "otp"]}, True),
    ({"amr": ["hwk"]}, True), ({"amr": ["mfa"]}, True),
    ({"acr": "http://schemas.openid.net/pape/policies/2007/06/multi-factor"}, True),
])
async def test_roles_that_require_mfa_need_it_in_amr_or_acr(user, extra, allowed):
    await staff_account()
    await set_policy(mfa_required_roles=["admin"])
    response = await sign_in_at_mock(user, "ann-mfa", {**ANN, **extra})
    if allowed:
        assert response.status_code == 303 and await signed_in(user)
    else:
        refused(response, 403, "Multi-factor sign-in is required")
        assert not await signed_in(user) and await refusals() == ["mfa"]
        assert await identities() == [], "a refused first sign-in links nothing"


# The protocol: state, code replay, nonce


@pytest.mark.parametrize("query", ["", "?code=abc", "?state=forged&code=abc"])
async def test_missing_or_mismatched_state_is_refused(user, query):
    await start(user)
    refused(await user.get(f"/backoffice/sso/callback{query}"), 400,
            "This sign-in has expired")
    assert await refusals() == ["state"]


async def test_a_callback_in_another_browser_session_is_refused(user, sso_app):
    await staff_account()
    await set_policy()
    started = await start(user)
    location = await support.authorize_at_mock(started.headers["location"], "x", ANN)
    async with support.browser_for(sso_app, peer="198.51.100.9") as attacker:
        refused(await support.back_to_us(attacker, location), 400, "expired")
        assert not await signed_in(attacker)
    assert await identities() == []


async def test_a_replayed_callback_and_a_replayed_code_are_refused(user):
    await staff_account()
    await set_policy()
    started = await start(user)
    location = await support.authorize_at_mock(started.headers["location"], "replay", ANN)
    assert (await support.back_to_us(user, location)).status_code == 303
    refused(await support.back_to_us(user, location), 400, "expired")
    code = parse_qs(urlsplit(location).query)["code"][0]
    fresh = parse_qs(urlsplit((await start(user)).headers["location"]).query)
    refused(await user.get(f"/backoffice/sso/callback?state={fresh['state'][0]}&code={code}"),
            400, "couldn&#39;t confirm")
    assert await refusals() == ["state", "code"]
    assert code not in await audit_text(), "codes and tokens stay out of the audit log"


async def test_a_code_from_another_flow_fails_on_the_nonce(user, sso_app):
    await staff_account()
    await set_policy()
    victim = await start(user)
    async with support.browser_for(sso_app, peer="198.51.100.9") as attacker:
        theirs = await start(attacker)
        location = await support.authorize_at_mock(theirs.headers["location"], "atk", ANN)
    state = parse_qs(urlsplit(victim.headers["location"]).query)["state"][0]
    code = parse_qs(urlsplit(location).query)["code"][0]
    refused(await user.get(f"/backoffice/sso/callback?state={state}&code={code}"), 400,
            "couldn&#39;t confirm")
    assert await identities() == [] and await refusals() == ["token"]


async def test_the_provider_reporting_access_denied_gets_a_clear_page(user):
    started = await start(user)
    location = await support.authorize_at_mock(started.headers["location"], "x", deny=True)
    refused(await support.back_to_us(user, location), 403, "Sign-in was cancelled")


# Forged ID tokens from the crafted provider


def hs256_with_public_key(provider, header: dict, claims: dict) -> str:
    """CVE-2024-37568: an HS256 token whose HMAC key is the provider's public RSA key."""
    signing_input = f"{support.b64({**header, 'alg': 'HS256'})}.{support.b64(claims)}"
    key = provider.keys[0].as_pem(private=False)
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


FORGERIES = {
    "alg none": lambda p, h, c: support.unsigned(h, c),
    "HS256 keyed on the client secret": lambda p, h, c: jwt.encode(
        {"alg": "HS256"}, c, OctKey.import_key(CLIENT_SECRET * 2), algorithms=["HS256"]),
    "HS256 keyed on the RS public key": hs256_with_public_key,
    "wrong audience": lambda p, h, c: p.sign(h, {**c, "aud": "another-client"}),
    "wrong issuer": lambda p, h, c: p.sign(h, {**c, "iss": "https://evil.example"}),
    "expired": lambda p, h, c: p.sign(h, {**c, "exp": int(time.time()) - 120}),
    "wrong nonce": lambda p, h, c: p.sign(h, {**c, "nonce": "not-the-one-we-sent"}),
    "bad signature": lambda p, h, c: p.sign(h, c, support.rsa_key("rsa-1", variant=1)),
    "tampered payload": lambda p, h, c: p.tampered(h, c, sub="someone-else"),
}


async def test_the_crafted_provider_signs_in_when_nothing_is_forged(crafted, crafted_user):
    await staff_account("crafted@example.com")
    await set_policy()
    assert (await sign_in_crafted(crafted_user)).status_code == 303
    assert await signed_in(crafted_user)


@pytest.mark.parametrize("forgery", list(FORGERIES))
async def test_forged_id_tokens_are_refused(crafted, crafted_user, forgery):
    await staff_account("crafted@example.com")
    await set_policy()
    crafted.forge = lambda header, claims: FORGERIES[forgery](crafted, header, claims)
    refused(await sign_in_crafted(crafted_user), 400, "couldn&#39;t confirm")
    assert not await signed_in(crafted_user) and await identities() == []
    assert await refusals() == ["token"]
    assert "eyJ" not in await audit_text(), "no token in the audit log"


# The SSO settings page


SETTINGS = {"local_login_enabled": "on", "default_role": "", "allowed_domains": "example.com",
            "groups_claim": "groups", "group_roles": ""}


async def admin_browser(app) -> Browser:
    browser = await staff_browser(app, "ann@example.com", ["admin"])
    await browser.get("/backoffice/sso")
    return browser


async def test_the_settings_page_is_for_admins_only(app):
    recruiter = await staff_browser(app, "rec@example.com", ["recruiter"])
    assert (await recruiter.get("/backoffice/sso")).status_code == 403
    admin = await admin_browser(app)
    page = await admin.get("/backoffice/sso")
    assert page.status_code == 200 and "Single sign-on is not configured" in page.text
    assert (await admin.submit("/backoffice/sso", SETTINGS, csrf=False)).status_code == 403


async def test_settings_are_validated_per_field(app):
    admin = await admin_browser(app)
    response = await admin.submit("/backoffice/sso", [
        *{**SETTINGS, "default_role": "overlord", "allowed_domains": "not a domain!",
          "group_roles": '{"it": "admin"}', "groups_claim": "bad claim"}.items(),
        ("mfa_required_roles", "wizard")])
    assert response.status_code == 422
    for text in ("“overlord” is not a role", "is not a domain name", "as JSON",
                 "claim name", "“wizard” is not a role"):
        assert text in response.text
    bad_role = await admin.submit("/backoffice/sso", {**SETTINGS,
                                                      "group_roles": '{"it": ["root"]}'})
    assert bad_role.status_code == 422 and "“root” is not a role" in bad_role.text
    assert await fetch("SELECT id FROM sso_settings") == []


async def test_valid_settings_are_saved_and_audited(app):
    admin = await admin_browser(app)
    response = await admin.submit("/backoffice/sso", [
        *{**SETTINGS, "jit_provisioning": "on", "default_role": "hiring_manager",
          "allowed_domains": "Example.com\nacme.example",
          "group_roles": '{"recruiting": ["recruiter"]}'}.items(),
        ("mfa_required_roles", "admin"), ("mfa_required_roles", "recruiter")])
    assert response.status_code == 303, response.text
    [row] = await fetch("SELECT * FROM sso_settings")
    assert row["allowed_domains"] == ["example.com", "acme.example"]
    assert json.loads(row["group_roles"]) == {"recruiting": ["recruiter"]}
    assert row["mfa_required_roles"] == ["admin", "recruiter"] and row["jit_provisioning"]
    assert row["updated_by"] == "ann@example.com"
    assert "sso.settings_changed" in await audit_text()
    page = (await admin.get("/backoffice/sso?notice=saved")).text
    assert "saved" in page and "acme.example" in page


async def test_local_login_cannot_be_turned_off_without_working_sso(app, sso_app, user):
    off = {**SETTINGS, "local_login_enabled": ""}
    plain = await admin_browser(app)  # this app has no STAFF_OIDC_* settings
    response = await plain.submit("/backoffice/sso", off)
    assert response.status_code == 422 and "signed in with it at least once" in response.text
    # Configured, but this admin has never signed in with it: still refused.
    root = await staff_browser(sso_app, "root@example.com", ["admin"])
    await root.get("/backoffice/sso")
    response = await root.submit("/backoffice/sso", off)
    assert response.status_code == 422 and "at least once" in response.text
    # After signing in with SSO, the same admin can turn local login off.
    await set_policy()
    claims = {"email": "root@example.com", "email_verified": True}
    assert (await sign_in_at_mock(user, "root", claims)).status_code == 303
    await user.get("/backoffice/sso")
    assert (await user.submit("/backoffice/sso", off)).status_code == 303
    # The password form is gone and password sign-ins are refused, with a clear message.
    async with support.browser_for(sso_app) as other:
        page = await other.get("/backoffice/login")
        assert 'action="/backoffice/login"' not in page.text and "Sign in with" in page.text
        # A client that kept a CSRF token from earlier still gets a clear refusal.
        other.client.cookies.set("tl_csrf", user.client.cookies["tl_csrf"])
        other.last_token = user.last_token
        refused(await other.submit("/backoffice/login", {
            "email": "root@example.com", "password": "a-long-test-password"}), 403,
            "turned off here")
        assert not await signed_in(other)


async def test_without_sso_configured_only_admins_may_sign_in_with_a_password(app, browser):
    await staff_account("ann@example.com", roles=("admin",))
    await staff_account("rec@example.com", roles=("recruiter",))
    await set_policy(local_login_enabled=False)  # SSO was switched off in the environment
    page = await browser.get("/backoffice/login")
    assert "only admins" in page.text
    refused(await browser.submit("/backoffice/login", {
        "email": "rec@example.com", "password": "a-long-test-password"}), 403, "only admins")
    assert not await signed_in(browser)
    await browser.get("/backoffice/login")
    assert (await browser.submit("/backoffice/login", {
        "email": "ann@example.com", "password": "a-long-test-password"})).status_code == 303
    assert await signed_in(browser)
