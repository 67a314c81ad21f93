"""schemathesis over the whole OpenAPI document, in-process, fixed seed (issue 8, T1/A4):
0 server errors and 0 schema violations on every operation.

Cases are drawn with Hypothesis up front (derandomized: the same cases every run), then
sent through httpx's ASGI transport inside the app's lifespan: the asyncpg pool lives in
this event loop, which schemathesis' own ASGI client would not share (ARCHITECTURE.md).
CI size: ~50 cases per operation (25 valid, 25 invalid); `make soak` runs 500.
"""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api import auth
from domain.db import fetch
from tests.api.support import client, make_token
from tests.events_support import create_event, person
from tests.jobs_support import create_application, create_requisition

# /healthz answers 503 by design while no worker heartbeats (none runs here); it has its
# own tests. Every /api operation is checked.
NOT_HERE = {"/healthz"}
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance,
          content_type_conformance]


def _cases(operation, mode: GenerationMode, count: int) -> list:
    drawn: list = []

    @settings(max_examples=count, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(operation.as_strategy(generation_mode=mode))
    def draw(case):
        drawn.append(case)

    draw()
    return drawn


async def _world(community: dict) -> None:
    ann = await person("ann@example.com")
    requisition = await create_requisition()
    await create_application(requisition["id"], ann)
    await create_event("meetup")
    await fetch("INSERT INTO talent_pools (name, visibility, created_at, updated_at) "
                "VALUES ('Shared', 'shared', now(), now())")
    await fetch("INSERT INTO segments (name, definition, visibility, created_at, updated_at) "
                "VALUES ('DE', $1::jsonb, 'shared', now(), now())", json.dumps(
                    {"match": "all", "conditions": [
                        {"field": "country", "op": "in", "value": ["DE"]}]}))
    assert community["slug"] == "engineering"


async def _refused_without_token(http, case) -> str | None:
    """A4: the same request with no token, or a made-up one, is a 401 on every route."""
    for token in (None, "tl_made-up"):
        kwargs = case.as_transport_kwargs(base_url="http://testserver")
        kwargs.pop("cookies", None)
        kwargs["headers"].pop("Authorization", None)
        if token:
            kwargs["headers"]["Authorization"] = f"Bearer {token}"
        response = await http.request(**kwargs)
        if response.status_code != 401:
            return f"{kwargs['method']} {kwargs['url']} without a valid token → " \
                   f"{response.status_code}"
    return None


async def _run(app, community, per_mode: int) -> dict[str, list[str]]:
    await _world(community)
    token = await make_token(rate_limit=10_000)
    failures: dict[str, list[str]] = {}
    statuses: dict[str, set[int]] = defaultdict(set)
    async with client(app) as http:
        document = await http.get("/schema/openapi.json")  # the document as served
        assert document.status_code == 200
        schema = schemathesis.openapi.from_dict(document.json())
        for result in schema.get_all_operations():
            operation = result.ok()
            if operation.path in NOT_HERE:
                continue
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                cases = _cases(operation, mode, per_mode)
                refused = await _refused_without_token(http, cases[0])
                if refused:
                    failures.setdefault(operation.label, []).append(refused)
                for case in cases:
                    kwargs = case.as_transport_kwargs(base_url="http://testserver")
                    kwargs["headers"]["Authorization"] = f"Bearer {token.token}"
                    kwargs.pop("cookies", None)
                    response = await http.request(**kwargs)
                    statuses[operation.label].add(response.status_code)
                    try:
                        case.validate_response(response, checks=CHECKS)
                    except BaseException as exc:  # a FailureGroup: keep its first line
                        if not isinstance(exc, Exception | BaseExceptionGroup):
                            raise
                        failures.setdefault(operation.label, []).append(
                            f"{kwargs['method']} {kwargs['url']} → {response.status_code}: "
                            + str(exc).splitlines()[0][:300])
    # every operation ran, and the valid cases got through to a success somewhere
    assert len(statuses) == 19, sorted(statuses)
    assert sum(1 for seen in statuses.values() if seen & {200, 201, 202, 304}) >= 12, statuses
    return failures


async def test_every_operation_conforms(app, community, monkeypatch):
    # Every operation is also tried without a valid token (A4): more failed
    # authentications than a peer may make in a minute (tests/api/test_auth_ratelimit.py).
    monkeypatch.setattr(auth, "AUTH_FAILURES_PER_MINUTE", 10_000)
    failures = await _run(app, community, per_mode=25)
    assert not failures, json.dumps({k: v[:3] for k, v in failures.items()}, indent=1)


@pytest.mark.soak
async def test_every_operation_conforms_soak(app, community, monkeypatch):
    monkeypatch.setattr(auth, "AUTH_FAILURES_PER_MINUTE", 10_000)
    failures = await _run(app, community, per_mode=250)
    assert not failures, json.dumps({k: v[:3] for k, v in failures.items()}, indent=1)
