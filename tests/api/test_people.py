"""People over the API: pages, ETags, upsert, mass-assignment-safe PATCH (QUALITY A3),
no restricted fields in any JSON, problem details."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.consent import service as consent
from domain.db import execute, fetch
from tests.api.support import assert_problem, client, make_token
from tests.events_support import person
from tests.jobs_support import create_application, create_requisition

SECRET_IP = "198.51.100.77"
SECRET_AGENT = "Mozilla/5.0 SecretAgent"
EEO_VALUE = "eeo-planted-value"


async def _restricted_person() -> int:
    person_id = await person("ann@example.com", "Ann Smith")
    await consent.record(person_id=person_id, purpose="community_emails", scope="engineering",
                         text_id=None, action="given", method="web_form",
                         at=datetime.now(UTC), ip=SECRET_IP, user_agent=SECRET_AGENT)
    requisition = await create_requisition()
    application = await create_application(requisition["id"], person_id)
    await execute("INSERT INTO eeo_self_identifications (application, gender, race_ethnicity, "
                  "veteran, disability, created_at) VALUES ($1, $2, $2, $2, $2, now())",
                  application["id"], EEO_VALUE)
    return person_id


async def test_cursor_pages_walk_every_person_exactly_once(app):
    ids = {await person(f"p{n}@example.com", f"Person {n}") for n in range(23)}
    # equal creation times: the id breaks the tie
    await execute("UPDATE people SET created_at = '2026-01-01T00:00:00Z' WHERE id % 3 = 0")
    token = await make_token("people:read")
    seen: list[int] = []
    url: str | None = "/api/v1/people?limit=5"
    async with client(app, token.token) as api:
        while url:
            response = await api.get(url)
            assert response.status_code == 200, response.text
            body = response.json()
            assert len(body["items"]) <= 5
            seen += [item["id"] for item in body["items"]]
            url = body["next"]
        assert_problem(await api.get("/api/v1/people?limit=201"), 400)
        damaged = assert_problem(await api.get("/api/v1/people?cursor=%%%"), 422)
        assert "page link" in damaged["detail"]
    assert sorted(seen) == sorted(ids) and len(seen) == len(ids)


async def test_search_by_email_and_updated_since(app):
    ann = await person("ann@example.com")
    await person("bob@example.com", "Bob")
    await execute("UPDATE people SET updated_at = now() - interval '10 days' WHERE id <> $1",
                  ann)
    token = await make_token("people:read")
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    async with client(app, token.token) as api:
        by_email = (await api.get("/api/v1/people", params={"email": "ANN@example.com"})).json()
        recent = (await api.get("/api/v1/people", params={"updated_since": since})).json()
    assert [item["id"] for item in by_email["items"]] == [ann]
    assert [item["id"] for item in recent["items"]] == [ann]


async def test_etag_and_if_none_match(app):
    person_id = await person("ann@example.com")
    token = await make_token("people:write")
    async with client(app, token.token) as api:
        first = await api.get(f"/api/v1/people/{person_id}")
        tag = first.headers["etag"]
        again = await api.get(f"/api/v1/people/{person_id}", headers={"if-none-match": tag})
        assert again.status_code == 304 and again.content == b""
        await api.patch(f"/api/v1/people/{person_id}", json={"full_name": "Ann Other"})
        changed = await api.get(f"/api/v1/people/{person_id}", headers={"if-none-match": tag})
        assert changed.status_code == 200 and changed.headers["etag"] != tag
        assert_problem(await api.get("/api/v1/people/999999"), 404)
        assert_problem(await api.get("/api/v1/people/99999999999"), 400)


async def test_no_self_identification_or_consent_evidence_in_any_api_json(app):
    person_id = await _restricted_person()
    token = await make_token()
    async with client(app, token.token) as api:
        bodies = [await api.get(url) for url in (
            f"/api/v1/people/{person_id}", f"/api/v1/people/{person_id}/consent",
            "/api/v1/people", "/api/v1/applications", "/api/v1/requisitions")]
    for response in bodies:
        assert response.status_code == 200, response.text
        for secret in (SECRET_IP, SECRET_AGENT, EEO_VALUE, "gender", "race", "veteran",
                       "disability", "user_agent", '"ip"'):
            assert secret not in response.text, (response.url, secret)
    consent_state = bodies[1].json()
    assert consent_state == [{**consent_state[0], "purpose": "community_emails",
                              "scope": "engineering", "state": "given"}]


async def test_upsert_by_email_creates_then_updates(app):
    token = await make_token("people:write")
    async with client(app, token.token) as api:
        created = await api.post("/api/v1/people", json={
            "email": " Zoe@Example.com ", "full_name": "Zoe", "phone": "+44 7911 123456",
            "headline": "Backend engineer"})
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["email"] == "zoe@example.com" and body["phone"] == "+447911123456"
        assert body["profile"]["headline"] == "Backend engineer"
        again = await api.post("/api/v1/people", json={"email": "zoe@example.com",
                                                       "city": "Leeds"})
        assert again.status_code == 200 and again.json()["id"] == body["id"]
        assert again.json()["profile"]["headline"] == "Backend engineer"
        bad = assert_problem(await api.post("/api/v1/people", json={"email": "nope"}), 422)
        assert bad["errors"][0]["field"] == "email"
        shape = assert_problem(await api.post("/api/v1/people", json={"email": 5}), 400)
        assert shape["errors"] and shape["errors"][0]["field"] == "email"
        garbage = await api.post("/api/v1/people", content=b"{not json",
                                 headers={"content-type": "application/json"})
        assert_problem(garbage, 400)
    assert (await fetch("SELECT count(*) AS n FROM people"))[0]["n"] == 1


FORBIDDEN = ("role", "owner_id", "is_admin", "email_verified", "email", "id", "merged_into",
             "source", "created_at")
_values = st.one_of(st.text(max_size=20), st.integers(), st.booleans(), st.none())


async def _snapshot(person_id: int) -> str:
    rows = await fetch("SELECT p.*, pr.* FROM people p LEFT JOIN profiles pr "
                       "ON pr.person = p.id WHERE p.id = $1", person_id)
    return json.dumps(rows, default=str, sort_keys=True)


async def test_patch_with_forbidden_fields_changes_nothing(app):
    """QUALITY A3: PATCHes carrying role/owner_id/is_admin (and friends) → 422, 0 changes."""
    person_id = await person("ann@example.com")
    token = await make_token("people:write")
    before = await _snapshot(person_id)
    async with client(app, token.token) as api:
        @settings(max_examples=100, deadline=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(forbidden=st.dictionaries(st.sampled_from(FORBIDDEN), _values, min_size=1),
               allowed=st.dictionaries(st.sampled_from(["full_name", "headline", "city"]),
                                       st.text(st.characters(exclude_characters="\x00"),
                                               min_size=1, max_size=20)))
        def run(forbidden, allowed):
            outcomes.append((forbidden, allowed))

        outcomes: list = []
        run()
        for forbidden, allowed in outcomes:
            response = await api.patch(f"/api/v1/people/{person_id}",
                                       json={**allowed, **forbidden})
            body = assert_problem(response, 422)
            assert {error["field"] for error in body["errors"]} == set(forbidden)
    assert len(outcomes) == 100
    assert await _snapshot(person_id) == before


async def test_patch_changes_only_what_is_allowed(app):
    person_id = await person("ann@example.com")
    token = await make_token("people:write")
    async with client(app, token.token) as api:
        response = await api.patch(f"/api/v1/people/{person_id}",
                                   json={"full_name": "Ann Jones", "seniority": "senior",
                                         "phone": "+44 7911 123456"})
        assert response.status_code == 200, response.text
        assert response.json()["full_name"] == "Ann Jones"
        bad = assert_problem(await api.patch(f"/api/v1/people/{person_id}",
                                             json={"country": "ZZ"}), 422)
        assert bad["errors"] == [{"field": "country", "message": "This value is not allowed."}]
        assert_problem(await api.patch("/api/v1/people/999999", json={"city": "x"}), 404)
    logged = await fetch("SELECT type, source FROM engagement_events WHERE person = $1",
                         person_id)
    assert [(e["type"], e["source"]) for e in logged] == [("profile_updated",
                                                           "api:HRIS sync")]
