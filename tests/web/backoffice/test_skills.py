"""Skills admin pages: add and edit with per-field errors (nothing half-saved), cycles
refused, merge preview then merge, unmatched text mapped or added, and only admins."""

from __future__ import annotations

import html
import re

import pytest

from domain.db import fetch, fetchval
from domain.profiles import service as profiles
from domain.profiles.service import ProfileUpdate
from tests.events_support import person, staff_browser

pytestmark = pytest.mark.usefixtures("clean_state")

FORM = {"name": "", "category": "", "parent": "", "synonyms": "", "from_text": ""}


async def skill_id(slug: str) -> int:
    return await fetchval("SELECT id FROM skills WHERE slug = $1", slug)


async def test_list_search_and_filter(app):
    admin = await staff_browser(app, "ada@corp.test", ["admin"])
    page = await admin.get("/backoffice/skills")
    assert page.status_code == 200 and 'href="/backoffice/skills"' in page.text
    found = await admin.get("/backoffice/skills?q=k8s")
    assert "Kubernetes" in found.text and "Python" not in found.text
    design = await admin.get("/backoffice/skills?category=design")
    assert "Figma" in design.text and "Kubernetes" not in design.text
    first = await admin.get("/backoffice/skills")
    more = re.search(r'href="(/backoffice/skills\?[^"]*after=[^"]+)"', first.text)
    assert more, "a second page of skills"
    second = await admin.get(html.unescape(more.group(1)))
    assert second.status_code == 200 and "<tbody>" in second.text


async def test_add_with_per_field_errors_then_saved(app, clock):
    admin = await staff_browser(app, "ada@corp.test", ["admin"])
    await admin.get("/backoffice/skills/new")
    before = await fetchval("SELECT count(*) FROM skills")
    bad = await admin.submit("/backoffice/skills/new", {**FORM, "name": "Golang",
                                                       "category": "nope",
                                                       "synonyms": "vector db, k8s"})
    assert bad.status_code == 422
    text = html.unescape(bad.text)
    assert "already a name or synonym of Go" in text
    assert "Choose a category from the list." in text and "“k8s” (Kubernetes)" in text
    assert 'id="f-name"' in text and 'aria-invalid="true"' in text
    missing_parent = await admin.submit("/backoffice/skills/new", {
        **FORM, "name": "Vector databases", "category": "data", "parent": "no-such"})
    assert missing_parent.status_code == 422
    assert await fetchval("SELECT count(*) FROM skills") == before

    added = await admin.submit("/backoffice/skills/new", {
        **FORM, "name": "Vector databases", "category": "data", "parent": "data-engineering",
        "synonyms": "vector DB, vectordb, vector store"})
    assert added.status_code == 303
    row = (await fetch("SELECT s.slug, s.synonyms, p.slug AS parent FROM skills s "
                       "JOIN skills p ON p.id = s.parent WHERE s.name = 'Vector databases'"))[0]
    assert row == {"slug": "vector-databases", "synonyms": ["vector DB", "vector store"],
                   "parent": "data-engineering"}
    detail = await admin.get(added.headers["location"])
    assert "Skill added." in detail.text and "vector-databases" in detail.text
    assert await fetchval("SELECT count(*) FROM audit_entries WHERE action = 'skills.added'") == 1


async def test_rename_and_cycle_refused(app):
    admin = await staff_browser(app, "ada@corp.test", ["admin"])
    ml = await skill_id("machine-learning")
    page = await admin.get(f"/backoffice/skills/{ml}")
    assert page.status_code == 200 and "Narrower skills" in page.text
    cycle = await admin.submit(f"/backoffice/skills/{ml}", {
        **FORM, "name": "ML engineering", "category": "data", "parent": "pytorch",
        "synonyms": "ML"})
    assert cycle.status_code == 422 and "That parent sits under this skill" in cycle.text
    assert await fetchval("SELECT name FROM skills WHERE id = $1", ml) == "Machine learning"

    renamed = await admin.submit(f"/backoffice/skills/{ml}", {
        **FORM, "name": "Applied ML", "category": "data", "parent": "data-science",
        "synonyms": "ML, machine learning"})
    assert renamed.status_code == 303, re.findall(r"field__error.*?</p>", renamed.text, re.S)
    rows = await fetch("SELECT slug, name, synonyms FROM skills WHERE id = $1", ml)
    assert rows == [{"slug": "machine-learning", "name": "Applied ML",
                     "synonyms": ["ML", "machine learning"]}]


async def test_merge_preview_then_merge(app, clock):
    admin = await staff_browser(app, "ada@corp.test", ["admin"])
    for i in range(3):
        await profiles.update_profile(await person(f"p{i}@example.com"), ProfileUpdate(
            full_name="Pat", skills=("keras",) if i else ("keras", "deep-learning")), clock=clock)
    keras, deep = await skill_id("keras"), await skill_id("deep-learning")
    chooser = await admin.get(f"/backoffice/skills/{keras}/merge")
    assert chooser.status_code == 200 and 'name="into"' in chooser.text
    preview = await admin.get(f"/backoffice/skills/{keras}/merge?into=deep-learning")
    assert "replace Keras with Deep learning on 3 people" in preview.text
    assert 'name="into" value="deep-learning"' in preview.text
    nonsense = await admin.get(f"/backoffice/skills/{keras}/merge?into=no-such")
    assert nonsense.status_code == 422
    merged = await admin.submit(f"/backoffice/skills/{keras}/merge", {"into": "deep-learning"})
    assert merged.status_code == 303 and merged.headers["location"].startswith(
        f"/backoffice/skills/{deep}")
    assert await fetchval("SELECT count(*) FROM profiles WHERE skills = ARRAY['deep-learning']"
                          "::varchar[]") == 3
    gone = await admin.get(f"/backoffice/skills/{keras}")
    assert gone.status_code == 404


async def test_unmatched_review_maps_text_to_a_skill(app, clock):
    admin = await staff_browser(app, "ada@corp.test", ["admin"])
    for i, text in enumerate(("Pager wrangling", "pager wrangling", "Chess")):
        await profiles.update_profile(await person(f"p{i}@example.com"), ProfileUpdate(
            full_name="Pat", skills=("python",), unmatched_skills=(text,)), clock=clock)
    page = await admin.get("/backoffice/skills/unmatched")
    assert page.status_code == 200
    assert page.text.index("Pager wrangling") < page.text.index("Chess")
    bad = await admin.submit("/backoffice/skills/unmatched/map", {
        "text": "Pager wrangling", "skill": "No such skill", "row": "0"})
    assert bad.status_code == 422 and 'id="f-skill-0"' in bad.text
    assert "Type the name of a skill from the list." in bad.text
    mapped = await admin.submit("/backoffice/skills/unmatched/map", {
        "text": "Pager wrangling", "skill": "Site reliability engineering", "row": "0"})
    assert mapped.status_code == 303
    after = await admin.get(mapped.headers["location"])
    assert "2 people now have that skill" in after.text
    assert await fetchval("SELECT count(*) FROM profiles WHERE "
                          "skills @> ARRAY['site-reliability-engineering']::varchar[] "
                          "AND unmatched_skills = '{}'") == 2

    new = await admin.get("/backoffice/skills/new?text=Chess")
    assert 'value="Chess"' in new.text
    added = await admin.submit("/backoffice/skills/new", {
        **FORM, "name": "Chess", "category": "operations", "from_text": "Chess"})
    assert added.status_code == 303
    assert await fetchval("SELECT count(*) FROM profiles WHERE "
                          "skills @> ARRAY['chess']::varchar[]") == 1


ROUTES = [("GET", "/backoffice/skills"), ("GET", "/backoffice/skills/new"),
          ("GET", "/backoffice/skills/{id}"), ("GET", "/backoffice/skills/{id}/merge"),
          ("GET", "/backoffice/skills/unmatched"), ("POST", "/backoffice/skills/new"),
          ("POST", "/backoffice/skills/{id}"), ("POST", "/backoffice/skills/{id}/merge"),
          ("POST", "/backoffice/skills/unmatched/map")]


@pytest.mark.parametrize("role", ["recruiter", "hiring_manager", "event_host", "marketing",
                                  "eeo_reporter"])
async def test_other_roles_are_refused_everywhere(app, role):
    browser = await staff_browser(app, f"{role}@corp.test", [role])
    python = await skill_id("python")
    await browser.get("/backoffice/candidates")  # any page, for a CSRF token
    for method, path in ROUTES:
        url = path.replace("{id}", str(python))
        if method == "GET":
            response = await browser.get(url)
        else:
            response = await browser.submit(url, {**FORM, "name": "X", "into": "go",
                                                   "text": "x", "skill": "Go"})
        assert response.status_code == 403, (method, url)
    nav = await browser.get("/backoffice/candidates")
    assert 'href="/backoffice/skills"' not in nav.text
    assert await fetchval("SELECT count(*) FROM skills WHERE slug = 'x'") == 0
