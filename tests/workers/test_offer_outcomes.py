"""After an offer is sent: the hiring team, author and approver are told the candidate's
decision (with the decline reason); the expiry cron task lapses sent offers once their
deadline day has ended (exactly once under re-runs and concurrent runs), with the audit
entry, the candidate's and the team's emails; the response link then explains. Real
database, worker and mail sink."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from domain.accounts import service as accounts
from domain.db import fetch, fetchval
from domain.offers import links, rules
from domain.offers import service as offers
from tests.events_support import person
from tests.jobs_support import create_application, create_requisition
from workers.settings import WorkerSettings
from workers.tasks.offer_expiry import expire_offers

pytestmark = pytest.mark.usefixtures("clean_state")

DEADLINE = date(2026, 11, 16)  # the clock starts 2026-11-02 09:00 UTC


async def _staff(email: str, role: str, clock, *, active: bool = True):
    user = await accounts.create_user(email=email, full_name=email.split("@")[0].title(),
                                      roles=[role], password="a-long-test-password",
                                      clock=clock)
    if not active:
        await fetch("UPDATE staff_users SET is_active = false WHERE id = $1", user.id)
    return user


async def _team(clock) -> dict:
    """rita writes, max approves; hal (hiring manager) and rita are on the team, with
    olga (inactive); eve, on no team, must hear nothing."""
    people = {email: await _staff(email, role, clock, active=email != "olga@corp.test")
              for email, role in (("rita@corp.test", "recruiter"),
                                  ("max@corp.test", "recruiter"),
                                  ("hal@corp.test", "hiring_manager"),
                                  ("eve@corp.test", "recruiter"),
                                  ("olga@corp.test", "recruiter"))}
    return people


async def _sent(clock, queue, staff: dict | None = None, *, email: str = "ann@example.com",
                slug: str = "backend-engineer") -> dict:
    staff = staff or await _team(clock)
    requisition = await create_requisition(slug, members={
        staff["rita@corp.test"].id: "recruiter", staff["hal@corp.test"].id: "hiring_manager",
        staff["olga@corp.test"].id: "recruiter"})
    application = await create_application(requisition["id"], await person(email, "Ann Smith"),
                                           "Offer")
    author, approver = staff["rita@corp.test"], staff["max@corp.test"]
    draft = rules.OfferDraft(title="Senior backend engineer", salary=85000,
                             salary_currency="EUR", salary_period="year",
                             start_date=date(2027, 1, 4), expires_on=DEADLINE,
                             letter="Dear Ann, welcome.")
    offer_id = await offers.create(application["id"], draft, by=author, clock=clock)
    await offers.submit(offer_id, by=author, clock=clock)
    await offers.approve(offer_id, by=approver, clock=clock)
    await offers.send(offer_id, by=author, clock=clock, queue=queue)
    return {"offer": offer_id, "application": application["id"], "staff": staff}


async def _team_mail(template: str = "offer_outcome") -> list[str]:
    rows = await fetch("SELECT to_address FROM outbound_emails WHERE template = $1 "
                       "ORDER BY to_address", template)
    return [row["to_address"] for row in rows]


TEAM = ["hal@corp.test", "max@corp.test", "rita@corp.test"]


async def test_an_acceptance_is_told_to_the_team_author_and_approver(clock, queue, mail,
                                                                    worker_burst):
    w = await _sent(clock, queue)
    assert await offers.respond(w["offer"], accept=True, clock=clock, queue=queue) \
        == "accepted"
    assert await _team_mail() == TEAM  # the author is on the team: one email, not two
    await worker_burst()
    (told,) = mail.find(to="hal@corp.test", subject_contains="Offer accepted")
    assert "Ann Smith accepted the offer for Senior backend engineer" in told.text_body
    assert f"/backoffice/applications/{w['application']}/offer" in told.text_body
    assert mail.find(to="eve@corp.test") == [] and mail.find(to="olga@corp.test") == []


async def test_a_decline_carries_the_reason(clock, queue, mail, worker_burst):
    w = await _sent(clock, queue)
    await offers.respond(w["offer"], accept=False, reason="A counter-offer from my employer",
                         clock=clock, queue=queue)
    await worker_burst()
    for address in TEAM:
        (told,) = mail.find(to=address, subject_contains="Offer declined")
        assert "Their reason: A counter-offer from my employer" in told.text_body


def test_the_expiry_task_is_a_unique_cron_job():
    assert expire_offers in WorkerSettings.functions
    jobs = [job for job in WorkerSettings.cron_jobs if job.coroutine is expire_offers]
    assert len(jobs) == 1 and jobs[0].unique


async def run(clock, queue, times: int = 1) -> int:
    ctx = {"clock": clock, "queue": queue}
    return sum(await asyncio.gather(*(expire_offers(ctx) for _ in range(times))))


async def test_sent_offers_lapse_once_after_their_deadline_day(clock, queue, mail,
                                                              worker_burst, browser):
    w = await _sent(clock, queue)
    other = await _sent(clock, queue, w["staff"], email="bob@example.com", slug="other-role")
    await fetch("UPDATE offers SET status = 'draft' WHERE id = $1", other["offer"])
    clock.current = datetime(2026, 11, 16, 23, 59, tzinfo=UTC)  # the last day still counts
    assert await run(clock, queue) == 0
    clock.current = datetime(2026, 11, 17, 0, 1, tzinfo=UTC)
    assert await run(clock, queue, times=2) == 1
    assert await run(clock, queue) == 0
    statuses = {r["id"]: r["status"] for r in await fetch("SELECT id, status FROM offers")}
    assert statuses == {w["offer"]: "expired", other["offer"]: "draft"}
    assert await fetchval("SELECT count(*) FROM audit_entries "
                          "WHERE action = 'offer.expired'") == 1
    assert await fetchval("SELECT count(*) FROM engagement_events "
                          "WHERE type = 'offer_expired'") == 1
    assert await _team_mail("offer_expired") == ["ann@example.com"]
    assert await _team_mail() == TEAM
    await worker_burst()
    (lapsed,) = mail.find(to="ann@example.com", subject_contains="has lapsed")
    assert "asked for an answer by 2026-11-16" in lapsed.text_body
    (told,) = mail.find(to="max@corp.test", subject_contains="Offer lapsed")
    assert "no answer by 2026-11-16" in told.text_body
    # The link in the offer letter now explains instead of taking an answer.
    url = f"/offers/{links.response_token(w['offer'])}"
    page = await browser.get(url)
    assert page.status_code == 200 and "This offer expired on 2026-11-16" in page.text
    assert await fetchval("SELECT status FROM applications WHERE id = $1",
                          w["application"]) == "active"


async def test_an_answer_after_the_deadline_lapses_it_like_the_sweep(clock, queue):
    w = await _sent(clock, queue)
    clock.current = datetime(2026, 11, 17, 8, tzinfo=UTC)
    assert await offers.respond(w["offer"], accept=True, clock=clock, queue=queue) \
        == "expired"
    assert await run(clock, queue) == 0
    assert await fetchval("SELECT count(*) FROM audit_entries "
                          "WHERE action = 'offer.expired'") == 1
    assert await _team_mail("offer_expired") == ["ann@example.com"]
    assert await _team_mail() == TEAM
