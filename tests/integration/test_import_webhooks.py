"""A CSV people import emits person.created for the people it created (not for existing
people it updated) and consent.changed for the ledger entries it wrote, set-based in the
batch's transaction, with the payloads of the single-person paths; nothing when nobody
listens."""

from __future__ import annotations

import pytest

from domain.db import fetch, fetchval
from domain.imports import service as imports
from domain.integrations import webhooks
from domain.people import service as people
from tests.webhooks_support import events, subscribe

pytestmark = pytest.mark.usefixtures("clean_state")

ROWS = 25
CSV = b"email,name\n" + b"".join(f"p{i}@example.com,Person {i}\n".encode()
                                 for i in range(ROWS))


async def _import(clock) -> int:
    import_id = await imports.upload(filename="list.csv", data=CSV, by="rita@corp.test",
                                     clock=clock)
    await imports.save_mapping(import_id, {"column-0": "email", "column-1": "full_name",
                                           "lawful_basis": "legitimate_interest",
                                           "source": "sourcing"},
                               by="rita@corp.test", clock=clock)
    await imports.start(import_id, by="rita@corp.test", clock=clock, queue=None)
    assert await imports.run(import_id, clock=clock) == "done"
    return import_id


async def test_an_import_emits_person_created_for_new_people_and_its_consent_entries(clock):
    await subscribe(types=["person.created", "consent.changed"])
    known = await people.find_or_create(email="p0@example.com", full_name="",
                                        source="portal", now=clock.now())
    await fetch("DELETE FROM webhook_events")
    await fetch("DELETE FROM webhook_deliveries")

    import_id = await _import(clock)

    created = await events("person.created")
    new_ids = {row["id"] for row in await fetch(
        "SELECT id FROM people WHERE id <> $1", known["id"])}
    assert len(created) == ROWS - 1
    assert {e["person"] for e in created} == new_ids
    assert all(e["payload"] == {"person_id": e["person"], "source": "sourcing"}
               for e in created)
    # The ledger got an entry for everyone, the existing person too: one event each.
    consent = await events("consent.changed")
    ledger = await fetch("SELECT person FROM consent_records WHERE method = $1",
                         f"import:{import_id}")
    assert sorted(e["person"] for e in consent) == sorted(r["person"] for r in ledger)
    assert len(consent) == ROWS
    assert all(e["payload"] == {"person_id": e["person"], "purpose": "sourcing", "scope": "",
                                "action": "noted", "method": f"import:{import_id}"}
               for e in consent)
    assert await fetchval("SELECT count(*) FROM webhook_deliveries") == 2 * ROWS - 1
    assert await fetchval("SELECT count(*) FROM outbox_messages WHERE task = $1",
                          webhooks.DELIVER_TASK) >= 1


async def test_a_subscription_to_one_type_gets_only_that_type(clock):
    await subscribe(types=["consent.changed"])
    await _import(clock)
    assert await events("person.created") == []
    assert len(await events("consent.changed")) == ROWS


async def test_no_subscription_no_events(clock):
    await subscribe(types=["application.created"])
    await subscribe("https://off.example/in", types=["person.created"], active=False)
    await _import(clock)
    assert await fetchval("SELECT count(*) FROM people") == ROWS
    assert await fetchval("SELECT count(*) FROM webhook_events") == 0
    assert await fetchval("SELECT count(*) FROM webhook_deliveries") == 0
