"""The mail path with the real arq worker, real Redis and real SMTP into the sink."""

import pytest
from arq import Retry

from domain.db import fetch, transaction
from domain.mail import service as mail_service
from domain.outbox import service as outbox
from domain.people import service as people
from workers.emails import EmailRenderer
from workers.mailer import SmtpMailer
from workers.settings import WorkerSettings
from workers.tasks.mail import send_email


async def queued_confirmation(clock, queue, community) -> int:
    async with transaction():
        person = await people.find_or_create(email="ann@example.com", full_name="Ann",
                                              source="test", now=clock.now())
        rows = await fetch(
            "INSERT INTO community_memberships (person, community, status, requested_at) "
            "VALUES ($1, $2, 'pending', now()) RETURNING id", person["id"], community["id"])
        return await mail_service.queue_email(
            person_id=person["id"], to="ann@example.com", template="community_confirm",
            context={"membership_id": rows[0]["id"]}, dedupe_key="k1", now=clock.now(),
            queue=queue)


def test_task_names_match_worker_functions():
    names = {function.__name__ for function in WorkerSettings.functions}
    assert {"send_email", "relay_outbox"} <= names


async def test_email_is_sent_once_and_recorded(clock, queue, community, mail, worker_burst):
    email_id = await queued_confirmation(clock, queue, community)
    await worker_burst()
    assert len(mail.find(to="ann@example.com")) == 1
    row = (await fetch("SELECT state, subject, sent_at FROM outbound_emails WHERE id = $1",
                       email_id))[0]
    assert row["state"] == "sent" and "Engineering" in row["subject"]
    events = await fetch("SELECT type FROM engagement_events")
    assert [e["type"] for e in events] == ["email_sent"]

    # arq runs tasks at least once: a second delivery of the same task sends nothing.
    await queue.enqueue("send_email", email_id, job_id="duplicate-run")
    await worker_burst()
    assert len(mail.find(to="ann@example.com")) == 1


async def test_same_dedupe_key_queues_one_email(clock, queue, community):
    await queued_confirmation(clock, queue, community)
    again = await mail_service.queue_email(
        person_id=None, to="ann@example.com", template="community_confirm",
        context={"membership_id": 1}, dedupe_key="k1", now=clock.now(), queue=queue)
    assert again is None
    assert (await fetch("SELECT count(*) AS n FROM outbound_emails"))[0]["n"] == 1


async def test_commit_without_enqueue_is_recovered_by_the_relay(clock, queue, community, mail,
                                                                 worker_burst):
    # queue=None stands for a crash between commit and enqueue: only the outbox row exists.
    await queued_confirmation(clock, None, community)
    await worker_burst()
    assert mail.find(to="ann@example.com") == []
    assert await outbox.pending_count() == 1
    assert await outbox.relay_pending(queue, now=clock.now()) == 1
    assert await outbox.relay_pending(queue, now=clock.now()) == 0
    await worker_burst()
    assert len(mail.find(to="ann@example.com")) == 1


async def test_rollback_enqueues_nothing(clock, queue, community):
    with pytest.raises(RuntimeError):
        async with transaction():
            await outbox.add("send_email", 1, now=clock.now(), queue=queue)
            raise RuntimeError("boom")
    assert await outbox.pending_count() == 0
    assert await queue.pool.zcard("arq:queue") == 0


async def test_smtp_outage_releases_the_email_for_retry(clock, community):
    email_id = await queued_confirmation(clock, None, community)
    ctx = {"clock": clock, "mailer": SmtpMailer("smtp://127.0.0.1:9", timeout=2),
           "emails": EmailRenderer(sender="a@b.c", company_name="Acme", postal_address="x")}
    with pytest.raises(Retry):
        await send_email(ctx, email_id)
    row = (await fetch("SELECT state, attempts, last_error FROM outbound_emails"))[0]
    assert row["state"] == "queued" and row["attempts"] == 1 and row["last_error"]
