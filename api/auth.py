"""Bearer tokens for /api/v1: one guard per route names the scope it needs.

401 (no token, unknown, expired or revoked) carries `WWW-Authenticate: Bearer`; 403 means
the token is fine but lacks the scope. Both are security events in the audit log, with the
route and the reason but never the token. Then the token's own rate limit (Redis, shared by
every web process): 429 with Retry-After.

Failed authentications are counted per socket peer (never X-Forwarded-For, which the
client writes): after AUTH_FAILURES_PER_MINUTE of them in a sliding minute, that peer gets
429 before any token it sends is looked at, so guessing tokens stops there; other peers,
and their tokens, are not affected.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.connection import ASGIConnection
from litestar.exceptions import (
    NotAuthorizedException,
    PermissionDeniedException,
    TooManyRequestsException,
)
from litestar.handlers.base import BaseRouteHandler

from domain.audit import service as audit
from domain.integrations import tokens
from domain.integrations.rules import grants
from web_ratelimit import count_use, retry_after, wait_if_over

Guard = Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]
CALLER = "talentloop_api_caller"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="talentloop"'}
# One audit entry per client address (or token), route and reason per minute: a scanner
# cannot flood the log, and every kind of refusal is still on record.
EVENT_WINDOW_SECONDS = 60
RATE_WINDOW_SECONDS = 60
AUTH_FAILURES_PER_MINUTE = 30


def caller(connection: ASGIConnection) -> tokens.ApiCaller:
    return connection.scope[CALLER]  # type: ignore[typeddict-item]


async def _security_event(connection: ASGIConnection, action: str, *, who: str,
                          reason: str, scope: str) -> None:
    method = connection.scope.get("method", "GET")
    route = str(connection.scope.get("path_template") or connection.url.path)
    ip = connection.client.host if connection.client else ""
    key = f"talentloop:api-denied:{who or ip}:{method}:{route}:{reason}"
    if not await connection.app.state.redis.set(key, "1", nx=True, ex=EVENT_WINDOW_SECONDS):
        return
    await audit.record(action=action, at=connection.app.state.clock.now(), actor=who,
                       subject=connection.url.path, ip=ip,
                       detail={"method": method, "route": route, "reason": reason,
                               "scope": scope})


def _bearer(connection: ASGIConnection) -> str:
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _failures_key(connection: ASGIConnection) -> str:
    return f"api-auth-failed:{connection.client.host if connection.client else 'unknown'}"


async def _authenticate(connection: ASGIConnection, needed: str) -> tokens.ApiCaller:
    redis = connection.app.state.redis
    wait = await wait_if_over(redis, _failures_key(connection), limit=AUTH_FAILURES_PER_MINUTE,
                              window_seconds=RATE_WINDOW_SECONDS)
    if wait is not None:
        await _security_event(connection, "api.auth_failed", who="",
                              reason="too_many_failures", scope=needed)
        raise TooManyRequestsException(
            "Too many failed authentications from your network. Wait and try again.",
            headers={"Retry-After": str(wait)})
    presented = _bearer(connection)
    found = await tokens.authenticate(presented, clock=connection.app.state.clock) \
        if presented else None
    if found is None:
        await count_use(redis, _failures_key(connection), window_seconds=RATE_WINDOW_SECONDS)
        reason = "invalid_token" if presented else "missing_token"
        await _security_event(connection, "api.auth_failed", who="", reason=reason,
                              scope=needed)
        raise NotAuthorizedException(
            "Send a valid API token as `Authorization: Bearer <token>`.", headers=CHALLENGE)
    return found


def requires(needed: str) -> Guard:
    """A guard for a route needing scope `needed` (`area:read|write`)."""

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        found = await _authenticate(connection, needed)
        wait = await retry_after(connection.app.state.redis, f"api:{found.id}",
                                 limit=found.rate_limit_per_minute,
                                 window_seconds=RATE_WINDOW_SECONDS)
        if wait is not None:
            raise TooManyRequestsException(
                f"This token may make {found.rate_limit_per_minute} requests a minute.",
                headers={"Retry-After": str(wait)})
        if not grants(found.scopes, needed):
            await _security_event(connection, "api.permission_denied", who=found.actor,
                                  reason="missing_scope", scope=needed)
            raise PermissionDeniedException(f"This token lacks the `{needed}` scope.")
        connection.scope[CALLER] = found  # type: ignore[literal-required]

    return guard
