"""workers.campaign_mail.text_part builds what email.mime's MIMEText builds, byte for byte
(it only skips MIMEText's slow bookkeeping), and mail clients read it back the same."""

from __future__ import annotations

from email import message_from_bytes
from email.mime.text import MIMEText
from email.policy import compat32

import pytest
from hypothesis import given, settings
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


# Header values a campaign message may carry: names and subjects in any script, long
# subjects, CR/LF and encoded-word lookalikes typed by a person, odd spacing.
_HEADER_TEXT = st.one_of(
    st.text(max_size=120),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=140),
    st.sampled_from(["=?utf-8?q?Hi?=", "Ann\r\nBcc: x@example.com", "a  b", " lead",
                     "trail ", "Zoë Grüße ✉", "x" * 90, "tab\there", "Ünïcödé " * 12]))


def _composed(subject: str, name: str, url_tail: str):
    from domain.campaigns.compose import Composed

    return Composed(to="ann@example.com", subject=subject, html=f"<p>Hi {name}</p>",
                    text=f"Hi {name}\n", message_id="<m1@example.com>",
                    reply_to="replies+tok@example.com",
                    unsubscribe_url=f"https://example.com/u/{url_tail}",
                    preferences_url="https://example.com/p/t", values={})


@settings(max_examples=300, deadline=None)
@given(subject=_HEADER_TEXT, name=st.text(max_size=50),
       # MAIL_FROM's display name: a company's name, in any script.
       sender_name=st.text(alphabet=st.characters(categories=("L", "N", "Zs")),
                           max_size=60),
       url_tail=st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEF0123456789._-",
                        min_size=1, max_size=160))
def test_encoded_bytes_equal_the_flattened_message(subject, sender_name, name, url_tail):
    """encode_message writes what aiosmtplib sent for build_message's message (flattened
    by the compat32 generator, then CRLF line endings), byte for byte."""
    from aiosmtplib.email import extract_recipients, extract_sender, flatten_message
    from aiosmtplib.protocol import normalize_message_line_endings

    from domain.campaigns.rules import one_line
    from workers.campaign_mail import build_message, encode_message
    from workers.emails import EmailRenderer

    renderer = EmailRenderer(sender=f"{one_line(sender_name)} <jobs@example.com>",
                             company_name="Acme", postal_address="1 Main St")
    composed = _composed(one_line(subject), name, url_tail)
    fixed = {"boundary": "=_tl_0123456789abcdef01234567",
             "date": "Mon, 30 Nov 2026 00:00:00 -0000"}
    message = build_message(renderer, composed, **fixed)
    expected = normalize_message_line_endings(flatten_message(message))
    encoded = encode_message(renderer, composed, **fixed)

    assert encoded is not None
    assert encoded.data == expected
    assert encoded.sender == extract_sender(message)
    assert [encoded.recipient] == extract_recipients(message)


def test_a_non_ascii_address_is_left_to_the_message_path():
    from workers.campaign_mail import encode_message
    from workers.emails import EmailRenderer

    renderer = EmailRenderer(sender="Acme <jobs@example.com>", company_name="Acme",
                             postal_address="1 Main St")
    composed = _composed("Hi", "Zoë", "t")
    assert encode_message(renderer, composed) is not None
    assert encode_message(renderer, composed.__class__(
        **{**composed.__dict__, "to": "zoë@example.com"})) is None


@settings(max_examples=400, deadline=None)
@given(name=st.sampled_from(["List-Unsubscribe", "Subject", "To", "Message-ID", "X"]),
       value=st.one_of(
           # one long word: the List-Unsubscribe URL's shape
           st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126,
                                          exclude_characters=",;="), min_size=50,
                   max_size=300),
           st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=300),
           st.text(alphabet="ab<>/:.-_=?@,; ", max_size=300)))
def test_header_lines_are_what_compat32_folds(name, value):
    from workers.campaign_mail import _SMTP_FOLD, _header_line

    assert _header_line(name, value) == _SMTP_FOLD.fold(name, value)


@given(st.text(max_size=3000))
def test_base64_lines_are_encodebytes_lines_with_crlf(body):
    import base64

    from workers.campaign_mail import _base64_crlf

    expected = base64.encodebytes(body.encode("utf-8")).decode("ascii")
    assert _base64_crlf(body) == expected.replace("\n", "\r\n")
