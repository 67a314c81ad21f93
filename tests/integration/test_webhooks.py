"""Webhooks out: `emit` writes in the caller's transaction, and the domain services emit
the documented events with their payloads."""

from __future__ import annotations

import pytest

from domain.db import fetch, transaction
from domain.events import service as event_service
from domain.integrations import webhook_rules, webhooks
from domain.pipeline import bulk, moves
from tests.events_support import create_event, person
from tests.jobs_support import create_application, create_requisition, stages
from tests.web.portal.test_apply import guest_apply
from tests.web.portal.test_communities import join
from tests.webhooks_support import deliveries, events, subscribe

pytestmark = pytest.mark.usefixtures("clean_state")


async def outbox_tasks() -> list[str]:
    return [row["task"] for row in await fetch("SELECT task FROM outbox_messages")]


async def test_emit_writes_one_event_and_one_delivery_per_listening_subscription(clock):
    first = await subscribe(types=["person.created"])
    second = await subscribe("https://b.example/in", types=["person.created",
                                                            "consent.changed"])
    await subscribe("https://c.example/in", types=["consent.changed"])
    await subscribe("https://d.example/in", types=["person.created"], active=False)
    async with transaction():
        written = await webhooks.emit("person.created", {"person_id": 7, "source": "x"},
                                      now=clock.now())
    assert written == 2
    [event] = await events()
    assert event["type"] == "person.created" and len(event["event_id"]) == 36
    assert event["payload"] == {"person_id": 7, "source": "x"}
    assert sorted((d["subscription"], d["event"], d["status"], d["next_attempt_at"])
                  for d in await deliveries()) == [
        (first, event["id"], "pending", clock.now()),
        (second, event["id"], "pending", clock.now())]
    assert await outbox_tasks() == [webhooks.DELIVER_TASK]


async def test_emit_rolls_back_with_the_callers_transaction(clock):
    await subscribe(types=["person.created"])
    with pytest.raises(RuntimeError):
        async with transaction():
            await webhooks.emit("person.created", {"person_id": 1}, now=clock.now())
            raise RuntimeError("the caller fails")
    assert await events() == [] and await deliveries() == [] and await outbox_tasks() == []


async def test_nothing_is_written_when_nobody_listens(clock):
    await subscribe(types=["consent.changed"])
    async with transaction():
        assert await webhooks.emit("person.created", {"person_id": 1}, now=clock.now()) == 0
    assert await events() == [] and await outbox_tasks() == []


async def test_unknown_types_are_a_programming_error(clock):
    with pytest.raises(ValueError, match="unknown webhook event type"):
        await webhooks.emit("person.exploded", {}, now=clock.now())


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body():
    import hashlib
    import hmac
    body = b'{"a":1}'
    expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert webhook_rules.signature("s3cret", 1700000000, body) == f"v1={expected}"
    assert webhook_rules.retry_delay(1).total_seconds() >= 30
    assert webhook_rules.retry_delay(30).total_seconds() <= 6 * 3600 * 1.1


# --- Hooked domain events -----------------------------------------------------------------

async def test_joining_a_community_emits_person_created_and_consent_changed(browser,
                                                                            community):
    await subscribe()
    response = await join(browser)
    assert response.status_code in (200, 303)
    [created] = await events("person.created")
    person_id = created["person"]
    assert created["payload"] == {"person_id": person_id, "source": "portal"}
    [consent] = await events("consent.changed")
    assert consent["person"] == person_id
    assert consent["payload"] == {"person_id": person_id, "purpose": "community_emails",
                                  "scope": "engineering", "action": "requested",
                                  "method": "web_form"}
    assert "ip" not in str(consent["payload"]) and "agent" not in str(consent["payload"])
    await join(browser)  # the same address again: no second person.created
    assert len(await events("person.created")) == 1


async def test_applying_emits_application_created(browser):
    await subscribe(types=["application.created"])
    requisition = await create_requisition("backend")
    response = await guest_apply(browser, "backend", "gia@example.com")
    assert response.status_code == 303, response.text
    [event] = await events()
    application = (await fetch("SELECT id, person FROM applications"))[0]
    assert event["type"] == "application.created"
    assert event["payload"] == {"application_id": application["id"],
                                "requisition_id": requisition["id"],
                                "person_id": application["person"]}
    assert event["person"] == application["person"]


async def test_moves_and_hires_emit_stage_changed_and_hired(clock):
    await subscribe(types=["application.stage_changed", "application.hired"])
    requisition = await create_requisition("backend")
    stage = await stages(requisition["id"])
    ann = await person("ann@example.com")
    application = await create_application(requisition["id"], ann)
    await moves.move(application["id"], stage["Screen"], by="rec@test.local", clock=clock)
    await moves.hire(application["id"], by="rec@test.local", clock=clock)
    found = await events()
    assert [e["type"] for e in found] == ["application.stage_changed",
                                          "application.stage_changed", "application.hired"]
    assert found[0]["payload"] == {
        "application_id": application["id"], "requisition_id": requisition["id"],
        "person_id": ann, "from_stage_id": stage["Applied"], "to_stage_id": stage["Screen"],
        "to_stage": "Screen", "kind": "moved"}
    assert found[1]["payload"]["kind"] == "hired"
    assert found[2]["payload"] == {"application_id": application["id"],
                                   "requisition_id": requisition["id"], "person_id": ann,
                                   "to_stage_id": found[1]["payload"]["to_stage_id"]}
    assert all(e["person"] == ann for e in found)


async def test_a_bulk_move_emits_one_event_per_application_in_one_statement(clock):
    await subscribe(types=["application.stage_changed"])
    requisition = await create_requisition("backend")
    stage = await stages(requisition["id"])
    apps = [await create_application(requisition["id"], await person(f"p{i}@example.com"))
            for i in range(5)]
    await bulk.move(requisition["id"], [a["id"] for a in apps], stage["Screen"],
                    by="rec@test.local", clock=clock)
    found = await events()
    assert sorted(e["payload"]["application_id"] for e in found) == sorted(
        a["id"] for a in apps)
    assert len(await deliveries()) == 5
    assert await outbox_tasks() == [webhooks.DELIVER_TASK]  # one statement, one task


async def test_registering_and_cancelling_emit_registration_events(clock, queue):
    await subscribe(types=["registration.created", "registration.cancelled"])
    event = await create_event()
    registration = await event_service.register_guest(
        event["slug"], email="reg@example.com", full_name="Reg", clock=clock, queue=queue)
    [found] = await events()
    assert found["payload"] == {"registration_id": registration["id"],
                                "event_id": event["id"], "person_id": registration["person"],
                                "status": "registered"}
    await event_service.cancel(registration["id"], clock=clock, queue=queue)
    await event_service.cancel(registration["id"], clock=clock, queue=queue)  # no-op
    assert [(e["type"], e["payload"]) for e in await events("registration.cancelled")] == [
        ("registration.cancelled", {"registration_id": registration["id"],
                                    "event_id": event["id"],
                                    "person_id": registration["person"]})]


async def test_a_bulk_moves_webhook_statements_do_not_grow_with_the_selection(clock,
                                                                             monkeypatch):
    from domain.outbox import service as outbox
    await subscribe(types=["application.stage_changed"])
    requisition = await create_requisition("backend")
    stage = await stages(requisition["id"])
    apps = [(await create_application(requisition["id"],
                                      await person(f"p{i}@example.com")))["id"]
            for i in range(33)]
    calls: list[str] = []
    for module in (webhooks, outbox):
        original = module.fetch

        async def counted(sql, *args, _original=original):
            calls.append(sql)
            return await _original(sql, *args)

        monkeypatch.setattr(module, "fetch", counted)
    await bulk.move(requisition["id"], apps[:3], stage["Screen"], by="rec", clock=clock)
    small = len(calls)
    calls.clear()
    await bulk.move(requisition["id"], apps[3:], stage["Interview"], by="rec", clock=clock)
    assert len(calls) == small == 2  # the INSERT…SELECT and its outbox row
    assert len(await deliveries()) == 33
