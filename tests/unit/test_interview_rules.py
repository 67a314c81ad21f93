"""Interview and scorecard forms (pure rules): times in a chosen zone stored as UTC,
fixed time or 2-10 slots, panel from the allowed staff, scorecard drafts vs submission,
the hiding rule and averages."""

from datetime import UTC, datetime

import pytest

from domain.interviews import calendar, links, rules

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
STAFF = {"ann@corp.test": 1, "bob@corp.test": 2}


def form(**overrides) -> dict:
    raw = {"title": "Technical interview", "panelists": ["ann@corp.test"],
           "duration_minutes": "60", "time_zone": "Europe/Paris", "location": "Room 4",
           "join_url": "", "mode": "fixed", "starts_at": "2026-11-10T14:30", "slots": []}
    raw.update(overrides)
    return raw


def test_a_fixed_time_is_read_in_its_zone_and_kept_as_an_instant():
    draft, errors = rules.parse_interview(form(), staff_by_email=STAFF, now=NOW)
    assert errors == {}
    assert draft.status == "scheduled"
    assert draft.starts_at.astimezone(UTC) == datetime(2026, 11, 10, 13, 30, tzinfo=UTC)
    assert draft.ends_at.astimezone(UTC) == datetime(2026, 11, 10, 14, 30, tzinfo=UTC)
    assert draft.panelists == [1]


def test_offered_slots_make_a_proposed_interview():
    draft, errors = rules.parse_interview(
        form(mode="slots", starts_at="", slots=["2026-11-11T10:00", "2026-11-10T10:00", ""]),
        staff_by_email=STAFF, now=NOW)
    assert errors == {}
    assert draft.status == "proposed" and draft.starts_at is None
    assert [slot.hour for slot in draft.slots] == [10, 10]
    assert draft.slots[0] < draft.slots[1]


def test_slot_counts_outside_two_to_ten_and_duplicates_are_refused():
    one = form(mode="slots", slots=["2026-11-10T10:00"])
    eleven = form(mode="slots", slots=[f"2026-11-{day}T10:00" for day in range(10, 21)])
    twice = form(mode="slots", slots=["2026-11-10T10:00", "2026-11-10T10:00"])
    for raw in (one, eleven, twice):
        assert "slots" in rules.parse_interview(raw, staff_by_email=STAFF, now=NOW)[1]


def test_past_times_unknown_panelists_and_bad_links_are_field_errors():
    _, errors = rules.parse_interview(
        form(starts_at="2026-11-01T10:00", panelists=["eve@else.test"], location="",
             join_url="http://insecure.test/x", duration_minutes="7"),
        staff_by_email=STAFF, now=NOW)
    assert set(errors) == {"starts_at", "panelists", "join_url", "duration_minutes"}
    _, errors = rules.parse_interview(form(location="", panelists=[], time_zone="Mars/Base"),
                                      staff_by_email=STAFF, now=NOW)
    assert set(errors) == {"location", "panelists", "time_zone"}


def test_a_reschedule_needs_a_future_time_in_a_known_zone():
    parsed, errors = rules.parse_new_time({"time_zone": "America/New_York",
                                           "starts_at": "2026-11-12T09:00"}, now=NOW)
    assert errors == {} and parsed[1] == "America/New_York"
    assert parsed[0].astimezone(UTC).hour == 14
    assert "starts_at" in rules.parse_new_time({"time_zone": "UTC",
                                                "starts_at": "2026-10-01T09:00"}, now=NOW)[1]


def test_a_draft_scorecard_may_be_partial_but_a_submission_may_not():
    attributes = ["Python", "Communication"]
    draft, errors = rules.parse_scorecard({"action": "save", "rating-0": "3"}, attributes)
    assert errors == {} and draft.ratings == {"Python": (3, "")} and not draft.submit
    _, errors = rules.parse_scorecard({"action": "submit", "rating-0": "3"}, attributes)
    assert set(errors) == {"rating-1", "recommendation"}
    _, errors = rules.parse_scorecard({"rating-0": "5", "recommendation": "maybe"}, attributes)
    assert set(errors) == {"rating-0", "recommendation"}
    draft, errors = rules.parse_scorecard(
        {"action": "submit", "rating-0": "4", "note-0": "Solid", "rating-1": "2",
         "recommendation": "yes", "notes": "Good"}, attributes)
    assert errors == {} and draft.submit and draft.ratings["Python"] == (4, "Solid")


def test_others_are_visible_only_after_submitting_and_averages_are_means():
    assert not rules.others_visible(None)
    assert not rules.others_visible("draft")
    assert rules.others_visible("submitted")
    assert rules.average([4, 3, 2]) == 3.0
    assert rules.average([]) is None


def test_tokens_name_the_interview_and_forgeries_are_refused():
    token = links.scheduling_token(42)
    assert links.interview_from_token(token) == 42
    for bad in (token[:-3] + "abc", "nonsense", ""):
        with pytest.raises(links.LinkInvalid) as caught:
            links.interview_from_token(bad)
        assert not isinstance(caught.value, links.LinkExpired)
    assert rules.interview_id("event:3") is None


def test_the_invitation_is_in_the_interviews_zone_with_every_attendee():
    from icalendar import Calendar

    interview = {"id": 7, "title": "Technical", "time_zone": "Europe/Paris",
                 "starts_at": datetime(2026, 11, 10, 13, 30, tzinfo=UTC),
                 "ends_at": datetime(2026, 11, 10, 14, 30, tzinfo=UTC),
                 "location": "Room 4", "join_url": ""}
    ics = calendar.build_ics(interview, attendees=[("c@x.test", "Cand"), ("p@x.test", "Pan")],
                             organizer="jobs@corp.test", now=NOW, method="REQUEST", sequence=2)
    entry = Calendar.from_ical(ics).walk("VEVENT")[0]
    assert str(entry["UID"]) == "interview-7@talentloop" and int(entry["SEQUENCE"]) == 2
    assert str(entry["DTSTART"].dt.tzinfo) == "Europe/Paris" and entry["DTSTART"].dt.hour == 14
    assert [str(a) for a in entry["ATTENDEE"]] == ["mailto:c@x.test", "mailto:p@x.test"]
