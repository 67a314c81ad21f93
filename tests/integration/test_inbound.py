"""Bounces, complaints and replies end to end against the database: suppressions, send
rollups, the complaint-rate warning and pause, reply matching both ways, the recruiter's
notice in the mail sink."""

from __future__ import annotations

from datetime import datetime

import pytest

from domain.accounts import service as accounts
from domain.campaigns import inbound
from domain.db import fetch, fetchval
from domain.privacy import suppression
from tests.dsn_samples import ARF_COMPLAINT, EXIM_DELAYED, POSTFIX_HARD, reply, sample
from tests.events_support import person
from tests.tracking_support import campaign, later, send_row, sent


@pytest.fixture
async def ann_send(clock):
    ann = await person("ann@example.com")
    campaign_id = await campaign()
    send_id = await sent(ann, campaign_id, at=clock.now(), token="tokAnn123",
                         message_id="<send-ann@acme.example>")
    return {"person": ann, "campaign": campaign_id, "send": send_id}


def _event(**fields) -> inbound.ProviderEvent:
    return inbound.parse_event({"type": "bounce", "email": "ann@example.com",
                                "bounce_type": "soft", **fields})


async def _suppression(email: str) -> dict | None:
    rows = await fetch("SELECT reason, detail FROM suppressions WHERE email_hash = $1",
                       suppression.email_hash(email))
    return rows[0] if rows else None


async def test_a_hard_bounce_report_suppresses_and_marks_the_send(ann_send, clock):
    raw = sample(POSTFIX_HARD, recipient="ann@example.com",
                 message_id="<send-ann@acme.example>")

    first = await inbound.receive(raw, clock=clock, queue=None)
    again = await inbound.receive(raw, clock=clock, queue=None)  # delivered twice

    assert first["bounces"][0]["suppressed"] is True
    assert again["bounces"][0] == {"kind": "bounce", "duplicate": True}
    assert await _suppression("ann@example.com") == {"reason": "hard_bounce",
                                                     "detail": "5.1.1"}
    row = await send_row(ann_send["send"])
    assert (row["bounced_at"], row["bounce_kind"]) == (clock.now(), "hard")
    stored = await fetch("SELECT kind, send, person, status_code FROM inbound_messages")
    assert stored == [{"kind": "bounce", "send": ann_send["send"],
                       "person": ann_send["person"], "status_code": "5.1.1"}]


async def test_three_soft_bounces_in_thirty_days_suppress(ann_send, clock):
    await inbound.receive(sample(EXIM_DELAYED, recipient="ann@example.com",
                                 message_id="<send-ann@acme.example>"), clock=clock, queue=None)
    assert (await send_row(ann_send["send"]))["bounce_kind"] == "soft"
    clock.advance(days=12)
    await inbound.provider_event(_event(message_id="<m2@acme.example>", status="4.2.1"),
                                 clock=clock, queue=None)
    assert await _suppression("ann@example.com") is None
    clock.advance(days=12)
    await inbound.provider_event(_event(message_id="<m3@acme.example>", status="4.4.7"),
                                 clock=clock, queue=None)

    assert (await _suppression("ann@example.com"))["reason"] == "soft_bounces"


async def test_soft_bounces_older_than_thirty_days_do_not_count(ann_send, clock):
    start = clock.now()
    for days, message in ((0, "<a@x>"), (31, "<b@x>"), (40, "<c@x>")):
        clock.current = later(start, days=days)
        await inbound.provider_event(_event(message_id=message, status="4.2.1"),
                                     clock=clock, queue=None)

    assert await _suppression("ann@example.com") is None
    assert await fetchval("SELECT count(*) FROM inbound_messages WHERE kind = 'bounce'") == 3


async def _sends(count: int, at: datetime) -> None:
    people = await fetch(
        "INSERT INTO people (email, full_name, source, created_at, updated_at) "
        "SELECT 'p' || n || '@example.org', 'P', 'test', now(), now() "
        "FROM generate_series(1, $1) AS n RETURNING id", count)
    cid = await campaign()
    await fetch("INSERT INTO marketing_sends (campaign, person, state, created_at, sent_at) "
                "SELECT $1, unnest($2::int[]), 'sent', $3, $3", cid,
                [p["id"] for p in people], at)


async def test_complaints_warn_at_a_tenth_of_a_percent_and_pause_at_three_tenths(
        ann_send, clock):
    await accounts.create_user(email="boss@test.local", full_name="Boss", roles=["admin"],
                               password="a-long-test-password", clock=clock)
    await _sends(999, clock.now())  # 1,000 sends with Ann's
    clock.advance(hours=1)
    arf = sample(ARF_COMPLAINT, recipient="ann@example.com",
                 message_id="<send-ann@acme.example>")

    assert (await inbound.receive(arf, clock=clock, queue=None))["level"] == "warn"
    assert await _suppression("ann@example.com") == {"reason": "complaint", "detail": "smtp"}
    settings = (await fetch("SELECT * FROM marketing_settings"))[0]
    assert settings["complaint_warned_at"] == clock.now() and settings["paused_at"] is None
    for n in (2, 3):
        result = await inbound.provider_event(
            inbound.parse_event({"type": "complaint", "email": f"p{n}@example.org"}),
            clock=clock, queue=None)
    assert result["level"] == "pause"
    settings = (await fetch("SELECT * FROM marketing_settings"))[0]
    assert settings["paused_at"] == clock.now() and "0.3%" in settings["paused_reason"]
    actions = [r["action"] for r in await fetch("SELECT action FROM audit_entries ORDER BY id")
               if r["action"].startswith("marketing.")]
    assert actions == ["marketing.complaint_rate_warning", "marketing.paused_for_complaints"]
    alerts = await fetch("SELECT to_address, context FROM outbound_emails "
                         "WHERE template = 'complaint_rate_alert' ORDER BY id")
    assert [a["to_address"] for a in alerts] == ["boss@test.local"] * 2


async def test_a_reply_by_token_is_stored_paused_and_the_author_told(
        ann_send, clock, queue, worker_burst, mail):
    await accounts.create_user(email="riley@test.local", full_name="Riley", roles=["recruiter"],
                               password="a-long-test-password", clock=clock)
    enrollment = await _enrolment(ann_send["person"], clock.now())
    raw = reply(to="Acme <replies+tokAnn123@replies.acme.example>", sender="ann@example.com",
                message_id="<reply-1@example.com>",
                body="Yes, I'd love to hear more! <b>not html</b>")

    result = await inbound.receive(raw, clock=clock, queue=queue)
    again = await inbound.receive(raw, clock=clock, queue=queue)

    assert (result["kind"], result["send"], result["paused"]) == ("reply", ann_send["send"], 1)
    assert again == {"kind": "reply", "duplicate": True}
    stored = (await fetch("SELECT * FROM inbound_messages WHERE kind = 'reply'"))[0]
    assert stored["body_text"] == "Yes, I'd love to hear more! <b>not html</b>"
    assert (stored["person"], stored["from_address"]) == (ann_send["person"], "ann@example.com")
    assert (await send_row(ann_send["send"]))["replied_at"] == clock.now()
    assert await fetchval("SELECT count(*) FROM engagement_events WHERE type = 'replied'") == 1
    assert await fetchval("SELECT state FROM sequence_enrollments WHERE id = $1",
                          enrollment) == "paused"
    await worker_burst()
    [notice] = mail.find("riley@test.local")
    assert "Ann Smith replied" in notice.subject
    assert "Yes, I'd love to hear more!" in notice.text_body
    assert "&lt;b&gt;not html&lt;/b&gt;" in notice.html_body


async def test_a_reply_by_in_reply_to_matches_without_the_token(ann_send, clock):
    raw = reply(to="news@acme.example", sender="ann@example.com",
                in_reply_to="<send-ann@acme.example>", message_id="<reply-2@example.com>")

    result = await inbound.receive(raw, clock=clock, queue=None)

    assert (result["kind"], result["send"]) == ("reply", ann_send["send"])


async def test_mail_matching_nothing_is_kept_as_unmatched_without_its_body(ann_send, clock):
    raw = reply(to="replies+nosuchtoken@replies.acme.example", sender="x@example.net",
                in_reply_to="<other@elsewhere>", message_id="<reply-3@example.net>")

    assert (await inbound.receive(raw, clock=clock, queue=None))["kind"] == "unmatched"
    stored = (await fetch("SELECT kind, send, body_text FROM inbound_messages"))[0]
    assert stored == {"kind": "unmatched", "send": None, "body_text": ""}
    assert (await send_row(ann_send["send"]))["replied_at"] is None


async def _enrolment(person_id: int, at: datetime) -> int:
    sequence = await fetchval(
        "INSERT INTO sequences (name, purpose, state, owner, created_at, updated_at) "
        "VALUES ('Nurture', 'community_emails', 'live', 'riley@test.local', $1, $1) "
        "RETURNING id", at)
    return int(await fetchval(
        "INSERT INTO sequence_enrollments (sequence, version, person, state, entered_at, "
        "updated_at) VALUES ($1, 1, $2, 'active', $3, $3) RETURNING id", sequence, person_id,
        at))


async def test_the_smtp_listener_stores_a_reply_and_a_bounce(ann_send, clock):
    import aiosmtplib

    from runtime.inbound import serve

    server = await serve("127.0.0.1", 0, clock=clock, queue=None)
    port = server.sockets[0].getsockname()[1]
    try:
        raw = reply(to="news@acme.example", sender="ann@example.com",
                    message_id="<reply-smtp@example.com>")
        await aiosmtplib.send(raw, sender="ann@example.com",
                              recipients=["replies+tokAnn123@replies.acme.example"],
                              hostname="127.0.0.1", port=port)
        dsn_raw = sample(POSTFIX_HARD, recipient="ann@example.com",
                         message_id="<send-ann@acme.example>")
        await aiosmtplib.send(dsn_raw, sender="mailer-daemon@mail.acme.example",
                              recipients=["bounces@acme.example"],
                              hostname="127.0.0.1", port=port)
    finally:
        server.close()
        await server.wait_closed()

    kinds = await fetch("SELECT kind, send FROM inbound_messages ORDER BY id")
    assert kinds == [{"kind": "reply", "send": ann_send["send"]},
                     {"kind": "bounce", "send": ann_send["send"]}]
    assert await suppression.is_suppressed("ann@example.com")


async def test_the_reply_reads_on_the_persons_timeline_escaped(ann_send, clock, app):
    from tests.events_support import staff_browser

    raw = reply(to="replies+tokAnn123@replies.acme.example", sender="ann@example.com",
                message_id="<reply-5@example.com>",
                body="Happy to talk.\n<script>alert(1)</script>\nCall me Friday.")
    await inbound.receive(raw, clock=clock, queue=None)
    recruiter = await staff_browser(app, "riley@test.local", ["recruiter"])

    page = await recruiter.get(f"/backoffice/candidates/{ann_send['person']}")

    assert page.status_code == 200
    assert "Reply: Re: Autumn news" in page.text
    assert "Happy to talk." in page.text and "Call me Friday." in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>alert(1)" not in page.text
