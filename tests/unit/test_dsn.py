"""The DSN/ARF parser and the bounce rules on real-shaped reports (no database)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.campaigns import bounce_rules, dsn
from tests.dsn_samples import (
    ARF_COMPLAINT,
    EXIM_DELAYED,
    GMAIL_FULL,
    POSTFIX_HARD,
    reply,
    sample,
)

ORIGINAL = "<send-1-1@acme.example>"


def _report(template: str) -> dsn.Report | None:
    raw = sample(template, recipient="Ann@Example.com", message_id=ORIGINAL)
    return dsn.parse_report(dsn.parse_bytes(raw))


def test_postfix_user_unknown_is_a_hard_bounce_of_our_message():
    report = _report(POSTFIX_HARD)

    assert report is not None and report.kind == "bounce"
    assert report.original_message_id == ORIGINAL  # from text/rfc822-headers
    [bounce] = report.bounces
    assert (bounce.recipient, bounce.action, bounce.status, bounce.kind) == (
        "ann@example.com", "failed", "5.1.1", "hard")
    assert "User unknown" in bounce.diagnostic


def test_exim_delay_warning_is_a_soft_bounce():
    report = _report(EXIM_DELAYED)

    assert report is not None and report.original_message_id == ORIGINAL  # message/rfc822
    [bounce] = report.bounces
    assert (bounce.action, bounce.status, bounce.kind) == ("delayed", "4.0.0", "soft")


def test_gmail_mailbox_full_counts_as_soft():
    report = _report(GMAIL_FULL)

    assert report is not None and report.original_message_id == ORIGINAL
    [bounce] = report.bounces
    assert (bounce.status, bounce.kind) == ("5.2.2", "soft")


def test_an_arf_report_is_a_complaint_by_its_recipient():
    report = _report(ARF_COMPLAINT)

    assert report is not None
    assert (report.kind, report.complainant, report.original_message_id) == (
        "complaint", "ann@example.com", ORIGINAL)


def test_a_reply_is_not_a_report_and_loses_its_quoted_original():
    message = dsn.parse_bytes(reply(to="replies+tok123@replies.acme.example",
                                    sender="ann@example.com", in_reply_to=ORIGINAL,
                                    message_id="<r1@example.com>"))

    assert dsn.parse_report(message) is None
    mail = dsn.parse_mail(message)
    assert mail.text == "Yes, I'd love to hear more!"
    assert mail.refers_to == (ORIGINAL,)
    assert "replies+tok123@replies.acme.example" in mail.recipients
    assert (mail.sender, mail.subject) == ("ann@example.com", "Re: Autumn news")


def test_trim_reply_stops_at_common_quote_headers_and_limits_size():
    outlook = "Thanks!\n\n-----Original Message-----\nFrom: Acme\nold text"
    assert dsn.trim_reply(outlook) == "Thanks!"
    assert dsn.trim_reply("> quoted only\nmine") == "mine"
    assert len(dsn.trim_reply("x" * 50_000)) == dsn.MAX_BODY


def test_bounce_rules():
    assert bounce_rules.kind_of(status="5.1.1") == "hard"
    assert bounce_rules.kind_of(status="4.4.1") == "soft"
    assert bounce_rules.kind_of(status="5.2.2") == "soft"
    assert bounce_rules.kind_of(status="2.0.0", action="delivered") == ""
    assert bounce_rules.kind_of(status="", declared="soft") == "soft"
    assert bounce_rules.complaint_level(0, 0) == ""
    assert bounce_rules.complaint_level(1, 2000) == ""  # 0.05%
    assert bounce_rules.complaint_level(1, 1000) == "warn"  # 0.1%
    assert bounce_rules.complaint_level(3, 1000) == "pause"  # 0.3%
    # Too few sends for a rate to mean much: one complaint in 100 warns, never pauses.
    assert bounce_rules.complaint_level(1, 100) == "warn"
    assert bounce_rules.complaint_level(2, 999) == "warn"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2_000) | st.sampled_from([
    sample(POSTFIX_HARD, recipient="a@b.c", message_id="<x@y>")[:n] for n in range(0, 2_400, 97)]))
def test_any_bytes_parse_without_raising(raw):
    message = dsn.parse_bytes(raw)
    report = dsn.parse_report(message)
    if report is None:
        found = dsn.parse_mail(message)
        assert len(found.text) <= dsn.MAX_BODY
