"""Segment definitions: strict validation with errors that name the offending condition,
and a canonical JSON form that round-trips."""

from __future__ import annotations

import pytest

from domain.errors import Invalid
from domain.segments.definition import MAX_CONDITIONS, parse, to_json


def test_a_nested_definition_parses_and_round_trips():
    raw = {"match": "all", "conditions": [
        {"field": "skills", "op": "all", "value": ["python", "machine-learning", "python"]},
        {"match": "any", "conditions": [
            {"field": "country", "op": "in", "value": ["DE"]},
            {"field": "engagement_score", "op": "between", "value": {"min": 60}},
            {"field": "event", "op": "attended", "value": {"events": [], "within_days": 90}},
            {"field": "silver_medalist", "op": "is"}]}]}
    group = parse(raw)
    assert group.items[0].value == ("machine-learning", "python")
    assert group.items[1].items[1].value == (60, 100)
    assert parse(to_json(group)) == group


@pytest.mark.parametrize(("raw", "message"), [
    ([], "segment: expected a group"),
    ({"match": "all", "conditions": []}, "segment: add at least one condition."),
    ({"match": "some", "conditions": []}, '"match" must be "all" or "any"'),
    ({"match": "all", "conditions": [{"field": "skils", "op": "any", "value": ["x"]}]},
     "conditions[0]: unknown field 'skils'."),
    ({"match": "all", "conditions": [{"field": "country", "op": "like", "value": ["DE"]}]},
     "conditions[0]: country has no operator 'like' (use one of: in, not_in)."),
    ({"match": "all", "conditions": [{"field": "country", "op": "in", "value": ["Germany"]}]},
     "conditions[0]: 'Germany' is not a two-letter country code like DE."),
    ({"match": "all", "conditions": [{"match": "any", "conditions": [
        {"field": "job_function", "op": "in", "value": ["astronaut"]}]}]},
     "conditions[0].conditions[0]: unknown choice 'astronaut'."),
    ({"match": "all", "conditions": [{"field": "engagement_score", "op": "between",
                                      "value": {"min": 80, "max": 20}}]},
     '"min" must not be above "max"'),
    ({"match": "all", "conditions": [{"field": "last_engaged", "op": "within_days",
                                      "value": "30"}]}, "expected a number of days"),
    ({"match": "all", "conditions": [{"field": "silver_medalist", "op": "is", "value": 1}]},
     "takes no value"),
    ({"match": "all", "conditions": [{"field": "tag", "op": "any", "value": []}]},
     "choose or type at least one value (at most 100)"),
    ({"match": "all", "conditions": [{"field": "source", "op": "in", "value": ["a\x00b"]}]},
     "control characters"),
    ({"match": "all", "conditions": [{"field": "country", "op": "in", "value": ["DE"],
                                      "sql": "1=1"}]}, "unexpected key 'sql'"),
    ({"match": "all", "conditions": [{"field": "country", "op": "in", "value": ["DE"],
                                      "children": False}]}, '"children"'),
    ({"match": "all", "conditions": [{"field": "created", "op": "after",
                                      "value": "last tuesday"}]}, "expected a date"),
    ({"match": "all", "conditions": [{"field": "application", "op": "applied",
                                      "value": [True]}]}, "choose at least one (at most 100)"),
    ({"match": "all", "conditions": [{"field": "consent", "op": "given",
                                      "value": "telepathy"}]}, "unknown consent purpose"),
])
def test_invalid_definitions_name_the_problem(raw, message):
    with pytest.raises(Invalid) as error:
        parse(raw)
    assert message in str(error.value)


def test_depth_and_size_limits():
    deep: dict = {"field": "source", "op": "in", "value": ["x"]}
    for _ in range(5):
        deep = {"match": "all", "conditions": [deep]}
    with pytest.raises(Invalid, match="nest at most 4 deep"):
        parse(deep)
    many = {"match": "any", "conditions": [{"field": "source", "op": "in", "value": ["x"]}]
            * (MAX_CONDITIONS + 1)}
    with pytest.raises(Invalid, match=f"conditions\\[{MAX_CONDITIONS}\\]: a segment has"):
        parse(many)
