"""The campaign sender with the real arq worker (burst), real Redis, real PostgreSQL and
real SMTP into the sink: the send row's lifecycle, every eligibility reason, the headers,
the one-click unsubscribe link of a received campaign, one sender per campaign."""

import asyncio
import re
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser

import httpx
import pytest

from domain.campaigns import dispatch, sender_lock, sending
from domain.campaigns.sender_lock import StaleSender
from domain.consent import service as consent
from domain.db import execute, fetch, fetchval
from domain.ports import SystemClock
from domain.privacy import suppression
from tests.campaign_support import (
    SCOPE,
    approved_campaign,
    assert_consent_invariant,
    campaign_state,
    give_consent,
    marketing_settings,
    people_with_consent,
    send_states,
)
from tests.jobs_support import create_application, create_requisition

URI = re.compile(r"<([^>]+)>")
NOW = SystemClock()


@pytest.fixture(autouse=True)
async def consent_invariant(clean_state):
    yield
    await assert_consent_invariant()


def parsed(stored):
    raw = stored.raw.split(b"\n", 1)[1]  # drop the sink's X-Envelope-To line
    return raw, BytesParser(policy=policy.default).parsebytes(raw)


async def run_campaign(queue, worker_burst, campaign_id=None):
    """Tick (materialise, enqueue), let the worker send, tick again (finish)."""
    await sending.tick(queue=queue, clock=NOW)
    await worker_burst()
    await sending.tick(queue=queue, clock=NOW)


async def test_a_campaign_sends_once_to_each_recipient_and_finishes(queue, worker_burst, mail):
    people = await people_with_consent(3)
    campaign = await approved_campaign(people)
    await run_campaign(queue, worker_burst)
    assert await send_states(campaign) == {"sent": 3}
    assert await campaign_state(campaign) == "finished"
    rows = await fetch("SELECT * FROM marketing_sends WHERE campaign = $1", campaign)
    assert all(r["sent_at"] and r["message_id"] and r["reply_token"] and r["claimed_by"]
               for r in rows)
    assert await fetchval("SELECT recipients FROM campaigns WHERE id = $1", campaign) == 3
    events = await fetch("SELECT person FROM engagement_events WHERE type = 'email_sent'")
    assert sorted(e["person"] for e in events) == people
    assert mail.count() == 3
    # Running everything again sends nothing twice.
    await dispatch.enqueue_due_batches(campaign, queue, now=NOW.now(), generation=999)
    await queue.enqueue("send_campaign_batch", campaign, 1, job_id="again")
    await worker_burst()
    assert mail.count() == 3


async def test_a_batch_waiting_its_turn_is_queued_once(queue, worker_burst, mail):
    people = await people_with_consent(3)
    campaign = await approved_campaign(people)
    await sending.tick(queue=queue, clock=NOW)
    # Later ticks find the batch idle (nothing claimed: its job has not started yet).
    for _ in range(3):
        await sending.tick(queue=queue, clock=NOW)
    jobs = [job for job in await queue.pool.queued_jobs()
            if job.function == "send_campaign_batch"]
    assert len(jobs) == 1 and jobs[0].args == (campaign, 1)
    assert await queue.waiting(f"campaign-batch:{campaign}:") == {jobs[0].job_id}

    await worker_burst()
    await sending.tick(queue=queue, clock=NOW)
    assert await send_states(campaign) == {"sent": 3} and mail.count() == 3
    assert await queue.waiting(f"campaign-batch:{campaign}:") == set()


async def test_the_message_carries_its_headers_and_content(queue, worker_burst, mail):
    [person] = await people_with_consent(1)
    await execute("UPDATE people SET full_name = $2 WHERE id = $1", person,
                  "Eve\r\nBcc: victim@example.com")
    campaign = await approved_campaign([person], subject="Hi {{ full_name }}\r\nX-Evil: 1")
    await run_campaign(queue, worker_burst)
    [stored] = mail.find(to="r1@example.com")
    raw, message = parsed(stored)
    row = (await fetch("SELECT * FROM marketing_sends WHERE campaign = $1", campaign))[0]
    assert message["Message-ID"] == row["message_id"]
    assert message["Reply-To"] == f"replies+{row['reply_token']}@replies.acme.example"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [url] = URI.findall(str(message["List-Unsubscribe"]))
    assert url.startswith("http://testserver/u/") and f"<{url}>".encode() in raw
    assert message["X-Evil"] is None and message["Bcc"] is None
    assert "\n" not in str(message["Subject"]) and "X-Evil: 1" in str(message["Subject"])
    assert [key for key, _ in message.items()].count("Subject") == 1
    assert "/c/" in stored.html_body and "https://example.com/jobs" not in stored.html_body
    assert "/o/" in stored.html_body, "the open pixel"
    assert "author@test.local, Acme" in stored.html_body, "recruiter signature"
    assert "Market Street" in stored.html_body and url in stored.html_body
    # The content carries the address and the unsubscribe link; the layout adds neither.
    assert stored.html_body.count("Market Street") == 1
    assert stored.html_body.count(">Unsubscribe</a>") == 1


async def test_each_ineligible_recipient_is_skipped_with_its_reason(queue, worker_burst, mail):
    ok, missing, withdrawn, expired, suppressed, applicant = await people_with_consent(6)
    await execute("DELETE FROM consent_records WHERE person = $1", missing)
    await give_consent([withdrawn], at=datetime(2026, 7, 1, tzinfo=UTC), action="withdrawn")
    await execute("UPDATE consent_records SET occurred_at = $2 WHERE person = $1", expired,
                  datetime(2023, 1, 1, tzinfo=UTC))
    await suppression.suppress("r5@example.com", reason="hard_bounce", now=NOW.now())
    requisition = await create_requisition()
    await create_application(requisition["id"], applicant)
    campaign = await approved_campaign([ok, missing, withdrawn, expired, suppressed,
                                        applicant])
    await run_campaign(queue, worker_burst)
    rows = await fetch("SELECT person, state, reason FROM marketing_sends WHERE campaign = $1",
                       campaign)
    outcome = {r["person"]: (r["state"], r["reason"]) for r in rows}
    assert outcome == {ok: ("sent", ""), missing: ("skipped", "consent"),
                       withdrawn: ("skipped", "unsubscribed"),
                       expired: ("skipped", "consent"),
                       suppressed: ("skipped", "suppressed"),
                       applicant: ("skipped", "applicant")}
    assert [m.to for m in mail.list()] == ["r1@example.com"]
    assert await campaign_state(campaign) == "finished"


async def test_the_frequency_cap_counts_sends_across_campaigns(queue, worker_burst, mail):
    await marketing_settings(cap_messages=1)
    people = await people_with_consent(2)
    first = await approved_campaign(people, name="First")
    await run_campaign(queue, worker_burst)
    second = await approved_campaign(people[:1], name="Second")
    await run_campaign(queue, worker_burst)
    assert await send_states(first) == {"sent": 2}
    rows = await fetch("SELECT state, reason FROM marketing_sends WHERE campaign = $1", second)
    assert [(r["state"], r["reason"]) for r in rows] == [("skipped", "frequency_cap")]
    await marketing_settings(cap_messages=2)
    third = await approved_campaign(people[:1], name="Third")
    await run_campaign(queue, worker_burst)
    assert await send_states(third) == {"sent": 1}


async def test_a_marketing_pause_skips_everyone(queue, worker_burst, mail):
    people = await people_with_consent(2)
    await marketing_settings(paused=True)
    campaign = await approved_campaign(people)
    await run_campaign(queue, worker_burst)
    assert await send_states(campaign) == {"skipped": 2}
    assert mail.count() == 0


async def test_the_unsubscribe_link_in_a_received_campaign_works(app, queue, worker_burst,
                                                                  mail):
    [person] = await people_with_consent(1)
    await approved_campaign([person])
    await run_campaign(queue, worker_burst)
    _, message = parsed(mail.find(to="r1@example.com")[0])
    [url] = URI.findall(str(message["List-Unsubscribe"]))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not await consent.can_email(person, "community_emails", SCOPE, at=NOW.now())
    later = await approved_campaign([person], name="Later")
    await run_campaign(queue, worker_burst)
    assert await fetchval("SELECT reason FROM marketing_sends WHERE campaign = $1",
                          later) == "unsubscribed"
    assert mail.count() == 1


async def test_content_edited_after_approval_never_goes_out(queue, worker_burst, mail):
    people = await people_with_consent(2)
    campaign = await approved_campaign(people)
    await sending.tick(queue=queue, clock=NOW)  # materialised, batch queued
    await execute("UPDATE campaigns SET revision = revision + 1, html_body = 'edited' "
                  "WHERE id = $1", campaign)
    await worker_burst()
    assert await send_states(campaign) == {"queued": 2}
    assert mail.count() == 0


async def test_two_concurrent_ticks_start_one_sender(queue, worker_burst, mail):
    people = await people_with_consent(5)
    campaign = await approved_campaign(people)
    results = await asyncio.gather(*(dispatch.advance(campaign, queue=queue, clock=NOW)
                                     for _ in range(4)))
    assert sorted(results) == [0, 0, 0, 1]
    assert await fetchval("SELECT sender_fence FROM campaigns WHERE id = $1", campaign) == 1
    assert await fetchval("SELECT count(*) FROM marketing_sends") == 5
    await worker_burst()
    assert mail.count() == 5


async def test_a_stale_senders_fenced_writes_are_refused(queue):
    people = await people_with_consent(3)
    campaign = await approved_campaign(people, state="sending")
    old = await sender_lock.acquire(campaign, now=NOW.now())
    assert await sender_lock.acquire(campaign, now=NOW.now()) is None, "lease is held"
    # The old sender stalls past its lease; a new one takes over.
    new = await sender_lock.acquire(campaign, now=NOW.now() + timedelta(minutes=5))
    assert old is not None and new == old + 1
    with pytest.raises(StaleSender):
        await dispatch.materialise_page(campaign, old, now=NOW.now(), batch_size=10)
    assert await fetchval("SELECT count(*) FROM marketing_sends") == 0
    assert await dispatch.materialise_page(campaign, new, now=NOW.now(), batch_size=2) == 1
    assert await dispatch.materialise_page(campaign, new, now=NOW.now(), batch_size=2) == 2
    assert not await dispatch.finish_if_done(campaign, old, now=NOW.now())
    cursor = await fetchval("SELECT audience_cursor FROM campaigns WHERE id = $1", campaign)
    assert cursor == people[-1]


async def test_pause_stops_claims_and_resume_continues(queue, worker_burst, mail):
    people = await people_with_consent(4)
    campaign = await approved_campaign(people)
    await sending.tick(queue=queue, clock=NOW)
    await sending.pause(campaign, "marketing@test.local", NOW)
    await worker_burst()
    assert await send_states(campaign) == {"queued": 4} and mail.count() == 0
    await sending.resume(campaign, "marketing@test.local", NOW, queue=queue)
    await worker_burst()
    await sending.tick(queue=queue, clock=NOW)
    assert await send_states(campaign) == {"sent": 4}
    assert await campaign_state(campaign) == "finished"
    actions = await fetch("SELECT action FROM audit_entries WHERE subject = $1 ORDER BY id",
                          f"campaign:{campaign}")
    assert [a["action"] for a in actions] == ["campaign.paused", "campaign.resumed"]


async def test_cancel_skips_what_is_still_queued(queue, worker_burst, mail):
    people = await people_with_consent(3)
    campaign = await approved_campaign(people)
    await sending.tick(queue=queue, clock=NOW)
    await sending.cancel(campaign, "marketing@test.local", NOW)
    await worker_burst()
    rows = await fetch("SELECT state, reason FROM marketing_sends WHERE campaign = $1", campaign)
    assert {(r["state"], r["reason"]) for r in rows} == {("skipped", "cancelled")}
    assert mail.count() == 0


async def test_a_stale_claim_becomes_in_doubt_and_waits_for_a_decision(queue, worker_burst,
                                                                      mail):
    people = await people_with_consent(2)
    campaign = await approved_campaign(people)
    await sending.tick(queue=queue, clock=NOW)
    # A worker claimed the first row and died before recording the outcome.
    await execute("UPDATE marketing_sends SET state = 'sending', claimed_by = 'dead', "
                  "claimed_at = now() - interval '10 minutes' WHERE person = $1", people[0])
    await worker_burst()
    await sending.tick(queue=queue, clock=NOW)
    assert await send_states(campaign) == {"in_doubt": 1, "sent": 1}
    assert await campaign_state(campaign) == "finished"
    [doubt] = await fetch("SELECT id FROM marketing_sends WHERE state = 'in_doubt'")
    await worker_burst()
    assert mail.count() == 1, "never resent automatically"
    assert await sending.decide_in_doubt([doubt["id"]], "resend", "admin@test.local", NOW,
                                         queue=queue) == 1
    await worker_burst()
    await sending.tick(queue=queue, clock=NOW)
    assert await send_states(campaign) == {"sent": 2} and mail.count() == 2
    assert await campaign_state(campaign) == "finished"


async def test_a_send_window_holds_recipients_until_it_opens(queue, worker_burst, mail):
    people = await people_with_consent(2)
    closed_today = [d for d in range(1, 8) if d != NOW.now().isoweekday()]
    campaign = await approved_campaign(people, window_days=closed_today)
    await run_campaign(queue, worker_burst)
    rows = await fetch("SELECT state, not_before FROM marketing_sends WHERE campaign = $1",
                       campaign)
    assert {r["state"] for r in rows} == {"queued"}
    assert all(r["not_before"] > NOW.now() for r in rows)
    assert mail.count() == 0 and await campaign_state(campaign) == "sending"


async def sequence_send(person: int, *, enrollment_state: str = "active") -> int:
    """A live sequence whose version 1 has one email step, an enrolment of `person`, and
    the queued send row the nurture scheduler writes for that step."""
    sequence = await fetchval(
        "INSERT INTO sequences (name, purpose, consent_scope, state, live_version, owner, "
        "created_at, updated_at) VALUES ('Welcome ' || $2, 'community_emails', $1, 'live', "
        "1, 'owner@test.local', now(), now()) RETURNING id", SCOPE, str(person))
    steps = ('[{"key": "hello", "type": "email", "subject": "Welcome {{ first_name }}", '
             '"html_body": "<p>Hi {{ first_name }}, <a href=\\"https://example.com/x\\">x</a>'
             '</p><p><a href=\\"{{ unsubscribe_url }}\\">Unsubscribe</a> {{ postal_address }}'
             '</p>", "text_body": "", "text_is_custom": false}]')
    await execute("INSERT INTO sequence_versions (sequence, version, steps, entry_rules, "
                  "exit_rules, created_at) VALUES ($1, 1, $2::jsonb, '[]', '[]', now())",
                  sequence, steps)
    enrollment = await fetchval(
        "INSERT INTO sequence_enrollments (sequence, version, person, state, step_key, "
        "entered_at, updated_at) VALUES ($1, 1, $2, $3, 'hello', now(), now()) RETURNING id",
        sequence, person, enrollment_state)
    return int(await fetchval(
        "INSERT INTO marketing_sends (enrollment, step_key, person, state, created_at) "
        "VALUES ($1, 'hello', $2, 'queued', now()) RETURNING id", enrollment, person))


async def test_a_sequence_email_step_goes_the_same_send_path(queue, worker_burst, mail):
    first, second = await people_with_consent(2)
    send = await sequence_send(first)
    await give_consent([second], at=datetime(2026, 7, 1, tzinfo=UTC), action="withdrawn")
    unsubscribed = await sequence_send(second)
    await run_campaign(queue, worker_burst)
    rows = {r["id"]: r for r in await fetch("SELECT * FROM marketing_sends")}
    assert (rows[send]["state"], rows[unsubscribed]["state"]) == ("sent", "skipped")
    assert rows[unsubscribed]["reason"] == "unsubscribed"
    [stored] = mail.find(to="r1@example.com")
    _, message = parsed(stored)
    assert str(message["Subject"]) == "Welcome Person"
    assert message["Message-ID"] == rows[send]["message_id"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/c/" in stored.html_body and "owner@test.local, Acme" not in stored.html_body
    # Links are stored once per sequence version and step (each person has a sequence).
    assert await fetchval("SELECT count(*) FROM tracked_links WHERE content_key LIKE "
                          "'sequence:%:1:hello'") == 2


async def test_a_sequence_email_of_an_exited_enrolment_is_skipped(queue, worker_burst, mail):
    [person] = await people_with_consent(1)
    send = await sequence_send(person, enrollment_state="exited")
    await run_campaign(queue, worker_burst)
    row = (await fetch("SELECT state, reason FROM marketing_sends WHERE id = $1", send))[0]
    assert (row["state"], row["reason"]) == ("skipped", "enrollment")
    assert mail.count() == 0


async def test_the_last_email_of_a_completed_enrolment_still_goes_out(queue, worker_burst,
                                                                      mail):
    """An email step followed at once by `end` completes the enrolment in the tick that
    queued the email: the email is still sent."""
    [person] = await people_with_consent(1)
    send = await sequence_send(person, enrollment_state="completed")
    await run_campaign(queue, worker_burst)
    assert await fetchval("SELECT state FROM marketing_sends WHERE id = $1", send) == "sent"
    assert mail.count() == 1


async def test_a_non_ascii_name_is_encoded_in_the_subject(queue, worker_burst, mail):
    [person] = await people_with_consent(1)
    await execute("UPDATE people SET full_name = 'Zoë Ångström' WHERE id = $1", person)
    await approved_campaign([person])
    await run_campaign(queue, worker_burst)
    [stored] = mail.find(to="r1@example.com")
    raw, message = parsed(stored)
    assert str(message["Subject"]) == "News, Zoë"
    assert "Zoë".encode() not in raw.split(b"\n\n", 1)[0], "headers are 7-bit"
    assert "Hello Zoë" in stored.html_body and "Hello Zoë" in stored.text_body
