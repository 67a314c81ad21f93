"""Sign-in with an OpenID Connect provider (discovery), shared by the portal (candidates)
and the back office (staff SSO), which may not import each other.

Authlib's async httpx client speaks the protocol: authorization code with PKCE (S256) and
the token request. ID tokens are checked here with joserfc. Everything a provider sends is
untrusted input: the discovery document, the keys, the tokens and the profile.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from settings import is_loopback_url

HTTP_TIMEOUT = 5.0  # seconds per provider request: a slow provider must not pin a worker
CACHE_SECONDS = 300  # discovery and keys: few fetches, yet a key rotation is seen soon
ALGORITHMS = ["RS256", "ES256"]  # asymmetric only: never "none", never HS* keyed on a secret
LEEWAY = 60  # seconds of clock skew tolerated on exp and iat
MAX_TOKEN_AGE = 600  # a token we have just asked for cannot have been issued long ago
# Authlib 1.9 runs on httpx unless httpx2 is installed (it is not: requirements.lock).
TRANSPORT_ERRORS = (httpx.HTTPError,)


class SocialProblem(Exception):
    """Why a sign-in failed: state, denied, provider_error, code, token or unreachable."""

    def __init__(self, kind: str, reason: str = "") -> None:
        super().__init__(f"{kind}: {reason}" if reason else kind)
        self.kind, self.reason = kind, reason


class UnknownKey(SocialProblem):
    """The token names a key we have not cached: the provider may have rotated its keys."""


def _random(size: int) -> Callable[[], str]:
    return lambda: secrets.token_urlsafe(size)


@dataclass(frozen=True)
class Flow:
    """The secrets of one started sign-in: `state` against forged callbacks, `nonce` against
    codes from another browser's flow, `verifier` (PKCE) against intercepted codes."""

    state: str = field(default_factory=_random(32))
    nonce: str = field(default_factory=_random(32))
    verifier: str = field(default_factory=_random(48))


@dataclass(frozen=True)
class Identity:
    provider: str
    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    full_name: str
    # Every validated ID-token claim (amr, acr, groups…), for callers with policies on them.
    claims: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@contextmanager
def provider_errors() -> Iterator[None]:
    """Network failures and refusals become SocialProblems: a page, never a 500."""
    try:
        yield
    except OAuthError as exc:  # the token endpoint refused: used, expired or foreign code
        raise SocialProblem("code", exc.error or "refused") from exc
    except TRANSPORT_ERRORS as exc:
        raise SocialProblem("unreachable", type(exc).__name__) from exc


def oauth_client(client_id: str = "", secret: str = "", scope: str = "", redirect_uri: str = "",
                 auth_method: str = "client_secret_basic") -> AsyncOAuth2Client:
    # Redirects are not followed: a provider URL must not bounce us to another host.
    return AsyncOAuth2Client(client_id=client_id, client_secret=secret, scope=scope,
                             redirect_uri=redirect_uri, token_endpoint_auth_method=auth_method,
                             code_challenge_method="S256", timeout=HTTP_TIMEOUT,
                             follow_redirects=False)


async def get_json(url: str, client: AsyncOAuth2Client,
                   accept: str = "application/json") -> Any:
    """GET a JSON document, with the client's access token once it has one."""
    response = await client.request("GET", url, withhold_token=not client.token,
                                    headers={"Accept": accept})
    if response.status_code != 200:
        raise SocialProblem("provider_error", f"HTTP {response.status_code} from {url}")
    try:
        return response.json()
    except ValueError as exc:
        raise SocialProblem("provider_error", f"not JSON: {url}") from exc


def check_endpoint(url: object, *, issuer: str) -> str:
    """An endpoint named by a discovery document: remote input the server will fetch.

    SSRF (QUALITY X7): a loopback issuer (tests, a local IdP) may point only at loopback;
    an https issuer only at https hosts that are not loopback, private or link-local
    literals, so a tampered document cannot aim our requests at the internal network.
    """
    text = url if isinstance(url, str) else ""
    if is_loopback_url(issuer):
        allowed = text.startswith(("http://", "https://")) and is_loopback_url(text)
    else:
        allowed = text.startswith("https://") and not _internal_host(urlsplit(text).hostname)
    if not allowed:
        raise SocialProblem("provider_error", f"refused endpoint {url!r}")
    return text


def _internal_host(host: str | None) -> bool:
    if not host or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        try:  # legacy IPv4 spellings resolvers still honour: 2130706433, 0177.0.0.1, 0x7f.1
            address = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return False  # a DNS name: where it resolves is not checked here
    return not address.is_global


def validate_id_token(id_token: str, *, keys: KeySet, issuer: str, client_id: str,
                      nonce: str, now: float) -> dict[str, Any]:
    """The claims of an ID token that passed the checks of OIDC Core 3.1.3.7."""
    try:
        claims = jwt.decode(id_token, keys, algorithms=ALGORITHMS).claims
    except InvalidKeyIdError as exc:
        raise UnknownKey("token", "no key for its kid") from exc
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise SocialProblem("token", f"unverifiable: {exc!r}") from exc
    registry = jwt.JWTClaimsRegistry(
        now=int(now), leeway=LEEWAY, iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id}, sub={"essential": True},
        exp={"essential": True}, iat={"essential": True}, nonce={"essential": True},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise SocialProblem("token", f"claims: {exc!r}") from exc
    if not hmac.compare_digest(str(claims["nonce"]).encode(), nonce.encode()):
        raise SocialProblem("token", "nonce mismatch")  # a code from another browser's flow
    if isinstance(claims["aud"], list) and len(claims["aud"]) > 1 \
            and claims.get("azp") != client_id:
        raise SocialProblem("token", "azp is not us")
    if claims["iat"] < now - MAX_TOKEN_AGE - LEEWAY:
        raise SocialProblem("token", "issued too long ago")
    return claims


class _Cached:
    """A fetched document kept CACHE_SECONDS; a failed fetch is not kept."""

    def __init__(self, load: Callable[[], Awaitable[Any]]) -> None:
        self._load, self._value, self._at = load, None, 0.0

    async def get(self, *, refresh: bool = False) -> Any:
        if self._value is None or refresh or time.monotonic() - self._at > CACHE_SECONDS:
            self._value, self._at = await self._load(), time.monotonic()
        return self._value


class OidcProvider:
    name, scope = "oidc", "openid email profile"

    def __init__(self, *, issuer: str, client_id: str, client_secret: str, label: str) -> None:
        self.label, self.issuer = label, issuer
        self._id, self._secret = client_id, client_secret
        self._metadata, self._keys = _Cached(self._discover), _Cached(self._fetch_keys)

    async def _discover(self) -> dict[str, Any]:
        async with oauth_client() as client:
            doc = await get_json(f"{self.issuer.rstrip('/')}/.well-known/openid-configuration",
                                 client)
        if not isinstance(doc, dict) or doc.get("issuer") != self.issuer:
            raise SocialProblem("provider_error", "discovery names another issuer")
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            check_endpoint(doc.get(key), issuer=self.issuer)
        return doc

    async def _fetch_keys(self) -> KeySet:
        jwks_uri = (await self._metadata.get())["jwks_uri"]
        async with oauth_client() as client:
            raw = await get_json(jwks_uri, client)
        try:
            return KeySet.import_key_set(raw)
        except (JoseError, ValueError, KeyError, TypeError) as exc:
            raise SocialProblem("provider_error", "unusable JWKS") from exc

    def _client(self, redirect_uri: str, doc: dict[str, Any]) -> AsyncOAuth2Client:
        methods = doc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        method = "client_secret_basic" if "client_secret_basic" in methods else \
            "client_secret_post"
        return oauth_client(self._id, self._secret, self.scope, redirect_uri, method)

    async def authorization_url(self, flow: Flow, redirect_uri: str) -> str:
        doc = await self._metadata.get()
        async with self._client(redirect_uri, doc) as client:
            url, _ = client.create_authorization_url(
                doc["authorization_endpoint"], state=flow.state, code_verifier=flow.verifier,
                nonce=flow.nonce)
        return str(url)

    async def identity(self, code: str, flow: Flow, redirect_uri: str, now: float) -> Identity:
        doc = await self._metadata.get()
        async with self._client(redirect_uri, doc) as client:
            token = await client.fetch_token(doc["token_endpoint"], code=code,
                                             code_verifier=flow.verifier)
        claims = await self._verify(str(token.get("id_token") or ""), flow.nonce, now)
        verified = claims.get("email_verified")  # some providers send the string "true"
        return Identity(self.name, self.issuer, claims["sub"], claims.get("email"),
                        verified is True or verified == "true", str(claims.get("name") or ""),
                        claims)

    async def _verify(self, id_token: str, nonce: str, now: float) -> dict[str, Any]:
        try:
            keys = await self._keys.get()
            return validate_id_token(id_token, keys=keys, issuer=self.issuer,
                                     client_id=self._id, nonce=nonce, now=now)
        except UnknownKey:
            keys = await self._keys.get(refresh=True)
            return validate_id_token(id_token, keys=keys, issuer=self.issuer,
                                     client_id=self._id, nonce=nonce, now=now)


FLOW_SECONDS = 600  # time allowed at the provider between start and callback


def stored_flow(flow: Flow, **extra: str) -> dict[str, Any]:
    """What a started sign-in keeps in the browser's server-side session."""
    return {"state": flow.state, "nonce": flow.nonce, "verifier": flow.verifier,
            "started": time.time(), **extra}


def pending_flow(raw: object, state: str, **expected: str) -> tuple[Flow, dict] | None:
    """The flow a callback completes: same state (and `expected` entries, e.g. the
    provider's name), started minutes ago; with the stored dict for the caller's extras."""
    if not isinstance(raw, dict) or any(raw.get(k) != v for k, v in expected.items()):
        return None
    try:
        flow = Flow(str(raw["state"]), str(raw["nonce"]), str(raw["verifier"]))
        fresh = 0 <= time.time() - float(raw["started"]) < FLOW_SECONDS
    except (KeyError, TypeError, ValueError):
        return None
    if not fresh or not hmac.compare_digest(flow.state.encode(), state.encode()):
        return None
    return flow, raw


def callback_refusal(pending: object, code: str, error: str) -> tuple[str, str] | None:
    """(kind, reason) when the callback itself already says no."""
    if error:
        # RFC 6749 4.1.2.1: the provider ended the flow (access_denied: the person said no).
        # Shown even without state (some providers drop it): an error signs nobody in.
        return ("denied" if error == "access_denied" else "provider_error"), error[:100]
    if pending is None:
        return "state", "no matching sign-in in this session"
    return None if code else ("code", "callback without a code")
