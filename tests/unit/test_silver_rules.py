"""The silver-medalist decision, the reject dialog's sentence, and match ranking."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.pipeline.silver_rules import (
    SilverCandidate,
    overlap,
    qualifies,
    rank_key,
    to_mark,
)

T = Decimal("3.00")


@pytest.mark.parametrize(("status", "late", "average", "expected"), [
    ("active", True, 3.4, True),
    ("active", True, 3.0, True),          # the threshold itself counts
    ("active", True, 2.99, False),        # weak average
    ("active", False, 4.0, False),        # early stage
    ("active", True, None, False),        # no submitted scorecard: no evidence
    ("rejected", True, 4.0, False),       # already decided
])
def test_qualifies_only_late_strong_and_active(status, late, average, expected):
    assert qualifies(status=status, late_stage=late, average=average,
                     threshold=T) is expected


def candidate(application_id: int, average: float = 3.4,
              threshold: Decimal = T) -> SilverCandidate:
    return SilverCandidate(application_id, 1, "Ann Smith", "Final interview", average,
                           threshold)


def test_the_sentence_says_exactly_what_will_happen():
    assert candidate(1).sentence == ("Ann Smith will be marked a silver medalist: "
                                     "rejected at Final interview, scorecard average "
                                     "3.4 ≥ 3.0")
    assert "average 3.25 ≥ 3.5" in candidate(1, 3.25, Decimal("3.50")).sentence
    pooled = SilverCandidate(1, 1, "Ann Smith", "Offer", 3.4, T, "Silver medalists — Data")
    assert pooled.sentence.startswith("Ann Smith will be marked a silver medalist and added "
                                      "to the talent pool “Silver medalists — Data”: ")


def test_only_ticked_qualifying_and_rejected_ones_are_marked():
    found = [candidate(1), candidate(2), candidate(3)]
    chosen = to_mark(found, ticked=[1, 3, 99], rejected=[1, 2])
    assert [c.application_id for c in chosen] == [1]
    assert to_mark(found, ticked=[], rejected=[1, 2, 3]) == []


def test_overlap_keeps_the_new_requisitions_order_and_both_sources():
    assert overlap(["python", "sql", "go", "python"], ["go"], ["python"]) == ["python", "go"]
    assert overlap(["rust"], ["go"], ["python"]) == []


def test_rank_more_shared_skills_first_then_function_then_name():
    rows = [(["a"], True, "Zed"), (["a", "b"], False, "Bob"), (["a"], False, "Amy"),
            (["a"], True, "amy")]
    ranked = sorted(rows, key=lambda r: rank_key(*r))
    assert [r[2] for r in ranked] == ["Bob", "amy", "Zed", "Amy"]
