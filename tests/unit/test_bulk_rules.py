"""Bulk action rules and the review queue's next stage, without a database."""

import pytest

from domain.bulk import rules
from domain.errors import Invalid
from domain.pools.rules import next_stage


def test_ticked_ids_are_distinct_plausible_ids_only():
    assert rules.person_ids(["3", "1", "3", "x", "-2", "12345678901"]) == [1, 3]
    with pytest.raises(Invalid):
        rules.person_ids([str(i) for i in range(1, rules.MAX_SELECTION + 2)])


def test_each_kind_names_its_missing_field():
    cases = {"tag": "tags", "add_to_pool": "to_pool", "invite_to_event": "event"}
    for kind, field in cases.items():
        with pytest.raises(Invalid) as raised:
            rules.parse_params(kind, {})
        assert field in raised.value.errors
    with pytest.raises(Invalid) as raised:
        rules.parse_params("set_pool_stage", {"to_stage": "ready"})
    assert "kind" in raised.value.errors  # only from a pool's page
    assert rules.parse_params("set_pool_stage", {"to_stage": "ready"},
                              pool_stages=["lead", "ready"]) == {"stage": "ready"}
    assert rules.parse_params("tag", {"tags": "A, a, b"}) == {"tags": ["A", "b"]}
    assert rules.parse_params("export_csv", {}) == {}
    with pytest.raises(Invalid):
        rules.parse_params("delete_everyone", {})


def test_descriptions_and_skips():
    assert rules.describe_target({"person_ids": [1]}) == "the 1 ticked person"
    assert rules.describe_target({"pool": 1, "stage": "lead"}) == \
        "everyone in the pool at stage lead"
    assert rules.skipped_text({"no_consent": 2, "registered": 0}) == \
        "no event-email consent: 2"


def test_next_stage():
    stages = ["lead", "contacted", "ready"]
    assert next_stage(stages, "lead") == "contacted"
    assert next_stage(stages, "ready") is None
    assert next_stage(stages, "gone") is None
