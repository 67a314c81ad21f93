"""Profiles, the skills taxonomy and CV storage on PostgreSQL and the real filesystem."""

import asyncio
import hashlib
import json
import stat
from dataclasses import replace

import pytest

from domain.db import fetch
from domain.errors import Invalid, NotFound
from domain.people import service as people
from domain.profiles import files, queries
from domain.profiles import service as profiles
from domain.profiles.service import ProfileUpdate
from tests.unit.test_profile_rules import EXE_BYTES, HTML_BYTES, PDF_BYTES, make_docx, make_zip


async def person(clock, email="ann@example.com") -> int:
    row = await people.find_or_create(email=email, full_name="Ann Smith", source="test",
                                      now=clock.now())
    return row["id"]


def stored_files() -> set[str]:
    directory = files.cv_directory()
    return {path.name for path in directory.iterdir()} if directory.exists() else set()


async def count(table: str) -> int:
    return (await fetch(f"SELECT count(*) AS n FROM {table}"))[0]["n"]  # noqa: S608


FULL = ProfileUpdate(
    full_name="Ann Smith", headline="Backend engineer", city="Lisbon", country="PT",
    time_zone="Europe/Lisbon", links=("https://github.com/ann",), skills=("python", "kubernetes"),
    unmatched_skills=("Basket weaving",), job_function="engineering", seniority="senior",
    work_modes=("remote", "hybrid"), open_to_relocation=True, open_to_opportunities="open",
)


async def test_skills_are_loaded_idempotently():
    await profiles.ensure_skills()  # clean_state already ran it once
    await profiles.ensure_skills()
    assert await count("skills") == len(profiles.taxonomy()) >= 300
    rows = await fetch("SELECT c.slug, p.slug AS parent FROM skills c "
                       "LEFT JOIN skills p ON p.id = c.parent WHERE c.slug = 'pytorch'")
    assert rows == [{"slug": "pytorch", "parent": "machine-learning"}]
    synonyms = await fetch("SELECT synonyms FROM skills WHERE slug = 'kubernetes'")
    assert "k8s" in synonyms[0]["synonyms"]


async def test_saving_a_profile_records_which_fields_changed(clock):
    person_id = await person(clock)
    changed = await profiles.update_profile(person_id, FULL, clock=clock)
    assert "headline" in changed and "skills" in changed and "full_name" not in changed
    events = await fetch("SELECT type, payload FROM engagement_events WHERE person = $1",
                         person_id)
    assert len(events) == 1 and events[0]["type"] == "profile_updated"
    payload = json.loads(events[0]["payload"])
    assert payload == {"fields": changed}
    assert "Lisbon" not in events[0]["payload"], "values never go on the timeline"

    form = await queries.profile_for_edit(person_id)
    assert form["links"] == ["https://github.com/ann"]
    assert form["skills_text"] == "Python, Kubernetes, Basket weaving"
    assert form["open_status_at"] == clock.now().date()


async def test_saving_the_same_profile_again_changes_nothing(clock):
    person_id = await person(clock)
    await profiles.update_profile(person_id, FULL, clock=clock)
    clock.advance(days=3)
    assert await profiles.update_profile(person_id, FULL, clock=clock) == []
    assert await count("engagement_events") == 1


async def test_status_date_moves_only_when_the_status_changes(clock):
    person_id = await person(clock)
    set_on = clock.now().date()
    await profiles.update_profile(person_id, FULL, clock=clock)
    clock.advance(days=10)
    promoted = replace(FULL, headline="Staff engineer")
    assert await profiles.update_profile(person_id, promoted, clock=clock) == ["headline"]
    assert (await queries.profile_for_edit(person_id))["open_status_at"] == set_on
    changed = await profiles.update_profile(
        person_id, replace(promoted, open_to_opportunities="not_looking"), clock=clock)
    assert changed == ["open_to_opportunities"]
    assert (await queries.profile_for_edit(person_id))["open_status_at"] == clock.now().date()


async def test_name_changes_update_the_person(clock):
    person_id = await person(clock)
    changed = await profiles.update_profile(person_id, ProfileUpdate(full_name="Ann Jones"),
                                            clock=clock)
    assert changed == ["full_name"]
    rows = await fetch("SELECT full_name FROM people WHERE id = $1", person_id)
    assert rows[0]["full_name"] == "Ann Jones"


@pytest.mark.parametrize("bad", [
    {"country": "XX"}, {"time_zone": "Mars/Olympus"}, {"job_function": "wizard"},
    {"work_modes": ("remote", "moon")}, {"full_name": "  "},
    {"links": tuple(f"https://s{i}.com" for i in range(6))},
])
async def test_values_outside_the_lists_are_refused_and_nothing_is_saved(clock, bad):
    person_id = await person(clock)
    with pytest.raises(Invalid):
        await profiles.update_profile(person_id, replace(FULL, **bad), clock=clock)
    assert await count("profiles") == 0 and await count("engagement_events") == 0


async def test_concurrent_saves_make_one_profile(clock):
    person_id = await person(clock)
    await asyncio.gather(*[profiles.update_profile(person_id, FULL, clock=clock)
                           for _ in range(5)])
    assert await count("profiles") == 1
    assert await count("engagement_events") == 1


async def test_a_pdf_cv_is_stored_privately_under_a_random_name(clock):
    person_id = await person(clock)
    row = await profiles.upload_cv(person_id, filename="../../My CV.pdf", data=PDF_BYTES,
                                   clock=clock)
    assert row["display_name"] == "My CV.pdf" and row["content_type"] == files.PDF
    stored = await fetch("SELECT storage_key, sha256, size_bytes, is_current FROM cv_files")
    key = stored[0]["storage_key"]
    assert stored[0]["sha256"] == hashlib.sha256(PDF_BYTES).hexdigest()
    assert stored[0]["size_bytes"] == len(PDF_BYTES) and stored[0]["is_current"]
    path = files.path_of(key)
    assert path.read_bytes() == PDF_BYTES
    assert "static" not in path.parts and "My CV" not in key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o700
    events = await fetch("SELECT type, payload FROM engagement_events")
    assert [e["type"] for e in events] == ["cv_uploaded"]
    assert json.loads(events[0]["payload"]) == {"file_type": "pdf"}


async def test_replacing_a_cv_keeps_the_history(clock):
    person_id = await person(clock)
    first = await profiles.upload_cv(person_id, filename="old.pdf", data=PDF_BYTES, clock=clock)
    clock.advance(hours=1)
    second = await profiles.upload_cv(person_id, filename="new.docx", data=make_docx(),
                                      clock=clock)
    history = await queries.cv_history(person_id)
    assert [cv["id"] for cv in history] == [second["id"], first["id"]]
    assert [cv["is_current"] for cv in history] == [True, False]
    assert history[1]["replaced_at"] == clock.now()
    assert (await queries.current_cv(person_id))["display_name"] == "new.docx"
    old = await profiles.cv_for_owner(person_id=person_id, cv_id=first["id"])
    assert old.path.read_bytes() == PDF_BYTES


async def test_concurrent_uploads_leave_one_current_cv(clock):
    person_id = await person(clock)
    await asyncio.gather(*[profiles.upload_cv(person_id, filename="cv.pdf", data=PDF_BYTES,
                                              clock=clock) for _ in range(4)])
    rows = await fetch("SELECT is_current FROM cv_files")
    assert sorted(row["is_current"] for row in rows) == [False, False, False, True]


@pytest.mark.parametrize("data", [HTML_BYTES, EXE_BYTES, make_zip({"a.txt": "x"}),
                                  PDF_BYTES + b"\x00" * files.MAX_CV_BYTES])
async def test_refused_uploads_store_nothing(clock, data):
    person_id = await person(clock)
    before = stored_files()
    with pytest.raises(Invalid) as caught:
        await profiles.upload_cv(person_id, filename="cv.pdf", data=data, clock=clock)
    assert caught.value.errors["cv"]
    assert stored_files() == before
    assert await count("cv_files") == 0 and await count("engagement_events") == 0


async def test_a_failed_transaction_removes_the_stored_file(clock):
    before = stored_files()
    with pytest.raises(NotFound):
        await profiles.upload_cv(987654, filename="cv.pdf", data=PDF_BYTES, clock=clock)
    assert stored_files() == before


async def test_another_persons_cv_is_not_found(clock):
    owner, other = await person(clock), await person(clock, "bob@example.com")
    cv = await profiles.upload_cv(owner, filename="cv.pdf", data=PDF_BYTES, clock=clock)
    with pytest.raises(NotFound):
        await profiles.cv_for_owner(person_id=other, cv_id=cv["id"])
    with pytest.raises(NotFound):
        await profiles.cv_for_owner(person_id=owner, cv_id=cv["id"] + 1000)


async def test_staff_downloads_are_audited(clock):
    owner = await person(clock)
    cv = await profiles.upload_cv(owner, filename="cv.pdf", data=PDF_BYTES, clock=clock)
    download = await profiles.cv_for_staff(cv_id=cv["id"], actor="r@test.local", ip="10.0.0.1",
                                           clock=clock)
    assert download.display_name == "cv.pdf"
    audit = await fetch("SELECT action, actor, subject FROM audit_entries")
    assert audit == [{"action": "staff.cv_downloaded", "actor": "r@test.local",
                      "subject": f"cv:{cv['id']}"}]


async def test_staff_summary_shows_labels(clock):
    person_id = await person(clock)
    assert await queries.profile_summary(person_id) is None
    await profiles.update_profile(person_id, FULL, clock=clock)
    summary = await queries.profile_summary(person_id)
    assert summary["location"] == "Lisbon, Portugal"
    assert summary["skills"] == ["Python", "Kubernetes"]
    assert summary["seniority"] == "Senior" and summary["open_status"] == "Open to offers"
    assert summary["work_modes"] == ["Remote", "Hybrid"]
