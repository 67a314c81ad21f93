"""Bulk actions against the real database: exactly the ticked people and nobody else,
"all matching" re-evaluated when the action runs, inline under the threshold and a task
above it (batched, with progress), idempotent re-runs, invitations only with event-email
consent (skips counted by reason), formula-safe exports that expire."""

from __future__ import annotations

import csv
from datetime import timedelta

import pytest

from domain.accounts import service as accounts
from domain.accounts.service import Staff
from domain.bulk import queries, rules, service
from domain.consent import service as consent
from domain.db import fetch, fetchval
from domain.errors import Invalid, NotFound
from domain.pools import service as pools
from domain.privacy import suppression
from tests.events_support import create_event, person

pytestmark = pytest.mark.usefixtures("clean_state")
PORTAL = {"match": "all", "conditions": [{"field": "source", "op": "in", "value": ["portal"]}]}


async def _staff(clock, email: str = "rita@corp.test", roles=("recruiter",)) -> Staff:
    user = await accounts.create_user(email=email, full_name="Rita", roles=list(roles),
                                      password="a-long-test-password", clock=clock)
    return Staff(user.id, email, "Rita", tuple(roles))


async def _people(n: int, source: str = "test", prefix: str = "p") -> list[int]:
    rows = await fetch(
        "INSERT INTO people (email, full_name, source, created_at, updated_at) "
        "SELECT $1 || i || '@example.com', 'Person ' || i, $2, now(), now() "
        "FROM generate_series(1, $3) i RETURNING id", prefix, source, n)
    return [row["id"] for row in rows]


async def _tagged(tag: str) -> set[int]:
    return {r["person"] for r in await fetch(
        "SELECT person FROM person_tags WHERE lower(tag) = lower($1)", tag)}


async def _action(bulk_id: int) -> dict:
    return (await fetch("SELECT * FROM bulk_actions WHERE id = $1", bulk_id))[0]


async def test_select_3_of_50_touches_exactly_those_3(clock):
    rita = await _staff(clock)
    everyone = await _people(50)
    chosen = [everyone[4], everyone[17], everyone[33]]
    bulk_id = await service.start("tag", {"person_ids": chosen}, {"tags": ["Relocating"]},
                                  staff=rita, now=clock.now(), queue=None)
    assert await _tagged("relocating") == set(chosen)
    action = await _action(bulk_id)
    assert (action["status"], action["total"], action["done"], action["changed"]) == \
        ("done", 3, 3, 3)
    audit = {r["action"] for r in await fetch(
        "SELECT action FROM audit_entries WHERE subject = $1", f"bulk:{bulk_id}")}
    assert audit == {"bulk.requested", "bulk.tag"}


async def test_a_selection_never_reaches_merged_or_unknown_ids(clock):
    rita = await _staff(clock)
    ann, bob = await _people(2)
    await fetch("UPDATE people SET merged_into = $1 WHERE id = $2", ann, bob)
    await service.start("tag", {"person_ids": [ann, bob, 987654]}, {"tags": ["x"]},
                        staff=rita, now=clock.now(), queue=None)
    assert await _tagged("x") == {ann}


async def test_large_actions_run_as_a_task_on_whoever_matches_then(clock, monkeypatch):
    monkeypatch.setattr(rules, "INLINE_LIMIT", 2)
    monkeypatch.setattr(rules, "BATCH_SIZE", 2)
    rita = await _staff(clock)
    await _people(5, source="test")
    first = await _people(3, source="portal", prefix="portal")
    bulk_id = await service.start("tag", {"segment": PORTAL}, {"tags": ["Warm"]},
                                  staff=rita, now=clock.now(), queue=None)
    action = await _action(bulk_id)
    assert (action["status"], action["total"], action["done"]) == ("queued", 3, 0)
    assert await fetchval("SELECT count(*) FROM outbox_messages "
                          "WHERE task = 'run_bulk_action'") == 1
    assert await _tagged("warm") == set()
    late = await _people(1, source="portal", prefix="late")
    assert await service.run(bulk_id, now=clock.now(), queue=None) == "done"
    assert await _tagged("warm") == {*first, *late}
    action = await _action(bulk_id)
    assert (action["status"], action["total"], action["done"], action["changed"]) == \
        ("done", 3, 4, 4)
    assert await service.run(bulk_id, now=clock.now(), queue=None) == "already finished"
    # A worker that died after the last batch leaves it running: the re-run carries on
    # from the saved cursor and adds nothing twice.
    await fetch("UPDATE bulk_actions SET status = 'running' WHERE id = $1", bulk_id)
    assert await service.run(bulk_id, now=clock.now(), queue=None) == "done"
    assert await fetchval("SELECT count(*) FROM person_tags") == 4
    action = await _action(bulk_id)
    assert (action["done"], action["changed"]) == (4, 4)


async def test_a_long_run_hands_over_and_an_export_resumes_from_its_cursor(clock,
                                                                          monkeypatch):
    monkeypatch.setattr(rules, "INLINE_LIMIT", 1)
    monkeypatch.setattr(rules, "BATCH_SIZE", 2)
    monkeypatch.setattr(rules, "HANDOVER_SECONDS", -1)  # hand over after every batch
    rita = await _staff(clock)
    people = await _people(5, source="portal")
    bulk_id = await service.start("export_csv", {"segment": PORTAL}, {}, staff=rita,
                                  now=clock.now(), queue=None)
    assert await service.run(bulk_id, now=clock.now(), queue=None) == "handed over"
    action = await _action(bulk_id)
    assert (action["status"], action["done"]) == ("running", 2)
    path = service.export_path(action["storage_key"])
    with path.open("a", encoding="utf-8") as out:  # a batch written, never committed
        out.write("uncommitted,row\n")
    results = [await service.run(bulk_id, now=clock.now(), queue=None) for _ in range(3)]
    assert results == ["handed over", "handed over", "done"]
    assert await fetchval("SELECT count(*) FROM outbox_messages "
                          "WHERE task = 'run_bulk_action'") == 1 + 3
    action = await _action(bulk_id)
    assert (action["status"], action["done"], action["changed"]) == ("done", 5, 5)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 6 and "uncommitted,row" not in lines
    assert sorted(line.split(",")[1] for line in lines[1:]) == sorted(
        r["email"] for r in await fetch("SELECT email FROM people WHERE id = ANY($1)",
                                        people))


async def test_a_large_action_runs_in_the_worker(clock, monkeypatch, queue, worker_burst):
    monkeypatch.setattr(rules, "INLINE_LIMIT", 1)
    rita = await _staff(clock)
    people = await _people(3, source="portal")
    bulk_id = await service.start("tag", {"segment": PORTAL}, {"tags": ["queued"]},
                                  staff=rita, now=clock.now(), queue=queue)
    await worker_burst()
    assert await _tagged("queued") == set(people)
    assert (await _action(bulk_id))["status"] == "done"


async def test_pools_add_and_move(clock):
    rita = await _staff(clock)
    people = await _people(10)
    target_pool = await pools.create({"name": "Backend", "description": "",
                                      "visibility": "shared",
                                      "stages": ["lead", "contacted", "ready"]},
                                     owner_id=rita.id, by=rita.email, now=clock.now())
    chosen = people[:3]
    await service.start("add_to_pool", {"person_ids": chosen}, {"pool": target_pool},
                        staff=rita, now=clock.now(), queue=None)
    await service.start("set_pool_stage", {"pool": target_pool, "stage": "lead"},
                        {"pool": target_pool, "stage": "ready"}, staff=rita,
                        now=clock.now(), queue=None)
    rows = await fetch("SELECT person, stage, source FROM pool_members ORDER BY person")
    assert [(r["person"], r["stage"], r["source"]) for r in rows] == \
        [(p, "ready", "bulk") for p in chosen]


async def test_someone_elses_private_pool_cannot_be_the_destination(clock):
    rita = await _staff(clock)
    mia = await _staff(clock, "mia@corp.test", ("marketing",))
    private = await pools.create({"name": "Mine", "description": "", "visibility": "private",
                                  "stages": ["lead"]}, owner_id=mia.id, by=mia.email,
                                 now=clock.now())
    with pytest.raises(Invalid) as raised:
        await service.start("add_to_pool", {"person_ids": await _people(1)},
                            {"pool": private}, staff=rita, now=clock.now(), queue=None)
    assert "to_pool" in raised.value.errors
    with pytest.raises(NotFound):
        await service.resolve(rita.id, pool_id=private, segment_id=None, in_stage="",
                              person_ids=[], everyone=True)


async def _give(person_id: int, at) -> None:
    text = await consent.current_text("event_emails")
    await consent.give(person_id=person_id, purpose="event_emails", scope="all",
                       text_id=text["id"], method="double_opt_in", now=at)


async def test_invitations_need_event_email_consent_and_are_sent_once(clock):
    rita = await _staff(clock)
    event = await create_event("meetup", capacity=20)
    given, never, withdrawn, suppressed, registered = [
        await person(f"{n}@example.com", n.title()) for n in
        ("given", "never", "withdrawn", "suppressed", "registered")]
    for who in (given, withdrawn, suppressed, registered):
        await _give(who, clock.now() - timedelta(days=3))
    await consent.withdraw(person_id=withdrawn, purpose="event_emails", scope="all",
                           method="preference_centre", now=clock.now() - timedelta(days=1))
    await suppression.suppress("suppressed@example.com", reason="bounce", now=clock.now())
    await fetch("INSERT INTO event_registrations (event, person, status, created_at, "
                "updated_at) VALUES ($1, $2, 'registered', now(), now())",
                event["id"], registered)
    everyone = [given, never, withdrawn, suppressed, registered]
    checks = await queries.invitation_checks(everyone, purpose="event_emails", scope="all",
                                             event_id=event["id"], at=clock.now())
    # The set-based check agrees with consent.can_email, which the sender makes again
    # (suppression is the caller's second step; registration is not a consent matter).
    problems = {row["id"]: row["problem"] for row in checks}
    assert problems == {given: "", never: "no_consent", withdrawn: "no_consent",
                        suppressed: "", registered: "registered"}
    for who in (given, never, withdrawn, suppressed):
        allowed = problems[who] == "" and who != suppressed
        assert allowed == await consent.can_email(who, "event_emails", "all", at=clock.now())

    bulk_id = await service.start("invite_to_event", {"person_ids": everyone},
                                  {"event": "meetup"}, staff=rita, now=clock.now(),
                                  queue=None)
    emails = await fetch("SELECT person, kind, template, dedupe_key FROM outbound_emails")
    assert [(e["person"], e["kind"], e["template"]) for e in emails] == \
        [(given, "marketing", "event_invitation")]
    action = await _action(bulk_id)
    assert action["changed"] == 1
    assert "no event-email consent: 2" in action["message"]
    assert "address suppressed" in action["message"]
    assert "already registered for the event: 1" in action["message"]
    # A run that died before its cursor was saved goes over the batch again: the
    # dedupe key keeps it to one invitation per person and event.
    await fetch("UPDATE bulk_actions SET status = 'running', params = params - 'resume', "
                "done = 0, changed = 0 WHERE id = $1", bulk_id)
    await service.run(bulk_id, now=clock.now(), queue=None)
    assert await fetchval("SELECT count(*) FROM outbound_emails") == 1
    assert "already invited to this event: 1" in (await _action(bulk_id))["message"]


async def test_only_published_future_events_can_be_invited_to(clock):
    rita = await _staff(clock)
    await create_event("draft-one", status="draft")
    await create_event("past-one", starts_at=clock.now() - timedelta(days=1))
    for slug in ("draft-one", "past-one", "nope"):
        with pytest.raises(Invalid) as raised:
            await service.start("invite_to_event", {"person_ids": await _people(1, prefix=slug)},
                                {"event": slug}, staff=rita, now=clock.now(), queue=None)
        assert "event" in raised.value.errors


async def test_export_is_formula_safe_and_expires(clock):
    rita = await _staff(clock)
    evil = await person("evil@example.com", "=HYPERLINK(\"http://x\")")
    await fetch("INSERT INTO profiles (person, headline, country, skills, updated_at) "
                "VALUES ($1, '+1 rockstar', 'FR', '{python,sql}', now())", evil)
    await person("other@example.com", "Other")
    bulk_id = await service.start("export_csv", {"person_ids": [evil]}, {}, staff=rita,
                                  now=clock.now(), queue=None)
    action = await _action(bulk_id)
    path = service.export_file(action, now=clock.now())
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    assert rows[0] == list(rules.EXPORT_COLUMNS)
    assert len(rows) == 2
    assert rows[1][0] == "'=HYPERLINK(\"http://x\")" and rows[1][3] == "'+1 rockstar"
    assert rows[1][4] == "python, sql" and rows[1][2] == "FR"
    with pytest.raises(NotFound):
        service.export_file(action, now=clock.now() + timedelta(days=8))
    assert await service.expire_exports(now=clock.now() + timedelta(days=8)) == 1
    assert not path.exists()
    assert (await _action(bulk_id))["storage_key"] is None


async def test_only_the_creator_or_an_admin_sees_an_action(clock):
    rita = await _staff(clock)
    bulk_id = await service.start("tag", {"person_ids": await _people(1)}, {"tags": ["t"]},
                                  staff=rita, now=clock.now(), queue=None)
    assert (await queries.action(bulk_id, staff_email=rita.email, is_admin=False))["id"]
    assert await queries.action(bulk_id, staff_email="boss@corp.test", is_admin=True)
    with pytest.raises(NotFound):
        await queries.action(bulk_id, staff_email="mia@corp.test", is_admin=False)
