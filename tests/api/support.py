"""API tokens and clients for tests/api."""

from __future__ import annotations

import httpx

from domain.integrations import tokens
from domain.integrations.rules import SCOPES, TokenDraft
from domain.ports import SystemClock

ALL_SCOPES = SCOPES


async def make_token(*scopes: str, name: str = "HRIS sync", expiry_days: int | None = None,
                     rate_limit: int = 600, clock=None) -> tokens.CreatedToken:
    draft = TokenDraft(name, tuple(scopes or ALL_SCOPES), expiry_days, rate_limit)
    return await tokens.create(draft, staff_id=None, actor="admin@test.local", ip="",
                               clock=clock or SystemClock())


def client(app, token: str | None = None) -> httpx.AsyncClient:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 5000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver",
                             headers=headers)


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"]
    assert "Traceback" not in response.text and "File \"" not in response.text
    return body
