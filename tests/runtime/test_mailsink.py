"""MailSink receives real SMTP (with and without AUTH); MailStore reads it back."""

from __future__ import annotations

import asyncio
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest

from runtime.mailsink import MailSink
from runtime.mailstore import MailStore
from runtime.ports import find_free_port

PDF = b"%PDF-1.4 fake but binary \x00\x01\x02" * 10


def _invitation() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Talentloop <no-reply@talentloop.test>"
    message["To"] = "Zoë Candidate <zoe@example.test>"
    message["Bcc"] = "hidden@example.test"
    message["Subject"] = "Entretien confirmé, Backend engineer"
    message["Date"] = "Tue, 03 Mar 2026 10:00:00 +0100"
    message.set_content("Hello Zoë,\nsee you soon.\n")
    message.add_alternative("<p>Hello <b>Zoë</b></p>", subtype="html")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="brief.pdf")
    return message


async def _deliver(port: int, message: EmailMessage, recipients: list[str], *, login: bool) -> int:
    """Send over SMTP step by step and return the reply code to DATA."""
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False) as smtp:
        if login:
            # Any credentials, as when SMTP_URL carries a production-like user:password.
            await smtp.login("app", "secret")
        await smtp.mail(message["From"].addresses[0].addr_spec)
        for recipient in recipients:
            await smtp.rcpt(recipient)
        response = await smtp.data(message.as_bytes())
        return response.code


async def _send_both_ways(port: int) -> list[int]:
    invitation = _invitation()
    del invitation["Bcc"]  # as smtplib/aiosmtplib do: Bcc only in the envelope
    plain = EmailMessage()
    plain["From"] = "ops@talentloop.test"
    plain["To"] = "recruiter@example.test"
    plain["Subject"] = "Plain note"
    plain.set_content("no auth here")
    return [
        await _deliver(port, invitation, ["zoe@example.test", "hidden@example.test"], login=True),
        await _deliver(port, plain, ["recruiter@example.test"], login=False),
    ]


@pytest.fixture
def sink(tmp_path: Path):
    mail_sink = MailSink("127.0.0.1", find_free_port(), tmp_path / "mail")
    mail_sink.start()
    yield mail_sink
    mail_sink.stop()


def test_sink_stores_messages_and_store_parses_them(sink: MailSink, tmp_path: Path):
    assert asyncio.run(_send_both_ways(sink.port)) == [250, 250]
    store = MailStore(tmp_path / "mail")

    assert store.count() == 2
    newest, oldest = store.list()
    assert newest.subject == "Plain note"
    assert oldest.subject == "Entretien confirmé, Backend engineer"
    assert oldest.from_ == "Talentloop <no-reply@talentloop.test>"
    assert oldest.to == "Zoë Candidate <zoe@example.test>"
    assert oldest.date == datetime.fromisoformat("2026-03-03T10:00:00+01:00")
    assert oldest.envelope_to == ("zoe@example.test", "hidden@example.test")
    assert isinstance(newest.date, datetime)
    assert newest.date.tzinfo is not None
    assert [m.key for m in store.list(limit=1, offset=1)] == [oldest.key]

    full = store.get(oldest.key)
    assert full is not None
    assert full.text_body == "Hello Zoë,\nsee you soon.\n"
    assert full.html_body == "<p>Hello <b>Zoë</b></p>\n"
    assert [tuple(a) for a in full.attachments] == [("brief.pdf", "application/pdf", len(PDF))]
    assert ("Subject", "Entretien confirmé, Backend engineer") in full.headers
    # Stored bytes: our envelope line, then exactly what the client sent.
    assert full.raw.startswith(b"X-Envelope-To: zoe@example.test,\r\n hidden@example.test\r\n")
    assert full.size == len(full.raw)

    # Bcc recipients are only in the envelope, and find() still sees them.
    assert [m.key for m in store.find("HIDDEN@example.test")] == [oldest.key]
    assert [m.key for m in store.find("zoe@example.test", subject_contains="entretien")] == [
        oldest.key
    ]
    assert store.find("zoe@example.test", subject_contains="nope") == []
    assert [m.key for m in store.find("recruiter@example.test")] == [newest.key]

    store.clear()
    assert store.count() == 0
    assert store.get(oldest.key) is None


@pytest.mark.parametrize(
    "key",
    ["../../etc/passwd", "/etc/passwd", "..", "new/x", "", "1700000000.M1P1Q1.host:2,S", "x" * 300],
)
def test_store_rejects_keys_that_are_not_maildir_keys(tmp_path: Path, key: str):
    store = MailStore(tmp_path / "mail")
    assert store.get(key) is None
