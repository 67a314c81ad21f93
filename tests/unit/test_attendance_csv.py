"""The attendance report reader and the door rules, without a database."""

import codecs
from datetime import UTC, datetime, timedelta

import pytest

from domain.events import attendance_rules as rules
from domain.events.attendance_csv import FileRejected, merge, parse, parse_minutes, parse_moment

START = datetime(2026, 12, 10, 17, 0, tzinfo=UTC)
WINDOW = (START - timedelta(days=1), START + timedelta(days=1))


@pytest.mark.parametrize(("text", "expected_utc"), [
    ("2026-12-10T17:05:00Z", "17:05"),
    ("2026-12-10 18:05", "17:05"),            # naive: Paris time
    ("2026-12-10 18:05:30", "17:05"),
    ("10.12.2026 18:05", "17:05"),
    ("12/10/2026 06:05:00 PM", "17:05"),      # Zoom (US, month first)
    ("12/10/26, 6:05:00 PM", "17:05"),        # Teams
    ("13/12/2026 18:05", None),               # day first, past the window
    ("10 Dec 2026 18:05", "17:05"),
    ("Dec 10, 2026 6:05:00 PM", "17:05"),
])
def test_join_times_in_common_forms(text, expected_utc):
    moment, problem = parse_moment(text, "Europe/Paris", WINDOW)
    if expected_utc is None:
        assert "not within a day of the event" in problem
    else:
        assert not problem and moment.astimezone(UTC).strftime("%H:%M") == expected_utc


def test_slashed_dates_that_could_be_either_way_are_refused_not_guessed():
    _, problem = parse_moment("03/04/2026 17:00", "UTC", WINDOW)
    assert "could be day/month or month/day" in problem
    assert "not a date and time" in parse_moment("soon", "UTC", WINDOW)[1]


@pytest.mark.parametrize(("text", "problem"), [
    ("45", ""), ("0", ""), ("abc", "'abc' is not a whole number"),
    ("4.5", "'4.5' is not a whole number"), ("-3", "'-3' is negative"), ("", "is empty"),
    ("99999", "is more than a week"),
])
def test_minutes(text, problem):
    assert parse_minutes(text)[1] == problem or problem in parse_minutes(text)[1]


def test_tabs_utf16_and_semicolons_are_read():
    teams = "Email\tFirst join\tMinutes\na@example.com\t2026-12-10 18:00\t5\n"
    report = parse(codecs.BOM_UTF16_LE + teams.encode("utf-16-le"), time_zone="Europe/Paris",
                   earliest=WINDOW[0], latest=WINDOW[1])
    assert [row.email for row in report.rows] == ["a@example.com"]
    excel = "E-mail;Joined_At;MINUTES\r\nA@Example.com;2026-12-10 18:00;5\r\n".encode("cp1252")
    report = parse(excel, time_zone="UTC", earliest=WINDOW[0], latest=WINDOW[1])
    assert report.rows[0].email == "a@example.com" and report.headers["minutes"] == "MINUTES"


def test_missing_columns_reject_the_file():
    with pytest.raises(FileRejected, match="'minutes' not found"):
        parse(b"email,joined at\n", time_zone="UTC", earliest=WINDOW[0], latest=WINDOW[1])


def test_rejoining_adds_minutes_and_keeps_the_first_join():
    report = parse(b"email,joined at,minutes\na@x.com,2026-12-10 17:30,10\n"
                   b"a@x.com,2026-12-10 17:00,20\n", time_zone="UTC",
                   earliest=WINDOW[0], latest=WINDOW[1])
    merged = merge(report.rows)["a@x.com"]
    assert merged.minutes == 30 and merged.joined_at == START and merged.row == 2


def test_door_messages():
    at = datetime(2026, 12, 10, 17, 5, tzinfo=UTC)
    assert rules.already_checked_in("Ann", at, "Riley", "Europe/Paris") == \
        "Ann is already checked in at 18:05 by Riley."
    assert "waiting list" in rules.refusal("Ann", "waitlisted")
    assert rules.full_message(40, 40) == "The event is full (40/40)."
    assert rules.local_clock(at, "Not/AZone") == "17:05"
    assert rules.auto_close_due("in_person", at, at + timedelta(hours=6))
    assert not rules.auto_close_due("virtual", at, at + timedelta(hours=6))
