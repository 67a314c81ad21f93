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
