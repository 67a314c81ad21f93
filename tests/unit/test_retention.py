"""Retention windows and request due dates (QUALITY E3, P9, P10): never purge early."""

from datetime import UTC, date, datetime, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.privacy.retention import add_months, due_date, may_purge, retention_until

DATES = st.dates(min_value=date(1990, 1, 1), max_value=date(2200, 12, 31))
MOMENTS = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2200, 12, 31),
                       timezones=st.just(UTC))


def _anniversary(start: date, years: int) -> tuple[int, int, int]:
    return (start.year + years, start.month, start.day)


def _check_no_early_purge(record, action, federal, today):
    years = 2 if federal else 1
    start = max(record, action or record)
    until = retention_until(record, action, federal_contractor=federal)
    if may_purge(today, until, on_hold=False):
        # At least the full period has passed since the later of the two dates,
        # counted both in days and on the calendar.
        assert (today - start).days >= 365 * years
        assert (today.year, today.month, today.day) > _anniversary(start, years)
        assert today > record and (action is None or today > action)


# 2,500 examples x 4 offsets x 2 anchors = 20,000 (record, action, today) cases, twice
# the E3 bar, at a fraction of Hypothesis' per-example cost.
@settings(max_examples=2_500, deadline=None)
@given(record=DATES, action=st.none() | DATES, federal=st.booleans(),
       offsets=st.lists(st.integers(min_value=-800, max_value=800), min_size=4, max_size=4))
@example(record=date(2024, 2, 29), action=None, federal=False, offsets=[364, 365, 366, 367])
@example(record=date(2023, 3, 1), action=date(2024, 2, 29), federal=True,
         offsets=[-1, 0, 1, 730])
def test_no_record_is_ever_purged_early(record, action, federal, offsets):
    until = retention_until(record, action, federal_contractor=federal)
    for offset in offsets:
        _check_no_early_purge(record, action, federal, until + timedelta(days=offset))
        # Days around the record itself: the most tempting place for an off-by-one.
        _check_no_early_purge(record, action, federal, record + timedelta(days=offset))


@settings(max_examples=500, deadline=None)
@given(record=DATES, action=st.none() | DATES, federal=st.booleans(),
       offset=st.integers(min_value=0, max_value=5_000))
def test_a_legal_hold_always_blocks_the_purge(record, action, federal, offset):
    until = retention_until(record, action, federal_contractor=federal)
    assert not may_purge(until + timedelta(days=offset), until, on_hold=True)


@given(record=DATES, action=st.none() | DATES, federal=st.booleans())
def test_purge_is_allowed_the_day_after_retention_ends(record, action, federal):
    until = retention_until(record, action, federal_contractor=federal)
    assert not may_purge(until, until, on_hold=False)
    assert may_purge(until + timedelta(days=1), until, on_hold=False)
    # And not longer than needed: at most one extra day for 29 February.
    start = max(record, action or record)
    years = 2 if federal else 1
    assert (until - start).days <= 366 * years + 1


def test_examples_of_retention():
    assert retention_until(date(2025, 3, 10), date(2025, 6, 1),
                           federal_contractor=False) == date(2026, 6, 1)
    assert retention_until(date(2025, 3, 10), None, federal_contractor=True) == date(2027, 3, 10)
    assert retention_until(date(2025, 6, 1), date(2025, 3, 10),
                           federal_contractor=False) == date(2026, 6, 1)
    # 29 February rolls forward: 28 February would be a day short of a year.
    assert retention_until(date(2024, 2, 29), None, federal_contractor=False) == date(2025, 3, 1)


@settings(max_examples=1_000, deadline=None)
@given(received=MOMENTS)
def test_requests_are_due_one_calendar_month_later(received):
    due = due_date(received)
    assert (due.year * 12 + due.month) - (received.year * 12 + received.month) == 1
    assert due.time() == received.time() and due.tzinfo == received.tzinfo
    month_end = (due + timedelta(days=1)).day == 1
    assert due.day == received.day or (due.day < received.day and month_end)
    assert 28 <= (due - received).days <= 31


def test_due_date_examples_clamp_to_month_end():
    at = datetime(2026, 1, 31, 10, 30, tzinfo=UTC)
    assert due_date(at) == datetime(2026, 2, 28, 10, 30, tzinfo=UTC)
    assert due_date(datetime(2024, 1, 31, tzinfo=UTC)) == datetime(2024, 2, 29, tzinfo=UTC)
    assert due_date(datetime(2026, 12, 15, tzinfo=UTC)) == datetime(2027, 1, 15, tzinfo=UTC)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
