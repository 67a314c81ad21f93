"""The personal-data registry covers every column of every table (QUALITY P9)."""

from piccolo.columns import ForeignKey, Varchar
from piccolo.table import Table

from domain.people.tables import Person
from domain.piccolo_app import APP_CONFIG
from domain.privacy import registry
from domain.privacy.registry import REFERENCES, REGISTRY, RETAINED_TABLES, Rules


def test_every_column_of_every_table_is_classified():
    assert registry.problems(APP_CONFIG.table_classes) == []


def test_an_unregistered_table_fails():
    class Applications(Table, tablename="applications_probe"):
        person = ForeignKey(references=Person)

    assert "applications_probe is not in the privacy registry" in registry.problems(
        [*APP_CONFIG.table_classes, Applications])


def test_a_new_unclassified_column_fails(monkeypatch):
    class People(Table, tablename="people"):
        email = Varchar()
        full_name = Varchar()
        source = Varchar()
        created_at = Varchar()
        updated_at = Varchar()
        phone = Varchar()
        linkedin = Varchar()
        merged_into = Varchar()
        birthday = Varchar()  # a new personal column nobody registered

    patched = tuple(Rules(People, rules.person_path, rules.personal, rules.other, rules.erase)
                    if rules.name == "people" else rules for rules in REGISTRY)
    monkeypatch.setattr(registry, "REGISTRY", patched)
    tables = [People if t is Person else t for t in APP_CONFIG.table_classes]
    assert registry.problems(tables)[0] == "people.birthday is not classified"


def test_person_paths_must_end_at_people():
    bad = Rules(REGISTRY[1].table, "id", REGISTRY[1].personal, REGISTRY[1].other)
    assert any("does not end at people" in problem for problem in registry._table_problems(bad))


def test_every_reason_is_written_out():
    for rules in REGISTRY:
        assert all(len(reason) > 10 for reason in rules.other.values()), rules.name
        assert rules.erase in {"delete", "keep", "person"}


def test_files_and_references_name_real_columns():
    for rules in REGISTRY:
        if rules.files:
            assert rules.files.column in rules.other, rules.name
    by_name = {rules.name: rules for rules in REGISTRY}
    for (table, column), (target, columns) in REFERENCES.items():
        assert column in by_name[table].personal
        assert set(columns) <= set(by_name[target].other) | {"id"}


def test_applications_are_the_records_kept_for_the_retention_period():
    assert [(t.table, t.person_column, t.record_date, t.action_date)
            for t in RETAINED_TABLES] == [("applications", "person", "applied_at",
                                           "last_action_at")]
    kept = {rules.name for rules in REGISTRY if rules.erase == "keep"}
    assert {"applications", "stage_transitions", "eeo_self_identifications"} <= kept
