"""The campaign sender's SMTP pool against a real SMTP server (aiosmtpd): a temporary
refusal of one message keeps the session (RFC 5321: only that transaction ends), a 421
(the server closing the session) makes the next send open a new one."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from runtime.ports import find_free_port
from workers.mailer import PermanentMailError, SmtpPool, TemporaryMailError


class Scripted:
    """Replies to DATA from a script (then 250), counts sessions by their EHLO."""

    def __init__(self, replies: list[str]) -> None:
        self.replies = replies
        self.sessions = 0
        self.accepted: list[str] = []

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope) -> str:
        reply = self.replies.pop(0) if self.replies else "250 OK"
        if reply.startswith("250"):
            self.accepted.append(envelope.rcpt_tos[0])
        return reply


@pytest.fixture
def smtp_server():
    """start(handler) → the URL of a real SMTP server answering with that handler."""
    servers = []

    def start(handler: Scripted) -> str:
        port = find_free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        servers.append(controller)
        return f"smtp://127.0.0.1:{port}"

    yield start
    for controller in servers:
        controller.stop()


@contextlib.asynccontextmanager
async def _pool(url: str, *, deadline: float = 20):
    pool = SmtpPool(url, size=1, timeout=deadline)
    try:
        yield pool
    finally:
        await pool.close()


def _message(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "careers@acme.example"
    message["To"] = to
    message["Subject"] = "Hello"
    message.set_content("Hi")
    return message


async def test_a_451_keeps_the_session_for_the_next_message(smtp_server):
    handler = Scripted(["451 4.3.0 Busy, try again later"])
    async with _pool(smtp_server(handler)) as pool:
        with pytest.raises(TemporaryMailError, match="451"):
            await pool.send(_message("a@example.com"))
        await pool.send(_message("b@example.com"))
        await pool.send(_message("c@example.com"))
    assert handler.accepted == ["b@example.com", "c@example.com"]
    assert handler.sessions == 1


async def test_a_421_closes_the_session_and_the_next_send_opens_another(smtp_server):
    handler = Scripted(["421 4.3.2 Shutting down"])
    async with _pool(smtp_server(handler)) as pool:
        with pytest.raises(TemporaryMailError, match="421"):
            await pool.send(_message("a@example.com"))
        await asyncio.sleep(0.05)
        await pool.send(_message("b@example.com"))
    assert handler.accepted == ["b@example.com"]
    assert handler.sessions == 2


class Silent(Scripted):
    async def handle_DATA(self, server, session, envelope) -> str:
        await asyncio.sleep(3)
        return "250 OK"


async def test_a_server_that_stops_answering_is_a_temporary_failure_within_the_deadline(
        smtp_server):
    loop = asyncio.get_running_loop()
    async with _pool(smtp_server(Silent([])), deadline=0.5) as pool:
        began = loop.time()
        with pytest.raises(TemporaryMailError):
            await pool.send(_message("a@example.com"))
        assert loop.time() - began < 2


class RefusesRecipient(Scripted):
    def __init__(self, code: str) -> None:
        super().__init__([])
        self.code = code

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address.startswith("gone@"):
            return self.code
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.mark.parametrize(("reply", "error"), [
    ("550 5.1.1 No such user", PermanentMailError),
    ("450 4.2.1 Mailbox busy", TemporaryMailError)])
async def test_a_recipient_refused_at_rcpt_is_permanent_only_for_a_5xx(smtp_server, reply,
                                                                        error):
    handler = RefusesRecipient(reply)
    async with _pool(smtp_server(handler)) as pool:
        with pytest.raises(error, match=reply.split()[0]):
            await pool.send(_message("gone@example.com"))
        await pool.send(_message("b@example.com"))  # the same session goes on
    assert handler.accepted == ["b@example.com"]
    assert handler.sessions == 1


class _Recipient(dict):
    """A claimed row that notes the event loop's pass when its message is composed
    (compose reads the person first)."""

    def __init__(self, passes: list[int], seen: list[int], **row) -> None:
        super().__init__(**row)
        self.passes, self.seen = passes, seen

    def __getitem__(self, key):
        if key == "person":
            self.seen.append(self.passes[0])
        return super().__getitem__(key)


async def test_a_group_composes_one_message_per_pass_of_the_event_loop(smtp_server):
    """Composing a whole group in one pass held back every reply that had arrived (B5):
    the group's messages are composed one per pass, and all of them are sent."""
    from datetime import UTC, datetime

    from domain.campaigns.compose import Content
    from domain.campaigns.delivery import Sender, _started
    from workers.campaign_mail import CampaignOutlet
    from workers.emails import EmailRenderer

    class Clock:
        def now(self) -> datetime:
            return datetime.now(UTC)

    handler = Scripted([])
    async with _pool(smtp_server(handler)) as pool:
        outlet = CampaignOutlet(pool, EmailRenderer(
            sender="Acme <careers@acme.example>", company_name="Acme",
            postal_address="1 Main St"))
        content = Content(key="campaign:1:1", purpose="community_emails", scope="eng",
                          subject="Hi {{ first_name }}", html_body="<p>Hi</p>", text_body="",
                          values={"postal_address": "1 Main St"}, exclude_applicants=False)
        passes, seen = [0], []

        async def count_passes() -> None:
            while True:
                passes[0] += 1
                await asyncio.sleep(0)

        counter = asyncio.ensure_future(count_passes())
        rows = [_Recipient(passes, seen, id=n, person=n, email=f"p{n}@example.com",
                           full_name=f"P {n}", skills=[], error="",
                           message_id=f"<m{n}@example.com>", reply_token=f"t{n}")
                for n in range(1, 13)]
        sender = Sender(outlet=outlet, clock=Clock(), worker_id="test")
        tasks = await _started(rows, {row["id"]: "" for row in rows}, content, sender)
        outcomes = await asyncio.gather(*tasks)
        counter.cancel()

    assert [o.result for o in outcomes] == ["sent"] * 12
    assert sorted(handler.accepted) == sorted(f"p{n}@example.com" for n in range(1, 13))
    assert len(seen) == 12 and all(b > a for a, b in itertools.pairwise(seen))
