"""Candidate sign-in with a generic OpenID Connect provider (discovery) or GitHub (OAuth 2).

The OIDC protocol (PKCE, state, nonce, ID-token checks, SSRF rule for discovery) lives in
web_oidc, shared with staff SSO; GitHub, which has no ID token, is here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.httpx_client import AsyncOAuth2Client

from settings import Settings
from web_oidc import (
    Flow,
    Identity,
    OidcProvider,
    SocialProblem,
    check_endpoint,
    get_json,
    oauth_client,
    provider_errors,
)

__all__ = ["Flow", "GitHubProvider", "Identity", "OidcProvider", "Provider", "SocialProblem",
           "check_endpoint", "provider_errors", "providers"]


class GitHubProvider:
    """GitHub has no ID token: the profile and addresses come from its REST API."""

    name, label, scope = "github", "GitHub", "read:user user:email"
    accept = "application/vnd.github+json"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        parts = urlsplit(settings.portal_github_authorize_url)
        self.issuer = f"{parts.scheme}://{parts.netloc}"  # github.com, or an Enterprise host

    def _client(self, redirect_uri: str) -> AsyncOAuth2Client:
        settings = self._settings
        return oauth_client(settings.portal_github_client_id,
                            settings.portal_github_client_secret, self.scope, redirect_uri,
                            "client_secret_post")

    async def authorization_url(self, flow: Flow, redirect_uri: str) -> str:
        async with self._client(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                self._settings.portal_github_authorize_url, state=flow.state,
                code_verifier=flow.verifier)
        return str(url)

    async def identity(self, code: str, flow: Flow, redirect_uri: str, now: float) -> Identity:
        api = self._settings.portal_github_api_url
        async with self._client(redirect_uri) as client:
            await client.fetch_token(self._settings.portal_github_token_url, code=code,
                                     code_verifier=flow.verifier)
            user = await get_json(f"{api}/user", client, self.accept)
            emails = await get_json(f"{api}/user/emails", client, self.accept)
        if not isinstance(user, dict) or not isinstance(user.get("id"), int) \
                or not isinstance(emails, list):
            raise SocialProblem("provider_error", "unexpected GitHub profile")
        # Only the primary address, and only once GitHub has verified it.
        primary = next((e for e in emails if isinstance(e, dict) and e.get("primary")), {})
        return Identity(self.name, self.issuer, str(user["id"]), primary.get("email"),
                        primary.get("verified") is True,
                        str(user.get("name") or user.get("login") or ""))


Provider = OidcProvider | GitHubProvider


def providers(state: Any) -> dict[str, Provider]:
    """This app's configured providers, built once so their caches live as long as it."""
    if state.get("social_providers") is None:
        settings: Settings = state.settings
        configured: list[Provider] = []
        if settings.portal_oidc_issuer:
            configured.append(OidcProvider(
                issuer=settings.portal_oidc_issuer, client_id=settings.portal_oidc_client_id,
                client_secret=settings.portal_oidc_client_secret,
                label=settings.portal_oidc_name))
        if settings.portal_github_client_id:
            configured.append(GitHubProvider(settings))
        state.social_providers = {provider.name: provider for provider in configured}
    return state.social_providers
