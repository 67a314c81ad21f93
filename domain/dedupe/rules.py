"""Pure rules of duplicate detection: how a pair is stored, when names look alike, and
how long a merge can be undone."""

from __future__ import annotations

from datetime import datetime, timedelta

from rapidfuzz import fuzz

from domain.people.rules import clean_name

UNDO_DAYS = 30
NAME_SIMILARITY = 90  # rapidfuzz token_sort_ratio, 0-100

REASONS = {
    "phone": "same phone",
    "linkedin": "same LinkedIn profile",
    "name": "similar name and same headline",
}


def pair(a: int, b: int) -> tuple[int, int]:
    """A hint is stored once per unordered pair: the smaller id is `person`."""
    return (a, b) if a < b else (b, a)


def similar_names(a: str, b: str) -> bool:
    left, right = clean_name(a).casefold(), clean_name(b).casefold()
    if not left or not right:
        return False
    return fuzz.token_sort_ratio(left, right) >= NAME_SIMILARITY


def undo_deadline(merged_at: datetime) -> datetime:
    return merged_at + timedelta(days=UNDO_DAYS)


def can_undo(merged_at: datetime, now: datetime) -> bool:
    return now <= undo_deadline(merged_at)


def reason_label(reason: str) -> str:
    return REASONS.get(reason, reason)
