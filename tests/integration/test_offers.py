"""Offer use cases against the real database: the author cannot approve, an edit after
approval returns to draft, accepting hires and fills the requisition, two concurrent
accepts hire once, declining keeps the application active, and the audit trail."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from domain.accounts import service as accounts
from domain.db import fetch, fetchval
from domain.errors import Conflict, Invalid, PermissionDenied
from domain.offers import rules
from domain.offers import service as offers
from tests.events_support import person
from tests.jobs_support import create_application, create_requisition

pytestmark = pytest.mark.usefixtures("clean_state")

DRAFT = rules.OfferDraft(title="Backend engineer", salary=85000, salary_currency="EUR",
                         salary_period="year", start_date=date(2027, 1, 4),
                         expires_on=date(2026, 11, 16), letter="Dear Ann, welcome.")


async def _staff(email: str, role: str, clock):
    return await accounts.create_user(email=email, full_name=email.split("@")[0].title(),
                                      roles=[role], password="a-long-test-password",
                                      clock=clock)


async def setup(clock) -> dict:
    requisition = await create_requisition()
    application = await create_application(requisition["id"],
                                           await person("ann@example.com"), stage="Offer")
    return {"author": await _staff("rita@corp.test", "recruiter", clock),
            "approver": await _staff("max@corp.test", "recruiter", clock),
            "requisition": requisition, "application": application}


async def status(offer_id: int) -> str:
    return await fetchval("SELECT status FROM offers WHERE id = $1", offer_id)


async def sent_offer(world, clock) -> int:
    offer_id = await offers.create(world["application"]["id"], DRAFT, by=world["author"],
                                   clock=clock)
    await offers.submit(offer_id, by=world["author"], clock=clock)
    await offers.approve(offer_id, by=world["approver"], clock=clock)
    await offers.send(offer_id, by=world["author"], clock=clock, queue=None)
    return offer_id


async def test_the_author_cannot_approve_their_own_offer(clock):
    world = await setup(clock)
    offer_id = await offers.create(world["application"]["id"], DRAFT, by=world["author"],
                                   clock=clock)
    await offers.submit(offer_id, by=world["author"], clock=clock)
    with pytest.raises(Invalid, match="someone else must approve"):
        await offers.approve(offer_id, by=world["author"], clock=clock)
    assert await status(offer_id) == "pending_approval"
    hm = await _staff("hm@corp.test", "hiring_manager", clock)
    with pytest.raises(PermissionDenied):
        await offers.approve(offer_id, by=hm, clock=clock)
    await offers.approve(offer_id, by=world["approver"], clock=clock)
    row = (await fetch("SELECT * FROM offers WHERE id = $1", offer_id))[0]
    assert row["status"] == "approved" and row["approved_by"] == "max@corp.test"


async def test_an_edit_after_approval_returns_to_draft(clock):
    world = await setup(clock)
    offer_id = await offers.create(world["application"]["id"], DRAFT, by=world["author"],
                                   clock=clock)
    await offers.submit(offer_id, by=world["author"], clock=clock)
    await offers.approve(offer_id, by=world["approver"], clock=clock)
    richer = rules.OfferDraft(**{**DRAFT.__dict__, "salary": 90000})
    await offers.update(offer_id, richer, by=world["author"], clock=clock)
    row = (await fetch("SELECT * FROM offers WHERE id = $1", offer_id))[0]
    assert (row["status"], row["approved_by"], row["approved_at"], row["salary"]) == \
        ("draft", "", None, 90000)
    with pytest.raises(Conflict):
        await offers.send(offer_id, by=world["author"], clock=clock, queue=None)
    edited = await fetch("SELECT detail FROM audit_entries WHERE action = 'offer.edited'")
    assert '"was": "approved"' in edited[0]["detail"]


async def test_a_sent_back_offer_needs_a_note_and_returns_to_draft(clock):
    world = await setup(clock)
    offer_id = await offers.create(world["application"]["id"], DRAFT, by=world["author"],
                                   clock=clock)
    await offers.submit(offer_id, by=world["author"], clock=clock)
    with pytest.raises(Invalid):
        await offers.reject_approval(offer_id, " ", by=world["approver"], clock=clock)
    await offers.reject_approval(offer_id, "Salary above band", by=world["approver"],
                                 clock=clock)
    assert await status(offer_id) == "draft"


async def test_accepting_hires_and_fills_the_requisition(clock):
    world = await setup(clock)
    offer_id = await sent_offer(world, clock)
    assert await offers.respond(offer_id, accept=True, clock=clock) == "accepted"
    application = (await fetch("SELECT status FROM applications WHERE id = $1",
                               world["application"]["id"]))[0]
    requisition = (await fetch("SELECT filled, status, close_reason FROM requisitions "
                               "WHERE id = $1", world["requisition"]["id"]))[0]
    assert application["status"] == "hired"
    assert dict(requisition) == {"filled": 1, "status": "closed", "close_reason": "filled"}
    actions = [row["action"] for row in await fetch(
        "SELECT action FROM audit_entries WHERE subject = $1 ORDER BY id",
        rules.subject(offer_id))]
    assert actions == ["offer.created", "offer.submitted", "offer.approved", "offer.sent",
                       "offer.accepted"]
    types = {row["type"] for row in await fetch("SELECT type FROM engagement_events")}
    assert {"offer_sent", "offer_accepted", "application_hired"} <= types
    with pytest.raises(offers.AlreadyAnswered):
        await offers.respond(offer_id, accept=False, clock=clock)


async def test_two_concurrent_accepts_hire_once(clock):
    world = await setup(clock)
    offer_id = await sent_offer(world, clock)
    results = await asyncio.gather(
        *(offers.respond(offer_id, accept=True, clock=clock) for _ in range(2)),
        return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["AlreadyAnswered", "str"]
    assert await fetchval("SELECT filled FROM requisitions WHERE id = $1",
                          world["requisition"]["id"]) == 1
    assert await fetchval("SELECT count(*) FROM stage_transitions WHERE kind = 'hired'") == 1


async def test_declining_keeps_the_application_active(clock):
    world = await setup(clock)
    offer_id = await sent_offer(world, clock)
    assert await offers.respond(offer_id, accept=False, reason="Counter-offer",
                                clock=clock) == "declined"
    row = (await fetch("SELECT status, decline_reason FROM offers WHERE id = $1",
                       offer_id))[0]
    assert dict(row) == {"status": "declined", "decline_reason": "Counter-offer"}
    assert await fetchval("SELECT status FROM applications WHERE id = $1",
                          world["application"]["id"]) == "active"
    # A new offer may follow the declined one.
    assert await offers.create(world["application"]["id"], DRAFT, by=world["author"],
                               clock=clock)


async def test_an_answer_after_the_deadline_expires_the_offer(clock):
    world = await setup(clock)
    offer_id = await sent_offer(world, clock)
    clock.advance(days=15)
    assert await offers.respond(offer_id, accept=True, clock=clock) == "expired"
    assert await status(offer_id) == "expired"
    assert await fetchval("SELECT status FROM applications WHERE id = $1",
                          world["application"]["id"]) == "active"


async def test_withdraw_only_a_sent_offer_and_one_live_offer_at_a_time(clock):
    world = await setup(clock)
    offer_id = await offers.create(world["application"]["id"], DRAFT, by=world["author"],
                                   clock=clock)
    with pytest.raises(Conflict, match="in progress"):
        await offers.create(world["application"]["id"], DRAFT, by=world["author"],
                            clock=clock)
    with pytest.raises(Conflict, match="draft"):
        await offers.withdraw(offer_id, by=world["author"], clock=clock, queue=None)
    await offers.submit(offer_id, by=world["author"], clock=clock)
    await offers.approve(offer_id, by=world["approver"], clock=clock)
    await offers.send(offer_id, by=world["author"], clock=clock, queue=None)
    await offers.withdraw(offer_id, by=world["author"], clock=clock, queue=None)
    assert await status(offer_id) == "withdrawn"
    templates = [row["template"] for row in await fetch(
        "SELECT template FROM outbound_emails ORDER BY id")]
    assert templates == ["offer_letter", "offer_withdrawn"]
