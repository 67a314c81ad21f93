"""Stage moves, engagement batches, community invitations, events, pools and segments
over the API; problem details for 409 and 422."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from domain.consent.rules import method_label
from domain.db import fetch
from tests.api.support import assert_problem, client, make_token
from tests.events_support import create_event, person
from tests.jobs_support import create_application, create_requisition, stages


async def test_a_move_writes_a_transition_and_an_audit_entry_as_the_token(app):
    requisition = await create_requisition()
    application = await create_application(requisition["id"], await person("a@example.com"))
    stage_ids = await stages(requisition["id"])
    token = await make_token("applications:write", name="ATS bridge")
    target = next(sid for name, sid in stage_ids.items() if sid != application["stage"]
                  and name not in ("Hired", "Rejected", "Withdrawn"))
    url = f"/api/v1/applications/{application['id']}/moves"
    async with client(app, token.token) as api:
        response = await api.post(url, json={"to_stage": target,
                                             "from_stage": application["stage"]})
        assert response.status_code == 200, response.text
        assert response.json()["stage"] == target
        stale = assert_problem(await api.post(url, json={
            "to_stage": application["stage"], "from_stage": application["stage"]}), 409)
        assert stale["detail"]
        same = assert_problem(await api.post(url, json={"to_stage": target}), 422)
        assert same["errors"][0]["field"] == "to_stage"
        assert_problem(await api.post(url, json={"to_stage": target, "role": "x"}), 400)
        assert_problem(await api.post("/api/v1/applications/999999/moves",
                                      json={"to_stage": target}), 404)
        listed = (await api.get("/api/v1/applications",
                                params={"requisition": requisition["id"]})).json()
        assert [item["id"] for item in listed["items"]] == [application["id"]]
    moves = await fetch("SELECT kind, by, to_stage FROM stage_transitions "
                        "WHERE application = $1 AND kind = 'moved'", application["id"])
    assert moves == [{"kind": "moved", "by": "api:ATS bridge", "to_stage": target}]
    audit = await fetch("SELECT actor FROM audit_entries WHERE action = 'application.moved' "
                        "AND subject = $1", f"application:{application['id']}")
    assert audit == [{"actor": "api:ATS bridge"}]


async def test_engagement_batches_are_idempotent_by_external_id(app):
    person_id = await person("a@example.com")
    token = await make_token("engagement:write")
    now = datetime.now(UTC).isoformat()
    batch = [{"external_id": f"ext-{n}", "person_id": person_id, "type": "page_visit",
              "occurred_at": now, "payload": {"page": "/careers"}} for n in range(3)]
    async with client(app, token.token) as api:
        first = await api.post("/api/v1/engagement-events", json={"events": batch})
        assert first.json() == {"recorded": 3, "duplicates": 0}, first.text
        again = await api.post("/api/v1/engagement-events", json={"events": [
            *batch[1:], {**batch[0], "external_id": "ext-new"}]})
        assert again.json() == {"recorded": 1, "duplicates": 2}
        bad = assert_problem(await api.post("/api/v1/engagement-events", json={"events": [
            {**batch[0], "external_id": "x1", "type": "hacked"},
            {**batch[0], "external_id": "x2", "person_id": 999999}]}), 422)
        assert {e["field"] for e in bad["errors"]} == {"events[0].type", "events[1].person_id"}
        too_many = [{**batch[0], "external_id": f"m{n}"} for n in range(1001)]
        assert_problem(await api.post("/api/v1/engagement-events",
                                      json={"events": too_many}), 400)
        # the refused batch claimed nothing: its ids are still fresh
        retry = await api.post("/api/v1/engagement-events", json={"events": [
            {**batch[0], "external_id": "x1"}]})
        assert retry.json() == {"recorded": 1, "duplicates": 0}
    assert (await fetch("SELECT count(*) AS n FROM engagement_events WHERE person = $1 "
                        "AND type = 'page_visit'", person_id))[0]["n"] == 5
    # Durable: the database remembers, not a cache — a resend after Redis lost everything
    # (or a year later) is still a duplicate; the same id twice in one batch counts once.
    await app.state.redis.flushdb()
    async with client(app, token.token) as api:
        resent = await api.post("/api/v1/engagement-events", json={"events": [
            batch[0], {**batch[0], "external_id": "twice"}, {**batch[0], "external_id": "twice"}]})
        assert resent.json() == {"recorded": 1, "duplicates": 2}, resent.text
    stored = await fetch("SELECT external_id FROM engagement_events WHERE person = $1 "
                         "ORDER BY id", person_id)
    assert [r["external_id"] for r in stored] == ["ext-0", "ext-1", "ext-2", "ext-new", "x1",
                                                  "twice"]


async def test_the_api_invites_to_a_community_but_cannot_confirm_consent(app, community):
    token = await make_token("communities:write")
    async with client(app, token.token) as api:
        response = await api.post("/api/v1/communities/engineering/members",
                                  json={"email": "new@example.com", "full_name": "New",
                                        "interests": ["backend"]})
        assert response.status_code == 202, response.text
        assert response.json()["status"] == "pending"
        assert_problem(await api.post("/api/v1/communities/engineering/members",
                                      json={"email": "x@example.com", "status": "confirmed"}),
                       400)
        bad = assert_problem(await api.post("/api/v1/communities/engineering/members",
                                            json={"email": "x@example.com",
                                                  "interests": ["cooking"]}), 422)
        assert bad["errors"][0]["field"] == "interests"
        assert_problem(await api.post("/api/v1/communities/nope/members",
                                      json={"email": "x@example.com"}), 404)
        members = (await api.get("/api/v1/communities/engineering/members")).json()
        assert [(m["email"], m["status"]) for m in members["items"]] == [
            ("new@example.com", "pending")]
        listed = (await api.get("/api/v1/communities")).json()
        assert [c["slug"] for c in listed["items"]] == ["engineering"] and listed["next"] is None
    states = await fetch("SELECT action, method, user_agent FROM consent_records")
    assert [(r["action"], r["method"], r["user_agent"]) for r in states] == [
        ("requested", "api", "api:HRIS sync")]
    assert method_label("api") == "Sent to us by a system connected to ours (API)"


async def test_events_registrations_pools_and_segment_counts(app):
    event = await create_event("meetup")
    ann = await person("ann@example.com")
    await fetch("INSERT INTO event_registrations (event, person, status, position, answers, "
                "source, created_at, updated_at) VALUES ($1, $2, 'registered', 1, "
                "'{\"secret\": \"answer\"}'::jsonb, 'portal', now(), now())", event["id"], ann)
    shared = (await fetch("INSERT INTO talent_pools (name, visibility, created_at, updated_at) "
                          "VALUES ('Shared', 'shared', now(), now()) RETURNING id"))[0]["id"]
    private = (await fetch("INSERT INTO talent_pools (name, visibility, created_at, "
                           "updated_at) VALUES ('Mine', 'private', now(), now()) "
                           "RETURNING id"))[0]["id"]
    await fetch("INSERT INTO pool_members (pool, person, added_at, stage_changed_at) "
                "VALUES ($1, $2, now(), now())", shared, ann)
    definition = {"match": "all", "conditions": [
        {"field": "country", "op": "in", "value": ["DE"]}]}
    segment = (await fetch("INSERT INTO segments (name, definition, visibility, created_at, "
                           "updated_at) VALUES ('Anns', $1::jsonb, 'shared', now(), now()) "
                           "RETURNING id", json.dumps(definition)))[0]["id"]
    token = await make_token("events:read", "pools:read")
    async with client(app, token.token) as api:
        events = (await api.get("/api/v1/events")).json()
        assert [e["slug"] for e in events["items"]] == ["meetup"] and events["next"] is None
        registrations = await api.get("/api/v1/events/meetup/registrations")
        assert [r["person"] for r in registrations.json()["items"]] == [ann]
        assert "secret" not in registrations.text
        assert_problem(await api.get("/api/v1/events/nope/registrations"), 404)
        pools = (await api.get("/api/v1/pools")).json()
        assert [p["name"] for p in pools["items"]] == ["Shared"] and pools["next"] is None
        members = (await api.get(f"/api/v1/pools/{shared}/members")).json()
        assert [m["person"] for m in members["items"]] == [ann]
        assert_problem(await api.get(f"/api/v1/pools/{private}/members"), 404)
        count = await api.get(f"/api/v1/segments/{segment}/count")
        assert count.status_code == 200, count.text
        assert count.json() == {"id": segment, "name": "Anns", "count": 0}
        assert_problem(await api.get("/api/v1/segments/999999/count"), 404)


async def test_every_list_pages_with_a_cursor(app):
    """Requisitions, events and pools page like the rest: each row once, in order."""
    from tests.jobs_support import create_requisition

    for n in range(7):
        await create_requisition(f"req-{n}", title=f"Req {n}")
        await fetch("INSERT INTO talent_pools (name, visibility, created_at, updated_at) "
                    "VALUES ($1, 'shared', now(), now())", f"Pool {n}")
        await fetch("INSERT INTO events (slug, title, description, kind, starts_at, ends_at, "
                    "time_zone, venue, join_url, capacity, taken, status, created_at, "
                    "updated_at) VALUES ($1, $1, '', 'in_person', now(), now() + interval "
                    "'1 hour', 'UTC', 'Here', '', 10, 0, 'published', now(), now())",
                    f"event-{n}")
    token = await make_token("events:read", "pools:read", "requisitions:read")
    async with client(app, token.token) as api:
        for path, key, expected in (("/api/v1/requisitions", "id", 7),
                                    ("/api/v1/events", "slug", 7),
                                    ("/api/v1/pools", "name", 7)):
            seen, url = [], f"{path}?limit=3"
            while url:
                page = await api.get(url)
                assert page.status_code == 200, page.text
                body = page.json()
                assert len(body["items"]) <= 3
                seen += [item[key] for item in body["items"]]
                url = body["next"]
            assert len(seen) == len(set(seen)) == expected, (path, seen)
