"""Webhook delivery through the real worker: signed POSTs a standard-library receiver can
verify, retries with backoff until one processed delivery, claims that never double-send,
the SSRF guard (refused before any connection), give-up and auto-disable with an email."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import UTC, datetime

import pytest

from domain.db import execute, fetch, transaction
from domain.integrations import webhook_delivery, webhooks
from tests.webhooks_support import Receiver, deliveries, subscribe
from workers.tasks.webhooks import deliver_webhooks, purge_webhook_log

pytestmark = pytest.mark.usefixtures("clean_state")


async def emit(clock, queue, count: int = 1) -> None:
    async with transaction():
        await webhooks.emit_many("person.created", [
            ({"person_id": n, "source": "test"}, None) for n in range(count)],
            now=clock.now(), queue=queue)


def ctx(clock, queue) -> dict:
    return {"clock": clock, "queue": queue}


async def test_a_standard_library_receiver_verifies_the_signature(clock, queue,
                                                                  worker_burst):
    with Receiver() as receiver:
        await subscribe(receiver.url, ["person.created"])
        await emit(clock, queue)
        await worker_burst()  # the task queued after commit
    [request] = receiver.requests
    assert receiver.verify(request["headers"], request["body"])
    [(event_id, body)] = receiver.processed.items()
    event = (await fetch("SELECT event_id FROM webhook_events"))[0]
    assert event_id == event["event_id"] == body["id"]
    assert body["type"] == "person.created" and body["data"] == {"person_id": 0,
                                                                 "source": "test"}
    [delivery] = await deliveries()
    assert delivery["status"] == "delivered" and delivery["last_status_code"] == 204
    assert delivery["response_ms"] is not None and delivery["attempts"] == 1


async def test_a_tampered_body_fails_verification():
    receiver = Receiver()
    body = b'{"id":"x"}'
    from domain.integrations import webhook_rules
    headers = webhook_rules.headers(event_id="x", secret=receiver.secret,
                                    timestamp=int(datetime.now(UTC).timestamp()), body=body)
    assert receiver.verify(headers, body)
    assert not receiver.verify(headers, body + b" ")
    receiver.server.server_close()


async def test_fails_twice_then_one_processed_delivery(clock, queue, worker_burst):
    with Receiver(fail_first=2) as receiver:
        await subscribe(receiver.url, ["person.created"])
        await emit(clock, queue)
        await worker_burst()
        [delivery] = await deliveries()
        assert (delivery["status"], delivery["attempts"]) == ("failed", 1)
        assert delivery["last_status_code"] == 500
        clock.current = datetime.now(UTC)
        assert await deliver_webhooks(ctx(clock, queue)) == 0, "not due yet (backoff)"
        clock.advance(minutes=1)
        assert await deliver_webhooks(ctx(clock, queue)) == 1
        clock.advance(minutes=2)
        assert await deliver_webhooks(ctx(clock, queue)) == 1
        [delivery] = await deliveries()
        assert (delivery["status"], delivery["attempts"]) == ("delivered", 3)
        # At-least-once: the same event sent again is deduped by its Webhook-Id.
        await execute("UPDATE webhook_deliveries SET status = 'pending', "
                      "next_attempt_at = $1", clock.now())
        assert await deliver_webhooks(ctx(clock, queue)) == 1
    assert len(receiver.requests) == 4
    assert len({r["headers"]["Webhook-Id"] for r in receiver.requests}) == 1
    assert len(receiver.processed) == 1


async def test_two_concurrent_runs_never_send_a_delivery_twice(clock, queue):
    with Receiver() as receiver:
        await subscribe(receiver.url, ["person.created"])
        await emit(clock, None, count=30)
        done = await asyncio.gather(deliver_webhooks(ctx(clock, queue)),
                                    deliver_webhooks(ctx(clock, queue)),
                                    deliver_webhooks(ctx(clock, queue)))
    assert sum(done) == 30
    ids = [r["headers"]["Webhook-Id"] for r in receiver.requests]
    assert len(ids) == 30 and len(set(ids)) == 30
    assert {d["status"] for d in await deliveries()} == {"delivered"}


async def test_concurrent_claims_are_disjoint(clock):
    await subscribe(types=["person.created"])
    await emit(clock, None, count=20)
    first, second = await asyncio.gather(webhook_delivery.claim(now=clock.now(), limit=15),
                                         webhook_delivery.claim(now=clock.now(), limit=15))
    assert not {r["id"] for r in first} & {r["id"] for r in second}
    assert len(first) + len(second) == 20
    assert await webhook_delivery.claim(now=clock.now()) == [], "claimed ones are leased"


REFUSED = ["http://127.0.0.1/hook", "http://10.1.2.3/hook", "http://169.254.169.254/latest",
           "http://[::1]/hook", "http://localhost:8080/hook", "http://0.0.0.0/",
           "http://100.64.0.1/", "http://192.168.1.1/", "http://[::ffff:127.0.0.1]/",
           "http://[fd00::1]/", "http://[fe80::1]/", "http://2130706433/",
           "http://0177.0.0.1/", "http://224.0.0.1/", "ftp://example.com/hook",
           "http://user:pass@example.com/hook", "file:///etc/passwd"]


@pytest.fixture
def no_connections(monkeypatch):
    attempts: list = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError("a connection was attempted")

    async def refuse_async(*args, **kwargs):
        refuse(*args)

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(asyncio.BaseEventLoop, "create_connection", refuse_async)
    return attempts


@pytest.mark.parametrize("url", REFUSED)
async def test_private_and_malformed_targets_are_refused_before_connecting(url,
                                                                        no_connections):
    result = await webhook_delivery.post(url, b"{}", {}, allow_private=False)
    assert result.status_code is None and not result.connected
    assert result.error.startswith("refused:"), result.error
    assert no_connections == []


async def test_the_connection_is_pinned_to_the_checked_address(monkeypatch):
    """The name is resolved once, checked, and the POST goes to that address with the name
    in the Host header: a second (rebinding) DNS answer is never asked for."""
    lookups: list[str] = []
    real = asyncio.BaseEventLoop.getaddrinfo

    async def fake(self, host, *args, **kwargs):
        lookups.append(host)
        return await real(self, "127.0.0.1" if host == "hooks.test" else host, *args,
                          **kwargs)

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", fake)
    with Receiver() as receiver:
        port = receiver.server.server_address[1]
        refused = await webhook_delivery.post(f"http://hooks.test:{port}/hook", b"{}", {},
                                              allow_private=False)
        assert "loopback" in refused.error
        result = await webhook_delivery.post(f"http://hooks.test:{port}/hook", b"{}", {},
                                             allow_private=True)
    assert result.status_code == 401  # unsigned, but it arrived
    assert receiver.requests[0]["headers"]["Host"] == f"hooks.test:{port}"
    assert lookups.count("hooks.test") == 2, "one lookup per attempt, none by httpx"


async def test_gives_up_after_the_last_attempt(clock, queue):
    with Receiver(fail_first=100) as receiver:
        await subscribe(receiver.url, ["person.created"])
        await emit(clock, None)
        await execute("UPDATE webhook_deliveries SET attempts = 7")
        assert await deliver_webhooks(ctx(clock, queue)) == 1
    [delivery] = await deliveries()
    assert (delivery["status"], delivery["attempts"]) == ("gave_up", 8)
    assert delivery["next_attempt_at"] is None and delivery["last_status_code"] == 500


async def test_repeated_failures_disable_the_subscription_and_email_the_owner(
        clock, queue, worker_burst, mail, staff_user):
    with Receiver(fail_first=100) as receiver:
        sub = await subscribe(receiver.url, ["person.created"], owner=staff_user.id)
        await execute("UPDATE webhook_subscriptions SET consecutive_failures = 9")
        await emit(clock, None)
        assert await deliver_webhooks(ctx(clock, queue)) == 1
    [row] = await fetch("SELECT active, disabled_at, disabled_reason, consecutive_failures "
                        "FROM webhook_subscriptions WHERE id = $1", sub)
    assert not row["active"] and row["disabled_at"] == clock.now()
    assert "10 failed deliveries" in row["disabled_reason"]
    await worker_burst()
    [message] = mail.find(to="recruiter@test.local", subject_contains="webhook")
    assert receiver.url in message.text_body
    audit = await fetch("SELECT action FROM audit_entries WHERE subject = $1", f"webhook:{sub}")
    assert [a["action"] for a in audit] == ["webhook.auto_disabled"]
    # Disabled: new events are not even written for it.
    await emit(clock, None)
    assert len(await deliveries()) == 1


async def test_retention_deletes_old_delivered_events_only(clock, queue):
    await subscribe(types=["person.created"])
    await emit(clock, None, count=2)
    await execute("UPDATE webhook_deliveries SET status = 'delivered' WHERE id = 1")
    await execute("UPDATE webhook_deliveries SET status = 'gave_up' WHERE id = 2")
    clock.advance(days=31)
    assert await purge_webhook_log(ctx(clock, queue)) == 1
    assert [d["id"] for d in await deliveries()] == [2]
    assert json.loads((await fetch("SELECT payload FROM webhook_events"))[0]["payload"]) == {
        "person_id": 1, "source": "test"}
