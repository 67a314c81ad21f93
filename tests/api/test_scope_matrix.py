"""A1 for the API: token scope by route, against one declared table. Every /api route has
an entry; its guard checks exactly that scope; a token with only that scope (or its area's
write scope) gets through, and a token with every other scope is refused with 403."""

from __future__ import annotations

from litestar.handlers import HTTPRouteHandler

from domain.integrations.rules import SCOPES
from tests.api.support import client, make_token

SCOPE_POLICY: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/people"): "people:read",
    ("POST", "/api/v1/people"): "people:write",
    ("GET", "/api/v1/people/{person_id:int}"): "people:read",
    ("PATCH", "/api/v1/people/{person_id:int}"): "people:write",
    ("GET", "/api/v1/people/{person_id:int}/consent"): "people:read",
    ("GET", "/api/v1/communities"): "communities:read",
    ("GET", "/api/v1/communities/{slug:str}/members"): "communities:read",
    ("POST", "/api/v1/communities/{slug:str}/members"): "communities:write",
    ("POST", "/api/v1/engagement-events"): "engagement:write",
    ("GET", "/api/v1/events"): "events:read",
    ("GET", "/api/v1/events/{slug:str}/registrations"): "events:read",
    ("GET", "/api/v1/requisitions"): "requisitions:read",
    ("GET", "/api/v1/requisitions/{requisition_id:int}"): "requisitions:read",
    ("GET", "/api/v1/applications"): "applications:read",
    ("GET", "/api/v1/applications/{application_id:int}"): "applications:read",
    ("POST", "/api/v1/applications/{application_id:int}/moves"): "applications:write",
    ("GET", "/api/v1/pools"): "pools:read",
    ("GET", "/api/v1/pools/{pool_id:int}/members"): "pools:read",
    ("GET", "/api/v1/segments/{segment_id:int}/count"): "pools:read",
}


def api_routes(app) -> dict[tuple[str, str], HTTPRouteHandler]:
    found = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if isinstance(handler, HTTPRouteHandler) and route.path.startswith("/api/"):
                for method in handler.http_methods - {"HEAD", "OPTIONS"}:
                    found[(method, route.path)] = handler
    return found


def _checked_scopes(handler: HTTPRouteHandler) -> set[str]:
    return {cell.cell_contents for guard in handler.guards or []
            for cell in (guard.__closure__ or ())
            if isinstance(cell.cell_contents, str) and cell.cell_contents in SCOPES}


def test_every_api_route_has_exactly_its_declared_scope(app):
    routes = api_routes(app)
    assert set(routes) == set(SCOPE_POLICY)
    for key, handler in routes.items():
        assert _checked_scopes(handler) == {SCOPE_POLICY[key]}, key


def _concrete(path: str) -> str:
    return (path.replace("{slug:str}", "engineering").replace(":int}", "}")
            .replace("{person_id}", "1").replace("{requisition_id}", "1")
            .replace("{application_id}", "1").replace("{pool_id}", "1")
            .replace("{segment_id}", "1"))


async def test_each_scope_opens_exactly_its_routes(app):
    mismatches, checked = [], 0
    tokens = {scope: (await make_token(scope, name=scope)).token for scope in SCOPES}
    for (method, path), needed in sorted(SCOPE_POLICY.items()):
        area = needed.split(":")[0]
        for scope, token in tokens.items():
            allowed = scope == needed or scope == f"{area}:write"
            async with client(app, token) as api:
                status = (await api.request(method, _concrete(path), json={})).status_code
            checked += 1
            if (status == 403) == allowed or status in (401, 429) or status >= 500:
                mismatches.append((method, path, scope, status))
    assert checked == len(SCOPE_POLICY) * len(SCOPES)
    assert not mismatches, mismatches
