from datetime import UTC, datetime, timedelta

import pytest

from domain.events import rules
from domain.events.calendar import build_ics, uid

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
EVENT = {"status": "published", "registration_deadline": None,
         "starts_at": NOW + timedelta(days=3)}


def test_open_event_accepts_registrations():
    assert rules.registration_problem(EVENT, NOW) is None


@pytest.mark.parametrize(("change", "words"), [
    ({"status": "draft"}, "not open"),
    ({"status": "cancelled"}, "not open"),
    ({"registration_deadline": NOW - timedelta(seconds=1)}, "closed"),
    ({"starts_at": NOW}, "started"),
])
def test_closed_registration_says_why(change, words):
    assert words in rules.registration_problem({**EVENT, **change}, NOW)


def test_remaining_seats():
    assert rules.remaining_seats(None, 40) is None
    assert rules.remaining_seats(10, 4) == 6
    assert rules.remaining_seats(10, 12) == 0


def test_capacity_may_not_drop_below_taken():
    assert rules.capacity_allowed(5, 5)
    assert rules.capacity_allowed(None, 99)
    assert not rules.capacity_allowed(4, 5)


def test_offer_expiry_and_subjects_round_trip():
    assert rules.offer_expires_at(NOW, 48) == NOW + timedelta(hours=48)
    assert rules.registration_id(rules.subject(42)) == 42
    assert rules.registration_id("membership:42") == 0
    assert rules.registration_id("registration:x") == 0


def test_ics_keeps_the_event_time_zone_and_a_stable_uid():
    from icalendar import Calendar

    event = {"id": 7, "title": "Meetup", "time_zone": "America/New_York",
             "starts_at": datetime(2026, 12, 10, 23, 0, tzinfo=UTC),
             "ends_at": datetime(2026, 12, 11, 1, 0, tzinfo=UTC)}
    ics = build_ics(event, url="https://x/events/m", organizer="careers@acme.example",
                    now=NOW, method="CANCEL")
    calendar = Calendar.from_ical(ics)
    entry = calendar.walk("VEVENT")[0]
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(entry["UID"]) == uid(7) == "event-7@talentloop"
    assert entry["DTSTART"].dt.hour == 18
    assert str(entry["DTSTART"].dt.tzinfo) == "America/New_York"
    assert str(entry["ORGANIZER"]) == "mailto:careers@acme.example"
