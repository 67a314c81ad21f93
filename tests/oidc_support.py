"""Sign-in providers that run on loopback for tests, and helpers that act as the person.

- `mock_provider()`: the real oidc-provider-mock (a Flask app built on Authlib) whose
  authorization page lets a test choose the subject; claims are set with PUT /users/<sub>.
- `CraftedProvider`: a tiny OIDC provider whose ID tokens each test shapes (algorithm,
  key, claims), for the attacks a well-behaved provider never produces.
- `FakeGitHub`: GitHub's authorize and token endpoints and the user/emails API.
- `silent_server()`: accepts connections and never answers, for timeouts.
Each server is a WSGI app in a werkzeug thread on 127.0.0.1 with a free port.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
import secrets
import socket
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode, urlsplit

import flask
import httpx
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey
from werkzeug.serving import make_server

from tests.fixtures import Browser

CLIENT_ID, CLIENT_SECRET = "talentloop-portal", "portal-client-secret"


@contextlib.contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve a WSGI app on a free loopback port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextlib.contextmanager
def mock_provider() -> Iterator[str]:
    import oidc_provider_mock

    with serve(oidc_provider_mock.app(require_nonce=True)) as url:
        yield url


@contextlib.contextmanager
def silent_server() -> Iterator[str]:
    """A port whose kernel completes the handshake while nobody ever reads or answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@functools.cache
def rsa_key(kid: str, variant: int = 0) -> RSAKey:
    """A private RSA key, generated once per (kid, variant): key generation is slow."""
    return RSAKey.generate_key(2048, {"kid": kid}, private=True)


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


class CraftedProvider:
    """Issues ID tokens shaped by `self.forge(header, claims) -> token` (None: sign as is)."""

    def __init__(self) -> None:
        self.url = ""
        self.reset()

    def reset(self) -> None:
        self.keys: list[Any] = [rsa_key("rsa-1")]
        self.hits: Counter[str] = Counter()
        self.codes: dict[str, str] = {}  # code -> nonce
        self.forge: Callable[[dict, dict], str | None] = lambda header, claims: None
        self.discovery_overrides: dict[str, Any] = {}

    def sign(self, header: dict, claims: dict, key: Any = None) -> str:
        return jwt.encode(header, claims, key or self.keys[0], algorithms=[header["alg"]])

    def tampered(self, header: dict, claims: dict, **changes: Any) -> str:
        """A correctly signed token whose payload is then swapped for a changed one."""
        head, _, signature = self.sign(header, claims).split(".")
        return f"{head}.{b64({**claims, **changes})}.{signature}"

    def claims(self, nonce: str) -> dict:
        now = int(time.time())
        return {"iss": self.url, "sub": "crafted-1", "aud": CLIENT_ID, "iat": now,
                "exp": now + 300, "nonce": nonce, "email": "crafted@example.com",
                "email_verified": True, "name": "Cora Crafted"}

    def wsgi(self) -> flask.Flask:
        app = flask.Flask("crafted")

        @app.get("/.well-known/openid-configuration")
        def discovery():
            self.hits["discovery"] += 1
            return {"issuer": self.url, "authorization_endpoint": f"{self.url}/authorize",
                    "token_endpoint": f"{self.url}/token", "jwks_uri": f"{self.url}/jwks",
                    **self.discovery_overrides}

        @app.get("/jwks")
        def jwks():
            self.hits["jwks"] += 1
            return KeySet(self.keys).as_dict(private=False)

        @app.get("/authorize")
        def authorize():
            code = secrets.token_urlsafe(16)
            self.codes[code] = flask.request.args["nonce"]
            query = urlencode({"code": code, "state": flask.request.args["state"]})
            return flask.redirect(f"{flask.request.args['redirect_uri']}?{query}")

        @app.post("/token")
        def token():
            nonce = self.codes.pop(flask.request.form.get("code", ""), None)
            if nonce is None:
                return {"error": "invalid_grant"}, 400
            key = self.keys[0]
            header = {"alg": "ES256" if isinstance(key, ECKey) else "RS256", "kid": key.kid}
            claims = self.claims(nonce)
            id_token = self.forge(header, claims) or self.sign(header, claims)
            return {"access_token": "at", "token_type": "Bearer", "id_token": id_token}

        return app

    @contextlib.contextmanager
    def running(self) -> Iterator[CraftedProvider]:
        with serve(self.wsgi()) as url:
            self.url = url
            yield self


class FakeGitHub:
    """GitHub's OAuth endpoints and REST API, enough for sign-in. PKCE is verified."""

    def __init__(self) -> None:
        self.user: dict = {}
        self.emails: list[dict] = []
        self.codes: dict[str, tuple[str, dict, list]] = {}  # code -> (challenge, user, emails)
        self.tokens: dict[str, tuple[dict, list]] = {}
        self.url = ""

    def wsgi(self) -> flask.Flask:
        app = flask.Flask("github")

        @app.get("/login/oauth/authorize")
        def authorize():
            args = flask.request.args
            assert args["client_id"] == CLIENT_ID and args["code_challenge_method"] == "S256"
            code = secrets.token_urlsafe(16)
            self.codes[code] = (args["code_challenge"], dict(self.user), list(self.emails))
            query = urlencode({"code": code, "state": args["state"]})
            return flask.redirect(f"{args['redirect_uri']}?{query}")

        @app.post("/login/oauth/access_token")
        def access_token():
            form = flask.request.form
            challenge, user, emails = self.codes.pop(form.get("code", ""), ("", {}, []))
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if not challenge or challenge != expected or \
                    form.get("client_secret") != CLIENT_SECRET:
                return {"error": "bad_verification_code"}  # GitHub answers 200 with an error
            token = secrets.token_urlsafe(16)
            self.tokens[token] = (user, emails)
            return {"access_token": token, "token_type": "bearer", "scope": "read:user"}

        def _account() -> tuple[dict, list]:
            token = flask.request.headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in self.tokens:
                flask.abort(401)
            return self.tokens[token]

        @app.get("/api/user")
        def user():
            return _account()[0]

        @app.get("/api/user/emails")
        def emails():
            return _account()[1]

        return app

    @contextlib.contextmanager
    def running(self) -> Iterator[FakeGitHub]:
        with serve(self.wsgi()) as url:
            self.url = url
            yield self

    def settings(self) -> dict[str, str]:
        return {"portal_github_client_id": CLIENT_ID,
                "portal_github_client_secret": CLIENT_SECRET,
                "portal_github_api_url": f"{self.url}/api",
                "portal_github_authorize_url": f"{self.url}/login/oauth/authorize",
                "portal_github_token_url": f"{self.url}/login/oauth/access_token"}


def oidc_settings(issuer: str, name: str = "Acme SSO") -> dict[str, str]:
    return {"portal_oidc_issuer": issuer, "portal_oidc_client_id": CLIENT_ID,
            "portal_oidc_client_secret": CLIENT_SECRET, "portal_oidc_name": name}


@contextlib.asynccontextmanager
async def running_app(**overrides: Any) -> AsyncIterator[Any]:
    """An app built with these settings, its lifespan held in one task (see tests/fixtures)."""
    from asgi import create_app
    from settings import get_settings
    from tests.fixtures import running

    async with running(create_app(replace(get_settings(), **overrides))) as application:
        yield application


@contextlib.asynccontextmanager
async def browser_for(application: Any, peer: str = "203.0.113.20") -> AsyncIterator[Browser]:
    transport = httpx.ASGITransport(app=application, client=(peer, 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Browser(client)


async def start(browser: Browser, provider: str = "oidc", next_path: str = "/account"
                ) -> httpx.Response:
    """Press "Continue with …" on the sign-in page: returns our 303 to the provider."""
    await browser.get("/account/sign-in")
    return await browser.submit(f"/account/sign-in/{provider}", {"next": next_path})


async def authorize_at_mock(authorize_url: str, sub: str, claims: dict | None = None,
                            *, deny: bool = False) -> str:
    """Act as the person on the mock provider's page; returns where it sends the browser."""
    base = "{0.scheme}://{0.netloc}".format(urlsplit(authorize_url))
    async with httpx.AsyncClient(timeout=10) as provider:
        if claims is not None:
            assert (await provider.put(f"{base}/users/{sub}", json=claims)).status_code == 204
        form = await provider.get(authorize_url)
        assert form.status_code == 200 and 'name="sub"' in form.text
        answer = await provider.post(authorize_url,
                                     data={"action": "deny"} if deny else {"sub": sub})
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


async def at_provider(authorize_url: str) -> str:
    """Follow a provider that answers without a page (crafted, fake GitHub)."""
    async with httpx.AsyncClient(timeout=10) as provider:
        answer = await provider.get(authorize_url)
    assert answer.status_code in (302, 303), answer.text
    return answer.headers["location"]


async def back_to_us(browser: Browser, location: str) -> httpx.Response:
    """The provider's redirect lands on our callback (the app is in-process)."""
    parts = urlsplit(location)
    assert parts.netloc == "testserver", location
    return await browser.get(f"{parts.path}?{parts.query}")


async def sign_in_at_mock(browser: Browser, sub: str, claims: dict | None = None,
                          next_path: str = "/account") -> httpx.Response:
    started = await start(browser, "oidc", next_path)
    assert started.status_code == 303, started.text
    return await back_to_us(browser, await authorize_at_mock(started.headers["location"], sub,
                                                             claims))


async def sign_in_via(browser: Browser, provider: str) -> httpx.Response:
    """The whole flow against a provider that redirects straight back (crafted, GitHub)."""
    started = await start(browser, provider)
    assert started.status_code == 303, started.text
    return await back_to_us(browser, await at_provider(started.headers["location"]))


async def people() -> list[dict]:
    from domain.db import fetch

    return await fetch("SELECT id, email, source FROM people ORDER BY id")


async def identities() -> list[dict]:
    from domain.db import fetch

    return await fetch("SELECT person, provider, issuer, subject FROM social_identities "
                       "ORDER BY id")


async def signed_in(browser: Browser) -> bool:
    return (await browser.get("/account")).status_code == 200


def refused(response: httpx.Response, status: int, text: str) -> None:
    """A clear page with this status and text: never a stack trace."""
    assert response.status_code == status, response.text
    assert text in response.text and "Traceback" not in response.text


def unsigned(header: dict, claims: dict) -> str:
    return f"{b64({**header, 'alg': 'none'})}.{b64(claims)}."
