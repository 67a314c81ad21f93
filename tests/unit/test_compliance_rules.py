"""Four-fifths adverse impact, suppression of small groups, time-in-stage statistics and
formula-safe CSV cells: pure rules with worked examples."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from domain.compliance import rules
from domain.compliance.audit_log import parse_filters, redact
from domain.csv_safety import FORMULA_STARTS, csv_line, safe_cell

STAGES = [(1, "Applied"), (2, "Screen"), (3, "Hired")]


def report(rows, dimension="race_ethnicity", minimum=10, stages=STAGES):
    reached = rules.reached_by_level(rows, dimension, [level for level, _ in stages])
    return rules.stage_rows(stages, reached, dimension, minimum=minimum)


def cell(row, group):
    return next(c for c in row.cells if c.group == group)


def test_uniform_guidelines_example_flags_a_ratio_of_three_fifths():
    # UGESP Questions and Answers no. 12: 80 of 120 White applicants hired (66.7%),
    # 12 of 30 Black applicants (40%): 40 / 66.7 = 60% < 80%, adverse impact.
    stages = [(1, "Applied"), (2, "Hired")]
    rows = report([("white", 2, 80), ("white", 1, 40), ("black", 2, 12), ("black", 1, 18)],
                  stages=stages)
    hired = rows[1]
    assert cell(hired, "white").rate == Fraction(2, 3)
    assert cell(hired, "black").rate == Fraction(2, 5)
    assert cell(hired, "black").ratio == Fraction(3, 5) and cell(hired, "black").adverse
    assert cell(hired, "white").ratio == 1 and not cell(hired, "white").adverse
    assert hired.highest == "white"


def test_exactly_four_fifths_is_not_adverse_and_just_below_is():
    stages = [(1, "Applied"), (2, "Hired")]
    at = report([("male", 2, 50), ("male", 1, 50), ("female", 2, 40), ("female", 1, 60)],
                dimension="gender", stages=stages)[1]
    assert cell(at, "female").ratio == Fraction(4, 5) and not cell(at, "female").adverse
    below = report([("male", 2, 50), ("male", 1, 50), ("female", 2, 39), ("female", 1, 61)],
                   dimension="gender", stages=stages)[1]
    assert cell(below, "female").adverse


def test_rates_are_per_stage_from_the_previous_stage():
    # 100 men: 60 screened, 30 hired; 100 women: 40 screened, 30 hired.
    rows = report([("male", 1, 40), ("male", 2, 30), ("male", 3, 30),
                   ("female", 1, 60), ("female", 2, 10), ("female", 3, 30)], dimension="gender")
    applied, screen, hired = rows
    assert cell(applied, "male").reached == 100 and cell(applied, "male").rate is None
    assert cell(screen, "female").rate == Fraction(40, 100)
    assert cell(screen, "female").ratio == Fraction(2, 3) and cell(screen, "female").adverse
    # At hiring, women did better (30/40 against 30/60): the men are the flagged group.
    assert hired.highest == "female" and cell(hired, "male").ratio == Fraction(2, 3)


def test_a_skipped_stage_counts_as_passed():
    rows = report([("male", 3, 12)], dimension="gender")
    assert [cell(row, "male").reached for row in rows] == [12, 12, 12]


def test_small_groups_are_suppressed_and_left_out_of_the_comparison():
    rows = report([("male", 2, 9), ("female", 2, 5), ("female", 1, 15),
                   ("non_binary", 1, 9)], dimension="gender")
    screen = rows[1]
    male, non_binary = cell(screen, "male"), cell(screen, "non_binary")
    assert male.suppressed and (male.reached, male.rate, male.ratio) == (None, None, None)
    assert non_binary.suppressed
    # Women are compared with nobody but themselves: the 100% men are too few to count.
    assert screen.highest == "female" and cell(screen, "female").ratio == 1
    assert report([("male", 1, 10)], dimension="gender")[0].cells[1].reached == 10


def test_declined_and_unknown_answers_are_counted_apart_and_never_compared():
    rows = report([("declined", 2, 12), ("Zq-not-on-the-form", 2, 3), ("male", 2, 10),
                   ("male", 1, 10)], dimension="gender")
    screen = rows[1]
    assert screen.declined == 15
    assert "declined" not in {c.group for c in screen.cells}
    assert "Zq-not-on-the-form" not in repr(rows)
    assert report([("declined", 1, 3)], dimension="gender")[0].declined is None


def test_no_selection_at_all_gives_no_ratio():
    rows = report([("male", 1, 20), ("female", 1, 20)], dimension="gender")
    assert cell(rows[1], "male").rate == 0 and cell(rows[1], "male").ratio is None
    assert not cell(rows[1], "male").adverse


def test_median_and_nearest_rank_p90():
    assert rules.median([]) is None and rules.percentile([], 0.9) is None
    assert rules.median([5, 1, 3]) == 3 and rules.median([4, 1, 2, 3]) == 2.5
    values = list(range(1, 11))
    assert rules.percentile(values, 0.9) == 9 and rules.percentile(values, 0.5) == 5
    assert rules.percentile([7], 0.9) == 7


def test_days_between():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert rules.days_between(start, datetime(2026, 1, 31, 12, tzinfo=UTC)) == 30.5
    assert rules.days_between(None, start) is None and rules.days_between(start, None) is None


@given(st.lists(st.text(), max_size=8))
def test_no_cell_starts_a_formula_and_the_csv_round_trip_keeps_the_rest(cells):
    line = csv_line(cells)
    parsed = next(csv.reader(io.StringIO(line))) if cells else []
    assert len(parsed) == len(cells) or cells == [""]
    for original, read in zip(cells, parsed, strict=False):
        assert not read.startswith(FORMULA_STARTS)
        assert read in (original, "'" + original)


def test_safe_cell_examples():
    assert safe_cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)" and safe_cell("\0=1") == "'\0=1"
    assert safe_cell(None) == "" and safe_cell(-3) == "'-3" and safe_cell("Ann") == "Ann"


def test_audit_filters_parse_dates_and_keep_the_rest():
    filters, errors = parse_filters({"actor": " Ann@X.example ", "action": "pipeline.",
                                     "since": "2026-13-01", "until": "2026-01-02"})
    assert errors == {"since": "Enter a date as YYYY-MM-DD."}
    assert filters.actor == "Ann@X.example" and filters.until.isoformat() == "2026-01-02"
    _, errors = parse_filters({"since": "2026-02-02", "until": "2026-02-01"})
    assert "until" in errors


def test_secrets_in_audit_text_are_redacted():
    assert redact("/u/x?token=abc.def&next=1") == "/u/x?token=[redacted]&next=1"
    assert redact('{"url": "a?Password=hunter2"}') == '{"url": "a?Password=[redacted]"}'
