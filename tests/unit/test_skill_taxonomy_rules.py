"""Pure taxonomy rules: slugs, the add/edit form, spelling clashes, parent cycles, what a
merge does to synonyms, and the import normaliser over the shipped taxonomy."""

from __future__ import annotations

import pytest

from domain.profiles.rules import SkillIndex
from domain.profiles.service import taxonomy
from domain.skills import rules
from domain.skills.normalise import normalise_with


@pytest.fixture(scope="module")
def index() -> SkillIndex:
    return SkillIndex.build(taxonomy())


@pytest.mark.parametrize(("name", "slug"), [
    ("Ruby on Rails", "ruby-on-rails"), ("C++", "cpp"), ("C#", "csharp"),
    ("  Café  Ops ", "cafe-ops"), ("R&D", "r-and-d"), ("FP&A", "fp-and-a"),
])
def test_slugs_follow_the_data_file_style(name, slug):
    assert rules.slugify(name) == slug


def test_the_form_reports_every_field_at_once():
    _, errors = rules.parse_skill({"name": " ", "category": "astrology",
                                  "synonyms": ", ".join(f"s{i}" for i in range(31))})
    assert set(errors) == {"name", "category", "synonyms"}


def test_synonyms_are_cleaned_and_deduplicated_without_the_name():
    draft, errors = rules.parse_skill({"name": "Vector databases", "category": "data",
                                       "parent": "data-engineering",
                                       "synonyms": "vector DB, Vector-DB\nvector databases, ,"})
    assert errors == {}
    assert draft == rules.SkillDraft("Vector databases", "data", "data-engineering",
                                     ("vector DB",))


def test_a_spelling_of_another_skill_is_a_clash(index):
    draft = rules.SkillDraft("Golang", "engineering", "", ("Kubernetes", "brand new"))
    errors = rules.clashes(draft, index, None)
    assert "Go" in errors["name"] and "Kubernetes" in errors["synonyms"]
    assert "brand new" not in errors["synonyms"]
    own = rules.SkillDraft("Go language", "engineering", "", ("golang",))
    assert rules.clashes(own, index, "go") == {}  # its own spellings are fine


def test_cycles_are_detected():
    parents = {1: None, 2: 1, 3: 2, 4: None}
    assert rules.creates_cycle(1, 3, parents)  # 3 sits under 2 under 1
    assert rules.creates_cycle(2, 2, parents)
    assert not rules.creates_cycle(3, 4, parents)
    assert not rules.creates_cycle(1, None, parents)


def test_merge_keeps_every_spelling_once():
    target = {"slug": "machine-learning", "name": "Machine learning", "synonyms": ["ML"]}
    source = {"slug": "ml-ops-2", "name": "Statistical learning",
              "synonyms": ["ml", "stat learning", "Machine Learning"]}
    assert rules.merged_synonyms(target, source) == [
        "ML", "Statistical learning", "ml-ops-2", "stat learning"]


@pytest.mark.parametrize(("text", "slug"), [
    ("PYTHON", "python"), ("node.js", "nodejs"), ("Node JS", "nodejs"), ("k8s", "kubernetes"),
    ("Kuberentes", "kubernetes"), ("c#", "csharp"), ("Pytorch", "pytorch"),
])
def test_the_normaliser_matches_case_punctuation_synonyms_and_typos(index, text, slug):
    assert normalise_with([text], index) == ([slug], [])


def test_the_normaliser_keeps_garbage_and_never_refuses(index):
    texts = ["Python, python; Underwater basket weaving", "jav", "x" * 200,
             "underwater BASKET weaving", *[f"hobby {i}" for i in range(45)]]
    slugs, unmatched = normalise_with(texts, index)
    assert slugs == ["python"]
    assert unmatched[:2] == ["Underwater basket weaving", "jav"]
    assert len(unmatched) == 47 and "x" * 200 not in unmatched


def test_the_data_file_uses_the_admin_categories_and_parents_within_it():
    skills = taxonomy()
    assert {s["category"] for s in skills} == set(dict(rules.CATEGORIES))
    by_category: dict[str, int] = {}
    for skill in skills:
        by_category[skill["category"]] = by_category.get(skill["category"], 0) + 1
    assert min(by_category.values()) >= 15, by_category  # no category is a token one
    parents = {s["slug"]: s.get("parent") for s in skills}
    assert parents["pytorch"] == "machine-learning"
    assert parents["greenhouse"] == "applicant-tracking-systems"
