"""Pure campaign rules: which state allows what, four eyes, the schedule form, send
windows in a time zone."""

from datetime import UTC, datetime

import pytest

from domain.campaigns import campaign_rules as r


@pytest.mark.parametrize(("action", "allowed"), [
    ("edit", {"draft", "submitted", "approved", "scheduled"}),
    ("submit", {"draft"}), ("approve", {"submitted"}), ("reject", {"submitted"}),
    ("schedule", {"approved"}), ("pause", {"scheduled", "sending"}),
    ("resume", {"paused"}), ("cancel", {"scheduled", "sending", "paused"}),
])
def test_each_action_is_allowed_in_exactly_its_states(action, allowed):
    assert {state for state in r.STATES if r.can(action, state)} == allowed


def test_neither_the_author_nor_the_last_editor_approves():
    campaign = {"created_by": "Ann@x.test", "updated_by": "bob@x.test"}
    assert not r.may_approve("ann@x.test", campaign)
    assert not r.may_approve(" BOB@x.test", campaign)
    assert r.may_approve("cy@x.test", campaign)


def test_a_schedule_in_a_fixed_zone_with_a_window():
    errors: dict = {}
    schedule = r.parse_schedule({"send_mode": "later", "send_at": "2026-07-01T09:00",
                                 "zone_mode": "recipient", "time_zone": "America/New_York",
                                 "window_days": ["5", "1", "3"], "window_start": "9",
                                 "window_end": "17", "rate_per_minute": "120"}, errors)
    assert errors == {}
    assert schedule.send_at == datetime(2026, 7, 1, 13, 0, tzinfo=UTC)  # EDT = UTC-4
    assert (schedule.zone_mode, schedule.window_days, schedule.rate_per_minute) == (
        "recipient", [1, 3, 5], 120)
    assert (schedule.window_start, schedule.window_end) == (9, 17)


@pytest.mark.parametrize(("raw", "field"), [
    ({"time_zone": "Europe/Atlantis"}, "time_zone"),
    ({"time_zone": "../../etc/passwd"}, "time_zone"),
    ({"zone_mode": "moon"}, "zone_mode"),
    ({"send_mode": "later", "send_at": ""}, "send_at"),
    ({"send_mode": "later", "send_at": "2026-07-01T09:00+02:00"}, "send_at"),
    ({"window_days": ["8"]}, "window_days"),
    ({"window_start": "9"}, "window_start"),
    ({"window_start": "17", "window_end": "9"}, "window_start"),
    ({"window_start": "0", "window_end": "25"}, "window_start"),
    ({"rate_per_minute": "0"}, "rate_per_minute"),
    ({"rate_per_minute": "1e9"}, "rate_per_minute"),
])
def test_every_bad_schedule_field_is_named(raw, field):
    errors: dict = {}
    r.parse_schedule(raw, errors)
    assert field in errors, errors


def test_send_windows_are_read_in_the_zone():
    friday_evening_utc = datetime(2026, 11, 27, 22, 30, tzinfo=UTC)  # Sat 07:30 in Tokyo
    assert r.in_window(friday_evening_utc, "UTC", [1, 2, 3, 4, 5], None, None)
    assert not r.in_window(friday_evening_utc, "Asia/Tokyo", [1, 2, 3, 4, 5], None, None)
    assert not r.in_window(friday_evening_utc, "UTC", [], 9, 17)
    assert r.in_window(friday_evening_utc, "Asia/Tokyo", [6], 7, 8)
    assert r.window_label([1, 5], 9, 17) == "Mon, Fri, 09:00-17:00"
    assert r.window_label([], None, None) == "every day, any time"
