"""Consent expiry and preference-centre rules, without a database."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.consent.rules import (
    ExpiryPolicy,
    add_months,
    current_states,
    expires_at,
    expiry_phase,
    has_consent,
    is_contactable,
    reminder_at,
)
from domain.preferences.rules import (
    parse_unsubscribe_subject,
    person_of,
    person_subject,
    preference_errors,
    reconsent_dedupe_key,
    unsubscribe_subject,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
POLICY = ExpiryPolicy("community_emails", expiry_months=24, reminder_days=30)


def entry(i, action, minutes, scope="engineering"):
    return {"id": i, "purpose": "community_emails", "scope": scope, "action": action,
            "occurred_at": T0 + timedelta(minutes=minutes)}


def test_expired_consent_is_decisive_and_not_consent():
    ledger = [entry(1, "requested", 0), entry(2, "given", 1), entry(3, "expired", 2)]
    assert not has_consent(ledger, "community_emails", "engineering")
    assert current_states(ledger)[0]["action"] == "expired"


def test_a_new_request_does_not_hide_an_expiry():
    ledger = [entry(1, "given", 0), entry(2, "expired", 1), entry(3, "requested", 2)]
    assert not has_consent(ledger, "community_emails", "engineering")
    assert current_states(ledger)[0]["action"] == "expired"


def test_renewal_after_expiry_restores_consent():
    ledger = [entry(1, "given", 0), entry(2, "expired", 1), entry(3, "given", 2)]
    assert has_consent(ledger, "community_emails", "engineering")


@pytest.mark.parametrize(("start", "months", "expected"), [
    (datetime(2026, 1, 31, 9, tzinfo=UTC), 1, datetime(2026, 2, 28, 9, tzinfo=UTC)),
    (datetime(2027, 1, 31, tzinfo=UTC), 13, datetime(2028, 2, 29, tzinfo=UTC)),
    (datetime(2026, 12, 15, tzinfo=UTC), 1, datetime(2027, 1, 15, tzinfo=UTC)),
    (datetime(2026, 3, 31, tzinfo=UTC), -1, datetime(2026, 2, 28, tzinfo=UTC)),
    (datetime(2026, 1, 10, tzinfo=UTC), -24, datetime(2024, 1, 10, tzinfo=UTC)),
])
def test_months_are_calendar_months_clamped_to_the_last_day(start, months, expected):
    assert add_months(start, months) == expected


def test_expiry_and_reminder_dates_follow_the_policy():
    assert expires_at(T0, POLICY) == datetime(2028, 1, 1, tzinfo=UTC)
    assert reminder_at(T0, POLICY) == datetime(2027, 12, 2, tzinfo=UTC)


@pytest.mark.parametrize(("now", "phase"), [
    (T0 + timedelta(days=300), "active"),
    (datetime(2027, 12, 1, 23, 59, tzinfo=UTC), "active"),
    (datetime(2027, 12, 2, tzinfo=UTC), "remind"),
    (datetime(2027, 12, 31, 23, 59, tzinfo=UTC), "remind"),
    (datetime(2028, 1, 1, tzinfo=UTC), "expired"),
    (datetime(2030, 1, 1, tzinfo=UTC), "expired"),
])
def test_expiry_phase(now, phase):
    assert expiry_phase(T0, POLICY, now) == phase


def test_purposes_without_a_policy_never_lapse():
    assert expiry_phase(T0, None, T0 + timedelta(days=3650)) == "active"


def test_contactable_needs_consent_given_and_not_past_its_date():
    later = datetime(2028, 1, 1, tzinfo=UTC)
    assert is_contactable("given", T0, POLICY, later - timedelta(seconds=1))
    assert not is_contactable("given", T0, POLICY, later)  # even before the task runs
    assert not is_contactable("withdrawn", T0, POLICY, T0)
    assert not is_contactable("expired", T0, POLICY, T0)
    assert not is_contactable(None, None, POLICY, T0)


def test_preference_values_outside_the_offer_are_refused():
    assert preference_errors("weekly_digest", ["email"], 4) == {}
    assert preference_errors("weekly_digest", ["email"], None) == {}
    errors = preference_errors("hourly", ["pigeon"], 27)
    assert set(errors) == {"cadence", "channels", "pause"}
    assert "channels" in preference_errors("every_update", [], None)
    assert "pause" in preference_errors("every_update", ["email"], 0)


def test_link_subjects_round_trip_and_refuse_other_shapes():
    assert person_of(person_subject(42)) == 42
    assert person_of("membership:42") is None
    assert person_of("person:abc") is None
    subject = unsubscribe_subject(7, "community_emails", "engineering")
    assert parse_unsubscribe_subject(subject) == (7, "community_emails", "engineering")
    assert parse_unsubscribe_subject("person:7") is None
    assert parse_unsubscribe_subject("person:x:community_emails:eng") is None
    assert parse_unsubscribe_subject("membership:7:community_emails:eng") is None


def test_reconsent_dedupe_key_is_per_given_record():
    assert reconsent_dedupe_key(1, "community_emails", "eng", 9) != \
        reconsent_dedupe_key(1, "community_emails", "eng", 10)
