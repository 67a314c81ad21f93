"""The availability form's rules without a database: local windows to UTC across zones
read back in another zone, empty rows ignored, and each error on its own field."""

from datetime import UTC, datetime

from domain.interviews import availability_rules as rules

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def parse(zone: str, *rows: tuple[str, str, str], note: str = ""):
    raw = {"time_zone": zone, "note": note}
    for index, (day, start, end) in enumerate(rows, start=1):
        raw |= {f"date-{index}": day, f"from-{index}": start, f"to-{index}": end}
    return rules.parse_availability(raw, now=NOW)


def test_windows_are_converted_to_utc_and_sorted():
    answer, errors = parse("Australia/Sydney", ("2026-11-10", "08:00", "10:00"),
                           ("", "", ""), ("2026-11-03", "19:00", "20:00"))
    assert errors == {} and answer is not None
    assert answer.windows == [
        (datetime(2026, 11, 3, 8, 0, tzinfo=UTC), datetime(2026, 11, 3, 9, 0, tzinfo=UTC)),
        (datetime(2026, 11, 9, 21, 0, tzinfo=UTC), datetime(2026, 11, 9, 23, 0, tzinfo=UTC))]
    assert answer.stored_windows()[0] == {"starts_at": "2026-11-03T08:00:00+00:00",
                                          "ends_at": "2026-11-03T09:00:00+00:00"}


def test_windows_read_back_in_another_zone():
    answer, errors = parse("America/New_York", ("2026-11-30", "09:00", "10:00"))
    assert answer is not None and errors == {}
    assert answer.windows[0][0] == datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
    assert rules.describe(answer.stored_windows(), "Europe/Paris") == [
        "Mon 30 Nov 2026, 15:00 to 16:00 (Europe/Paris)"]


def test_each_error_is_on_its_own_field():
    _, errors = parse("UTC", ("2026-11-05", "10:00", "10:00"), ("2026-11-02", "08:00", "08:30"),
                      ("2026-12-03", "09:00", "10:00"), ("05/11/2026", "", "25:00"))
    assert errors == {
        "to-1": "The end must be after the start.",
        "date-2": "Choose a time in the future.",
        "date-3": "Choose a date within the next 30 days.",
        "date-4": "Enter a date like 2026-12-10.",
        "from-4": "Fill this in, or clear the whole row.",
        "to-4": "Enter an end time like 12:00.",
    }


def test_count_zone_and_note_limits():
    assert parse("UTC")[1] == {"windows": "Add at least one time window when you are "
                                          "available."}
    eleven = [(f"2026-11-{day:02d}", "09:00", "10:00") for day in range(3, 14)]
    assert parse("UTC", *eleven)[1] == {"windows": "Give at most 10 time windows."}
    assert "time_zone" in parse("Mars/Base", ("2026-11-05", "09:00", "10:00"))[1]
    assert "note" in parse("UTC", ("2026-11-05", "09:00", "10:00"), note="x" * 1001)[1]


def test_row_numbers_are_bounded():
    assert rules.row_count({"date-7": "x", "from-999": "y", "note": ""}) == 7
    assert rules.row_count({"date-99": "x"}) == rules.MAX_ROWS
