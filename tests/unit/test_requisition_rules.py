"""Requisition form, screening questions, stage lists and the status lifecycle: pure rules."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.profiles.rules import SkillIndex
from domain.requisitions import rules
from domain.requisitions.defaults import STANDARD_STAGES
from domain.requisitions.stages import Stage, parse_template, stage_list_problem

SKILLS = SkillIndex.build([
    {"slug": "python", "name": "Python", "synonyms": ["py"]},
    {"slug": "postgresql", "name": "PostgreSQL", "synonyms": ["postgres", "psql"]},
    {"slug": "kubernetes", "name": "Kubernetes", "synonyms": ["k8s"]},
])


def raw(**overrides) -> dict:
    values = {"title": "Backend engineer", "team": "Platform", "locations": "Berlin,  Lisbon ,",
              "remote_policy": "hybrid", "employment_type": "full_time", "seniority": "senior",
              "job_function": "engineering", "required_skills": "py, Postgres",
              "nice_skills": "k8s, python", "description": "Hi", "salary_min": "",
              "salary_max": "", "salary_currency": "", "salary_period": "year",
              "openings": "1", "target_start": "", "questions": []}
    values.update(overrides)
    return values


def test_a_valid_form_normalises_skills_and_places():
    draft, errors = rules.parse_requisition(raw(), skills=SKILLS)
    assert errors == {} and draft is not None
    assert draft.required_skills == ["python", "postgresql"]
    assert draft.nice_skills == ["kubernetes"]  # python is already required
    assert draft.locations == ["Berlin", "Lisbon"]
    assert draft.salary_min is None and draft.salary_currency == ""


@pytest.mark.parametrize(("overrides", "field"), [
    ({"title": " "}, "title"),
    ({"remote_policy": "mars"}, "remote_policy"),
    ({"employment_type": "forever"}, "employment_type"),
    ({"seniority": "wizard"}, "seniority"),
    ({"job_function": "magic"}, "job_function"),
    ({"required_skills": "Python, Basket weaving"}, "required_skills"),
    ({"salary_min": "10", "salary_max": "5", "salary_currency": "EUR"}, "salary_max"),
    ({"salary_min": "10"}, "salary_currency"),
    ({"salary_currency": "euros"}, "salary_currency"),
    ({"salary_min": "-3", "salary_currency": "EUR"}, "salary_min"),
    ({"openings": "0"}, "openings"),
    ({"target_start": "next spring"}, "target_start"),
])
def test_bad_fields_are_named(overrides, field):
    draft, errors = rules.parse_requisition(raw(**overrides), skills=SKILLS)
    assert draft is None and field in errors


def test_unknown_skills_are_listed_by_name():
    _, errors = rules.parse_requisition(raw(required_skills="Python, Zorblax"), skills=SKILLS)
    assert "Zorblax" in errors["required_skills"]


def test_screening_questions_keep_keys_and_check_knockouts():
    errors: dict[str, str] = {}
    questions = rules.parse_questions([
        {"key": "q7", "label": "Work permit?", "kind": "yes_no", "knockout": "no",
         "required": True},
        {"key": "", "label": "Level", "kind": "choice", "choices": "Junior, Senior",
         "knockout": "Junior"},
        {"key": "", "label": "", "kind": "text"},
    ], errors)
    assert errors == {}
    assert [(q.key, q.knockout) for q in questions] == [("q7", "no"), ("q1", "Junior")]
    for row, message in [
        ({"label": "Why?", "kind": "text", "knockout": "no"}, "Only yes/no and choice"),
        ({"label": "OK?", "kind": "yes_no", "knockout": "maybe"}, "yes or no"),
        ({"label": "Pick", "kind": "choice", "choices": "A, B", "knockout": "C"},
         "one of the choices"),
        ({"label": "Pick", "kind": "choice", "choices": "A"}, "2 to 20 choices"),
    ]:
        errors = {}
        rules.parse_questions([row], errors)
        assert message in errors["questions-0"]


@pytest.mark.parametrize(("current", "target", "reason", "allowed"), [
    ("draft", "open", "", True), ("open", "on_hold", "", True), ("on_hold", "open", "", True),
    ("open", "closed", "filled", True), ("on_hold", "closed", "cancelled", True),
    ("draft", "closed", "cancelled", True), ("draft", "on_hold", "", False),
    ("open", "closed", "", False), ("open", "closed", "bored", False),
    ("closed", "open", "", False), ("open", "open", "", False), ("open", "archived", "", False),
])
def test_the_status_lifecycle(current, target, reason, allowed):
    assert (rules.transition_problem(current, target, reason) == "") is allowed


def test_slugs_are_url_safe():
    assert rules.slugify("Ingénieur backend (Paris)") == "ingenieur-backend-paris"
    assert rules.slugify("!!!") == "job"


def _stages(*kinds: str) -> list[Stage]:
    return [Stage(name=f"S{i}", kind=kind, candidate_label="L") for i, kind in enumerate(kinds)]


def test_stage_lists_need_the_special_kinds_once_and_applied_first():
    standard = [Stage(name=n, kind=k, candidate_label=c) for n, k, c, _ in STANDARD_STAGES]
    assert stage_list_problem(standard) == ""
    assert "Hired" in stage_list_problem(_stages("applied", "rejected", "withdrawn"))
    assert "first" in stage_list_problem(_stages("screen", "applied", "hired", "rejected",
                                                 "withdrawn"))
    assert "exactly one" in stage_list_problem(_stages("applied", "applied", "hired",
                                                       "rejected", "withdrawn"))
    same_names = [Stage(name="A", kind=k, candidate_label="L")
                  for k in ("applied", "hired", "rejected", "withdrawn")]
    assert "different name" in stage_list_problem(same_names)


def test_a_template_form_orders_stages_and_drops_blank_rows():
    rows = [{"order": str(i + 1), "name": n, "kind": k, "candidate_label": c}
            for i, (n, k, c, _) in enumerate(STANDARD_STAGES)]
    rows[1]["order"] = "99"
    rows.append({"order": "", "name": "", "kind": "custom", "candidate_label": ""})
    draft, errors = parse_template({"name": "Mine", "silver_threshold": "3.25",
                                    "stages": rows})
    assert errors == {} and draft is not None
    assert draft.silver_threshold == Decimal("3.25")
    assert [s.name for s in draft.stages][-1] == "Screen" and len(draft.stages) == 8
    _, errors = parse_template({"name": "", "silver_threshold": "0", "stages": []})
    assert set(errors) == {"name", "silver_threshold", "stages"}
