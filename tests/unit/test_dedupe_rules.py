"""Phone and LinkedIn normalisers (table-driven, garbage included), name look-alikes and
the undo window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.dedupe import rules
from domain.people.rules import InvalidHint, normalise_linkedin, normalise_phone


@pytest.mark.parametrize(("raw", "region", "expected"), [
    ("+44 7911 123456", "GB", "+447911123456"),
    ("07911 123456", "GB", "+447911123456"),
    ("(07911) 123-456", "GB", "+447911123456"),
    ("0044 7911 123456", "GB", "+447911123456"),
    ("+1 (415) 555-2671", "GB", "+14155552671"),
    ("415-555-2671", "US", "+14155552671"),
    ("030 901820", "DE", "+4930901820"),
    ("  +33 1 42 68 53 00 ", "FR", "+33142685300"),
    ("", "GB", ""),
    ("   ", "GB", ""),
])
def test_phone_numbers_become_e164(raw, region, expected):
    assert normalise_phone(raw, region) == expected


@pytest.mark.parametrize("raw", [
    "abc", "12", "+44 12", "call me maybe", "+999 123 456 789", "1" * 41,
    "07911 123456 07911 123456", "+44 7911 12345678901",
])
def test_garbage_phone_numbers_are_refused_with_a_message(raw):
    with pytest.raises(InvalidHint, match="phone number"):
        normalise_phone(raw, "GB")


@pytest.mark.parametrize(("raw", "expected"), [
    ("https://www.linkedin.com/in/ann-smith", "linkedin.com/in/ann-smith"),
    ("https://www.linkedin.com/in/Ann-Smith/", "linkedin.com/in/ann-smith"),
    ("http://linkedin.com/in/ann-smith", "linkedin.com/in/ann-smith"),
    ("linkedin.com/in/ann-smith", "linkedin.com/in/ann-smith"),
    ("www.linkedin.com/in/ann-smith?trk=public_profile&x=1", "linkedin.com/in/ann-smith"),
    ("https://uk.linkedin.com/in/ann-smith/", "linkedin.com/in/ann-smith"),
    ("https://de.linkedin.com/in/ann-smith#about", "linkedin.com/in/ann-smith"),
    ("https://www.linkedin.com/pub/ann-smith/1/2b/3c4", "linkedin.com/in/ann-smith"),
    ("https://www.linkedin.com/in/ann-smith/details/experience/", "linkedin.com/in/ann-smith"),
    ("  HTTPS://WWW.LINKEDIN.COM/IN/ANN-SMITH  ", "linkedin.com/in/ann-smith"),
    ("", ""),
    ("https://example.com/in/ann-smith", ""),
    ("https://linkedin.com.evil.test/in/ann-smith", ""),
    ("https://notlinkedin.com/in/ann-smith", ""),
    ("https://www.linkedin.com/company/acme", ""),
    ("https://www.linkedin.com/in/", ""),
    ("https://www.linkedin.com/", ""),
    ("ann smith", ""),
    ("javascript:alert(1)//linkedin.com/in/x", ""),
])
def test_linkedin_urls_become_one_key(raw, expected):
    assert normalise_linkedin(raw) == expected


def test_pairs_are_stored_smaller_id_first():
    assert rules.pair(9, 3) == (3, 9) == rules.pair(3, 9)


@pytest.mark.parametrize(("a", "b", "alike"), [
    ("Ann Smith", "ann  smith", True),
    ("Ann Smith", "Smith Ann", True),
    ("Jonathan Smith", "Jonathon Smith", True),
    ("Ann Smith", "Bob Jones", False),
    ("Ann Smith", "", False),
])
def test_similar_names(a, b, alike):
    assert rules.similar_names(a, b) is alike


def test_a_merge_can_be_undone_for_30_days():
    merged_at = datetime(2026, 11, 2, 9, tzinfo=UTC)
    assert rules.can_undo(merged_at, merged_at + timedelta(days=30))
    assert not rules.can_undo(merged_at, merged_at + timedelta(days=30, seconds=1))
