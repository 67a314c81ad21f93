"""Offer use cases: create and edit, the approval by a second person, sending, the
candidate's answer, and withdrawal.

Every status change is a conditional UPDATE (`… WHERE status = <expected>`), so of two
clicks at once exactly one acts and the other is told what happened meanwhile. Each
writes one audit entry (`offer.*`); what the candidate sees also goes on their timeline.
"""

from __future__ import annotations

from datetime import datetime

from domain.accounts.permissions import Permission
from domain.accounts.service import Staff
from domain.audit import service as audit
from domain.db import fetch, transaction
from domain.engagement import service as engagement
from domain.errors import Conflict, Invalid, NotFound, PermissionDenied
from domain.mail import service as mail
from domain.offers import outcomes, queries, rules
from domain.offers.rules import OfferDraft
from domain.pipeline import moves
from domain.ports import Clock, TaskQueue


class AlreadyAnswered(Conflict):
    """The candidate (or a second click) answers an offer no longer open for answers."""


async def create(application_id: int, draft: OfferDraft, *, by: Staff, clock: Clock) -> int:
    now = clock.now()
    async with transaction():
        # The application row lock serialises two "create" clicks: the second finds the
        # first offer and is refused, so an application never has two live offers.
        rows = await fetch("SELECT id, status FROM applications WHERE id = $1 FOR UPDATE",
                           application_id)
        if not rows:
            raise NotFound("There is no such application.")
        if rows[0]["status"] != "active":
            raise Invalid(f"This application is {rows[0]['status']}; offers are for "
                          "active applications.")
        if await queries.current(application_id):
            raise Conflict("This application already has an offer in progress; edit it.")
        rows = await fetch(
            "INSERT INTO offers (application, status, title, salary, salary_currency, "
            "salary_period, start_date, expires_on, letter, created_by, approved_by, "
            "decline_reason, created_at, updated_at) VALUES ($1, 'draft', $2, $3, $4, $5, "
            "$6, $7, $8, $9, '', '', $10, $10) RETURNING id",
            application_id, draft.title, draft.salary, draft.salary_currency,
            draft.salary_period, draft.start_date, draft.expires_on, draft.letter,
            by.email[:320], now)
        offer_id = int(rows[0]["id"])
        await _audit(offer_id, application_id, "offer.created", by.email, now)
    return offer_id


async def update(offer_id: int, draft: OfferDraft, *, by: Staff, clock: Clock) -> None:
    """Back to draft with the approval cleared: the approver approved other terms."""
    now = clock.now()
    async with transaction():
        rows = await fetch(
            "UPDATE offers SET title = $2, salary = $3, salary_currency = $4, "
            "salary_period = $5, start_date = $6, expires_on = $7, letter = $8, "
            "status = 'draft', approved_by = '', approved_at = NULL, updated_at = $9 "
            "WHERE id = $1 AND status = ANY($10::varchar[]) "
            "RETURNING application, (SELECT status FROM offers WHERE id = $1) AS was",
            offer_id, draft.title, draft.salary, draft.salary_currency, draft.salary_period,
            draft.start_date, draft.expires_on, draft.letter, now, list(rules.EDITABLE))
        if not rows:
            raise await _refused(offer_id, "edit")
        await _audit(offer_id, rows[0]["application"], "offer.edited", by.email, now,
                     {"was": rows[0]["was"]})


async def submit(offer_id: int, *, by: Staff, clock: Clock) -> None:
    await _step(offer_id, "submit", by.email, clock.now())


def _must_be_approver(offer: dict, by: Staff) -> None:
    if not by.can(Permission.REQUISITIONS_ALL):
        raise PermissionDenied("Only recruiters and admins approve offers.")
    if not rules.may_approve(offer["created_by"], by.email):
        raise Invalid(rules.AUTHOR_CANNOT_APPROVE)


async def approve(offer_id: int, *, by: Staff, clock: Clock) -> None:
    now = clock.now()
    _must_be_approver(await queries.offer_view(offer_id), by)
    async with transaction():
        # The author condition is repeated in SQL so the check and the change are one step.
        rows = await fetch(
            "UPDATE offers SET status = 'approved', approved_by = $2, approved_at = $3, "
            "updated_at = $3 WHERE id = $1 AND status = 'pending_approval' "
            "AND lower(created_by) <> lower($2) RETURNING application",
            offer_id, by.email[:320], now)
        if not rows:
            raise await _refused(offer_id, "approve")
        await _audit(offer_id, rows[0]["application"], "offer.approved", by.email, now)


async def reject_approval(offer_id: int, note: str, *, by: Staff, clock: Clock) -> None:
    note = note.strip()[:2000]
    if not note:
        raise Invalid("Say what should change.", {"note": "Say what should change."})
    _must_be_approver(await queries.offer_view(offer_id), by)
    await _step(offer_id, "reject", by.email, clock.now(), {"note": note})


async def send(offer_id: int, *, by: Staff, clock: Clock, queue: TaskQueue | None) -> None:
    now = clock.now()
    offer = await queries.offer_view(offer_id)
    if rules.is_past_deadline(offer["expires_on"], rules.deadline_today(now)):
        raise Invalid("The response deadline has passed; edit the offer to set a new one.")
    async with transaction():
        rows = await fetch("UPDATE offers SET status = 'sent', sent_at = $2, updated_at = $2 "
                           "WHERE id = $1 AND status = 'approved' RETURNING id", offer_id, now)
        if not rows:
            raise await _refused(offer_id, "send")
        await _audit(offer_id, offer["application"], "offer.sent", by.email, now)
        await engagement.record(person_id=offer["person"], type="offer_sent", occurred_at=now,
                                source=rules.subject(offer_id),
                                payload={"requisition": offer["job_title"]})
        await _email(offer, "offer_letter", now, queue)


async def withdraw(offer_id: int, *, by: Staff, clock: Clock,
                   queue: TaskQueue | None) -> None:
    now = clock.now()
    offer = await queries.offer_view(offer_id)
    async with transaction():
        rows = await fetch("UPDATE offers SET status = 'withdrawn', updated_at = $2 "
                           "WHERE id = $1 AND status = 'sent' RETURNING id", offer_id, now)
        if not rows:
            raise await _refused(offer_id, "withdraw")
        await _audit(offer_id, offer["application"], "offer.withdrawn", by.email, now)
        await _email(offer, "offer_withdrawn", now, queue)


async def respond(offer_id: int, *, accept: bool, reason: str = "", clock: Clock,
                  queue: TaskQueue | None = None) -> str:
    """The candidate's answer: "accepted", "declined", or "expired" when the deadline has
    passed (the offer is marked expired, as the expiry sweep would). AlreadyAnswered for
    an offer no longer sent; accepting hires in the same transaction, so a failed hire
    leaves the offer sent. The hiring team, author and approver are told the decision."""
    now = clock.now()
    async with transaction():
        # The row lock serialises two answers: the second waits, then sees the first.
        rows = await fetch("SELECT * FROM offers WHERE id = $1 FOR UPDATE", offer_id)
        if not rows:
            raise NotFound("There is no such offer.")
        offer = rows[0]
        if offer["status"] != "sent":
            raise AlreadyAnswered(f"This offer is already {offer['status']}.")
        person = await _person(offer["application"])
        if rules.is_past_deadline(offer["expires_on"], rules.deadline_today(now)):
            await fetch("UPDATE offers SET status = 'expired', updated_at = $2 WHERE id = $1",
                        offer_id, now)
            await outcomes.record_expired([offer_id], now=now, queue=queue)
            return "expired"
        status = "accepted" if accept else "declined"
        await fetch("UPDATE offers SET status = $2, responded_at = $3, decline_reason = $4, "
                    "updated_at = $3 WHERE id = $1 AND status = 'sent'",
                    offer_id, status, now, "" if accept else reason.strip()[:2000])
        await _audit(offer_id, offer["application"], f"offer.{status}", "candidate", now,
                     {} if accept else {"reason": reason.strip()[:2000]})
        await engagement.record(person_id=person, type=f"offer_{status}", occurred_at=now,
                                source=rules.subject(offer_id),
                                payload={"title": offer["title"]})
        if accept:
            await moves.hire(offer["application"], by="candidate (accepted offer)",
                             clock=clock)
        await outcomes.tell_team([offer_id], status, now=now, queue=queue)
    return status


async def _step(offer_id: int, action: str, actor: str, now: datetime,
                detail: dict | None = None) -> None:
    sources, target = rules.TRANSITIONS[action]
    async with transaction():
        rows = await fetch(
            "UPDATE offers SET status = $2, updated_at = $3 WHERE id = $1 "
            "AND status = ANY($4::varchar[]) RETURNING application",
            offer_id, target, now, list(sources))
        if not rows:
            raise await _refused(offer_id, action)
        await _audit(offer_id, rows[0]["application"], _AUDIT_NAMES[action], actor, now,
                     detail)


_AUDIT_NAMES = {"submit": "offer.submitted", "reject": "offer.approval_rejected"}


async def _refused(offer_id: int, action: str) -> Exception:
    rows = await fetch("SELECT status FROM offers WHERE id = $1", offer_id)
    if not rows:
        return NotFound("There is no such offer.")
    if action == "edit":
        return Conflict(f"This offer is {rows[0]['status'].replace('_', ' ')}; it can no "
                        "longer be edited.")
    return Conflict(rules.refusal(action, rows[0]["status"]))


async def _person(application_id: int) -> int:
    rows = await fetch("SELECT person FROM applications WHERE id = $1", application_id)
    return int(rows[0]["person"])


async def _email(offer: dict, template: str, now: datetime, queue: TaskQueue | None) -> None:
    await mail.queue_email(
        person_id=offer["person"], to=offer["email"], template=template,
        context={"offer_id": offer["id"]},
        dedupe_key=f"{template}:{offer['id']}", now=now, queue=queue, kind="transactional")


async def _audit(offer_id: int, application_id: int, action: str, actor: str,
                 now: datetime, detail: dict | None = None) -> None:
    await audit.record(action=action, at=now, actor=actor, subject=rules.subject(offer_id),
                       detail={"application": application_id, **(detail or {})})
