from datetime import UTC, datetime, timedelta

import pytest

from domain.accounts.permissions import Permission, Role, parse_role, permissions_for
from domain.consent.rules import current_states, has_consent
from domain.people.rules import InvalidEmail, clean_name, first_name, normalise_email

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def entry(i, action, minutes, purpose="community_emails", scope="engineering"):
    return {"id": i, "purpose": purpose, "scope": scope, "action": action,
            "occurred_at": T0 + timedelta(minutes=minutes)}


@pytest.mark.parametrize(("raw", "expected"), [
    ("  Ann.Smith@Example.COM ", "ann.smith@example.com"),
    ("bob@example.org", "bob@example.org"),
])
def test_emails_normalise_to_one_key(raw, expected):
    assert normalise_email(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "not-an-email", "a@", "@b.com", "a b@c.com",
                                 "x" * 330 + "@example.com"])
def test_invalid_emails_are_refused_with_a_message(raw):
    with pytest.raises(InvalidEmail) as caught:
        normalise_email(raw)
    assert str(caught.value)


def test_names_lose_control_characters_and_extra_spaces():
    assert clean_name("  Ann\r\n\x1b[31m  Smith\t") == "Ann [31m Smith"
    assert first_name("Ann Smith") == "Ann"
    assert first_name("") == ""


def test_consent_is_given_only_after_confirmation():
    ledger = [entry(1, "requested", 0)]
    assert not has_consent(ledger, "community_emails", "engineering")
    ledger.append(entry(2, "given", 5))
    assert has_consent(ledger, "community_emails", "engineering")


def test_withdrawal_wins_over_earlier_consent():
    ledger = [entry(1, "requested", 0), entry(2, "given", 1), entry(3, "withdrawn", 2)]
    assert not has_consent(ledger, "community_emails", "engineering")
    assert current_states(ledger)[0]["action"] == "withdrawn"


def test_a_new_request_does_not_hide_consent_still_given():
    ledger = [entry(1, "given", 0), entry(2, "requested", 10)]
    assert has_consent(ledger, "community_emails", "engineering")


def test_consent_is_per_scope():
    ledger = [entry(1, "given", 0, scope="engineering"), entry(2, "withdrawn", 1, scope="sales")]
    assert has_consent(ledger, "community_emails", "engineering")
    assert not has_consent(ledger, "community_emails", "sales")
    assert len(current_states(ledger)) == 2


def test_roles_grant_declared_permissions_only():
    assert Permission.CANDIDATES_VIEW in permissions_for(["recruiter"])
    assert Permission.CANDIDATES_VIEW not in permissions_for(["hiring_manager"])
    assert permissions_for(["admin"]) == frozenset(Permission)
    assert permissions_for(["unknown"]) == frozenset()
    assert parse_role("event_host") is Role.EVENT_HOST
    with pytest.raises(ValueError, match="unknown role"):
        parse_role("superuser")
