"""The offer state machine and form checks (pure)."""

from datetime import date

import pytest

from domain.offers import rules

TODAY = date(2026, 11, 2)


def form(**overrides) -> dict:
    raw = {"title": "Senior backend engineer", "salary": "85,000", "salary_currency": "eur",
           "salary_period": "year", "start_date": "2027-01-04", "expires_on": "2026-11-16",
           "letter": "Dear Ann,\r\nWe are happy to offer…"}
    return {**raw, **overrides}


def test_a_good_form_parses():
    draft, errors = rules.parse_offer(form(), today=TODAY)
    assert errors == {}
    assert draft.salary == 85000 and draft.salary_currency == "EUR"
    assert draft.expires_on == date(2026, 11, 16) and "\r" not in draft.letter


@pytest.mark.parametrize(("field", "value"), [
    ("title", ""), ("title", "x" * 201), ("salary", "0"), ("salary", "-5"),
    ("salary", "lots"), ("salary_currency", "XXX"), ("salary_period", "week"),
    ("start_date", "next monday"), ("expires_on", "2026-11-01"), ("letter", "  "),
    ("letter", "x" * (rules.MAX_LETTER + 1)),
])
def test_each_bad_field_is_named(field, value):
    draft, errors = rules.parse_offer(form(**{field: value}), today=TODAY)
    assert draft is None and field in errors


def test_the_start_cannot_precede_the_deadline():
    _, errors = rules.parse_offer(form(start_date="2026-11-10"), today=TODAY)
    assert "start_date" in errors


@pytest.mark.parametrize(("action", "status", "after"), [
    ("submit", "draft", "pending_approval"), ("approve", "pending_approval", "approved"),
    ("reject", "pending_approval", "draft"), ("send", "approved", "sent"),
    ("accept", "sent", "accepted"), ("decline", "sent", "declined"),
    ("withdraw", "sent", "withdrawn"), ("expire", "sent", "expired"),
])
def test_allowed_transitions(action, status, after):
    assert rules.next_status(action, status) == after


@pytest.mark.parametrize(("action", "status"), [
    ("send", "draft"), ("send", "pending_approval"), ("approve", "draft"),
    ("accept", "approved"), ("accept", "accepted"), ("decline", "withdrawn"),
    ("withdraw", "approved"), ("submit", "sent"),
])
def test_refused_transitions(action, status):
    assert rules.next_status(action, status) is None
    assert status.replace("_", " ") in rules.refusal(action, status)


def test_the_author_may_not_approve_whatever_the_case():
    assert not rules.may_approve("Rita@Corp.test", "rita@corp.test ")
    assert rules.may_approve("rita@corp.test", "max@corp.test")


def test_the_deadline_day_still_counts():
    assert not rules.is_past_deadline(TODAY, TODAY)
    assert rules.is_past_deadline(date(2026, 11, 1), TODAY)
    assert not rules.is_past_deadline(None, TODAY)


def test_subjects_round_trip_and_reject_others():
    assert rules.offer_id(rules.subject(42)) == 42
    assert rules.offer_id("interview:42") is None and rules.offer_id("offer:x") is None


def test_salary_text():
    assert rules.salary_text(85000, "EUR", "year") == "85,000 EUR per year"
    assert rules.salary_text(None, "EUR", "year") == ""
