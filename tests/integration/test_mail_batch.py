"""Queueing a whole audience at once: one email and one outbox row per new key."""

import json

from domain.db import fetch
from domain.mail import service as mail


async def test_a_batch_queues_each_new_key_once_with_its_outbox_row(clock):
    first = [mail.Outgoing(None, "a@example.com", {"n": 1}, "k:a"),
             mail.Outgoing(None, "b@example.com", {"n": 2}, "k:b")]
    assert await mail.queue_emails(first, template="event_message", now=clock.now(),
                                   queue=None) == 2
    again = [mail.Outgoing(None, "b@example.com", {"n": 3}, "k:b"),
             mail.Outgoing(None, "c@example.com", {"n": 4}, "k:c")]
    assert await mail.queue_emails(again, template="event_message", now=clock.now(),
                                   queue=None) == 1  # k:b was used
    assert await mail.queue_emails([], template="event_message", now=clock.now(),
                                   queue=None) == 0
    emails = await fetch("SELECT id, to_address, context::text AS context FROM "
                         "outbound_emails ORDER BY id")
    assert [(e["to_address"], json.loads(e["context"])) for e in emails] == [
        ("a@example.com", {"n": 1}), ("b@example.com", {"n": 2}), ("c@example.com", {"n": 4})]
    tasks = await fetch("SELECT task, args::text AS args FROM outbox_messages ORDER BY id")
    assert [(t["task"], json.loads(t["args"])) for t in tasks] == [
        ("send_email", [e["id"]]) for e in emails]
