"""List-Unsubscribe on marketing mail and the re-consent sweep, with the real worker,
real Redis and real SMTP into the sink (QUALITY.md P4, P5)."""

import re
from email import policy
from email.parser import BytesParser

import httpx
import pytest

from domain.consent import service as consent
from domain.db import fetch, transaction
from domain.mail import service as mail_service
from domain.people import service as people
from workers.settings import WorkerSettings
from workers.tasks.consent import sweep_consent_expiry

URI = re.compile(r"<([^>]+)>")


@pytest.fixture
async def member(clock, community):
    ann = (await people.find_or_create(email="ann@example.com", full_name="Ann Smith",
                                       source="test", now=clock.now()))["id"]
    rows = await fetch("INSERT INTO community_memberships (person, community, status, "
                       "requested_at) VALUES ($1, $2, 'confirmed', $3) RETURNING id",
                       ann, community["id"], clock.now())
    await consent.record(person_id=ann, purpose="community_emails", scope="engineering",
                         text_id=(await fetch("SELECT id FROM consent_texts"))[0]["id"],
                         action="given", method="double_opt_in", at=clock.now())
    return {"person_id": ann, "membership_id": rows[0]["id"]}


async def queue_email(member, clock, queue, *, kind, key="k1"):
    context = {"membership_id": member["membership_id"], "consent_purpose": "community_emails",
               "consent_scope": "engineering"}
    async with transaction():
        return await mail_service.queue_email(
            person_id=member["person_id"], to="ann@example.com",
            template="community_already_member", context=context, dedupe_key=key,
            now=clock.now(), queue=queue, kind=kind)


def parsed(stored):
    raw = stored.raw.split(b"\n", 1)[1]  # drop the sink's X-Envelope-To line
    return raw, BytesParser(policy=policy.default).parsebytes(raw)


def test_the_sweep_is_a_registered_cron_task():
    assert "sweep_consent_expiry" in {f.__name__ for f in WorkerSettings.functions}
    assert any(job.name.endswith("sweep_consent_expiry") for job in WorkerSettings.cron_jobs)


async def test_marketing_mail_carries_one_click_headers_and_footer_links(
        clock, queue, member, mail, worker_burst):
    await queue_email(member, clock, queue, kind="marketing")
    await worker_burst()
    [stored] = mail.find(to="ann@example.com")
    raw, message = parsed(stored)
    assert len(message.get_all("List-Unsubscribe")) == 1
    uris = URI.findall(str(message["List-Unsubscribe"]))
    web = [uri for uri in uris if not uri.startswith("mailto:")]
    assert len(web) == 1 and web[0].startswith("http://testserver/u/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"<{web[0]}>".encode() in raw, "the URL must not be folded into encoded words"
    assert web[0] in stored.html_body and "http://testserver/preferences/" in stored.html_body
    assert "Manage your email preferences" in stored.html_body


async def test_transactional_mail_has_neither_header(clock, queue, member, mail, worker_burst):
    await queue_email(member, clock, queue, kind="transactional")
    await worker_burst()
    [stored] = mail.find(to="ann@example.com")
    _, message = parsed(stored)
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None
    assert "/u/" not in stored.html_body


async def test_the_header_url_unsubscribes_by_post(app, clock, queue, member, mail,
                                                   worker_burst):
    await queue_email(member, clock, queue, kind="marketing")
    await worker_burst()
    _, message = parsed(mail.find(to="ann@example.com")[0])
    url = URI.findall(str(message["List-Unsubscribe"]))[-1]
    app.state.clock = clock
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not await consent.can_email(member["person_id"], "community_emails", "engineering",
                                       at=clock.now())
    # A marketing email still queued after the withdrawal is not sent.
    await queue_email(member, clock, queue, kind="marketing", key="k2")
    await worker_burst()
    assert len(mail.find(to="ann@example.com")) == 1
    rows = await fetch("SELECT state, last_error FROM outbound_emails WHERE dedupe_key = 'k2'")
    assert rows[0]["state"] == "failed" and "no consent" in rows[0]["last_error"]


async def test_reconsent_reminder_is_sent_once_then_consent_expires(
        clock, queue, member, mail, worker_burst):
    ctx = {"clock": clock, "queue": queue}
    clock.advance(days=365 * 2 - 20)
    assert (await sweep_consent_expiry(ctx))["reminded"] == 1
    await worker_burst()
    clock.advance(hours=1)
    assert (await sweep_consent_expiry(ctx))["reminded"] == 0
    await worker_burst()
    [stored] = mail.find(to="ann@example.com")
    assert "Renew" in stored.subject and "Engineering" in stored.subject
    assert "http://testserver/preferences/" in stored.text_body
    _, message = parsed(stored)
    assert message["List-Unsubscribe"] is None, "a re-consent request is transactional"

    clock.advance(days=21)
    assert (await sweep_consent_expiry(ctx))["expired"] == 1
    ledger = await fetch("SELECT action, method FROM consent_records ORDER BY id")
    assert (ledger[-1]["action"], ledger[-1]["method"]) == ("expired", "policy")
    assert not await consent.can_email(member["person_id"], "community_emails", "engineering",
                                       at=clock.now())
    await worker_burst()
    assert len(mail.find(to="ann@example.com")) == 1, "nothing else was sent"


def test_list_unsubscribe_takes_exactly_one_plain_http_url():
    from email.message import EmailMessage

    from workers.emails import MESSAGE_POLICY, add_list_unsubscribe

    message = EmailMessage(policy=MESSAGE_POLICY)
    for bad in ("javascript:alert(1)", "https://a.example/u/x>, <https://evil.example/",
                "https://a.example/u/x\r\nBcc: victim@example.com"):
        with pytest.raises(ValueError, match="one absolute"):
            add_list_unsubscribe(message, bad)
    add_list_unsubscribe(message, "https://a.example/u/x", mailto="unsubscribe@a.example")
    assert message["List-Unsubscribe"] == "<mailto:unsubscribe@a.example>, <https://a.example/u/x>"
    with pytest.raises(ValueError, match="at most 1"):  # ambiguous
        add_list_unsubscribe(message, "https://a.example/u/y")
