"""workers.campaign_mail.text_part builds what email.mime's MIMEText builds, byte for byte
(it only skips MIMEText's slow bookkeeping), and mail clients read it back the same."""

from __future__ import annotations

from email import message_from_bytes
from email.mime.text import MIMEText
from email.policy import compat32

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workers.campaign_mail import text_part


@pytest.mark.parametrize("body", ["", "Hello", "x" * 57, "x" * 58, "Grüße, Zoë ✉\r\nline 2\n",
                                  "<p>Hi &amp; welcome</p>" * 200])
@pytest.mark.parametrize("subtype", ["plain", "html"])
def test_the_same_bytes_as_mimetext(body, subtype):
    expected = MIMEText(body, subtype, "utf-8", policy=compat32).as_bytes()
    assert text_part(body, subtype).as_bytes() == expected


@given(st.text(max_size=400))
def test_any_text_reads_back_unchanged(body):
    part = message_from_bytes(text_part(body, "plain").as_bytes())
    assert part.get_content_charset() == "utf-8"
    assert part.get_payload(decode=True).decode("utf-8") == body


def test_a_built_message_parses_back_into_its_two_parts():
    from domain.campaigns.compose import Composed
    from workers.campaign_mail import build_message
    from workers.emails import EmailRenderer

    composed = Composed(to="ann@example.com", subject="Hello Ann", html="<p>Hi --Ann</p>",
                        text="Hi\n--\nAnn\n", message_id="<m1@example.com>",
                        reply_to="replies+t@example.com",
                        unsubscribe_url="https://example.com/u/t",
                        preferences_url="https://example.com/p/t", values={})
    renderer = EmailRenderer(sender="Acme <jobs@example.com>", company_name="Acme",
                             postal_address="1 Main St")
    first, second = (message_from_bytes(build_message(renderer, composed).as_bytes())
                     for _ in range(2))

    assert first.get_boundary() != second.get_boundary()  # one per message
    plain, html = first.get_payload()
    assert "Hi\n--\nAnn" in plain.get_payload(decode=True).decode()
    assert "Hi --Ann" in html.get_payload(decode=True).decode()
