"""Duplicate hints and merges against the real database: applying with another record's
phone or LinkedIn only suggests; a merge moves every person-owned row (unique clashes
stay with the merged record) and an undo puts back exactly the original owners; undo
closes after 30 days; two concurrent merges of a pair cannot both run; merged records
leave the candidate search and a later application with their email goes to the kept
person."""

from __future__ import annotations

import asyncio

import pytest

from domain.db import fetch
from domain.dedupe import merge as merging
from domain.dedupe import queries, service
from domain.engagement import scoring
from domain.engagement import service as engagement
from domain.errors import Conflict, Invalid
from domain.events import service as events
from domain.people import queries as people_queries
from domain.people import tags
from domain.pipeline import service as pipeline
from domain.profiles import service as profiles
from tests.events_support import create_event, person
from tests.jobs_support import create_application, create_requisition
from tests.unit.test_profile_rules import PDF_BYTES

pytestmark = pytest.mark.usefixtures("clean_state")


async def _consent_text_id() -> int:
    return (await fetch("SELECT id FROM consent_texts WHERE purpose = 'job_processing'"))[0]["id"]


async def _apply(slug: str, email: str, clock, *, name: str = "Ann Smith", phone: str = "",
                 linkedin: str = "") -> pipeline.Applied:
    return await pipeline.apply(pipeline.ApplyRequest(
        slug=slug, applicant=pipeline.Applicant(email, name), answers={},
        consent_text_id=await _consent_text_id(), cv=pipeline.CvUpload("cv.pdf", PDF_BYTES),
        phone=phone, linkedin=linkedin), clock=clock, queue=None)


async def _owners(*person_ids: int) -> dict[str, set[tuple[int, int]]]:
    """Every person-owned row of these people: table → {(row id, owner)}."""
    found: dict[str, set[tuple[int, int]]] = {}
    for table in merging.person_owned_tables():
        key = merging.row_key(table)
        rows = await fetch(f"SELECT {key} AS id, person FROM {table} "  # noqa: S608
                           "WHERE person = ANY($1::int[])", list(person_ids))
        found[table] = {(row["id"], row["person"]) for row in rows}
    return found


async def _rich_person(email: str, clock, community: dict, *, requisitions: list[dict],
                       event_slug: str, pool_id: int, tag_list: list[str]) -> int:
    person_id = await person(email, "Ann Smith")
    now = clock.now()
    for requisition in requisitions:
        await create_application(requisition["id"], person_id)
    await events.register(event_slug, person_id, clock=clock, queue=None)
    await fetch("INSERT INTO community_memberships (person, community, status, requested_at, "
                "confirmed_at) VALUES ($1, $2, 'confirmed', $3, $3)", person_id,
                community["id"], now)
    await fetch("INSERT INTO consent_records (person, purpose, scope, action, method, "
                "occurred_at) VALUES ($1, 'community_updates', 'engineering', 'given', "
                "'web_form', $2)", person_id, now)
    await engagement.record(person_id=person_id, type="page_visit", occurred_at=now)
    await tags.add_tags([person_id], tag_list, by="rec@corp.test", at=now)
    await fetch("INSERT INTO pool_members (pool, person, stage, source, added_by, added_at, "
                "stage_changed_at) VALUES ($1, $2, 'new', 'manual', 'rec@corp.test', $3, $3)",
                pool_id, person_id, now)
    await profiles.upload_cv(person_id, filename="cv.pdf", data=PDF_BYTES, clock=clock)
    await fetch("INSERT INTO profiles (person, headline) VALUES ($1, 'Engineer at Acme')",
                person_id)
    return person_id


async def _pool(clock) -> int:
    from domain.accounts import service as accounts

    user = await accounts.create_user(email="rec@corp.test", full_name="Rita Recruiter",
                                      roles=["recruiter"], password="a-long-test-password",
                                      clock=clock)
    rows = await fetch(
        "INSERT INTO talent_pools (name, description, kind, visibility, owner, stages, "
        "created_by, created_at, updated_at) VALUES ('Backend', '', 'static', 'shared', $1, "
        "ARRAY['new', 'contacted'], 'rec@corp.test', $2, $2) RETURNING id",
        user.id, clock.now())
    return int(rows[0]["id"])


async def test_applying_with_another_records_phone_suggests_once_and_never_merges(clock):
    await create_requisition("backend")
    await create_requisition("data", title="Data engineer")
    first = await _apply("backend", "ann@example.com", clock, phone="+447911123456")
    await _apply("backend", "ann.smith@work.example", clock, phone="+447911123456",
                 linkedin="linkedin.com/in/ann-smith")
    await _apply("data", "ann.smith@work.example", clock, phone="+447911123456")
    hints = await fetch("SELECT person, other, reason, status FROM duplicate_hints")
    people = await fetch("SELECT id, email, phone, linkedin, merged_into FROM people "
                         "ORDER BY id")
    assert [p["merged_into"] for p in people] == [None, None]
    assert hints == [{"person": people[0]["id"], "other": people[1]["id"], "reason": "phone",
                      "status": "open"}]
    assert first.created
    assert people[1]["linkedin"] == "linkedin.com/in/ann-smith"
    # A known value is never overwritten by a form anyone can submit.
    await _apply("data", "ann@example.com", clock, phone="+14155552671")
    assert (await fetch("SELECT phone FROM people WHERE id = $1", people[0]["id"]))[0] == \
        {"phone": "+447911123456"}


async def test_a_dismissed_pair_is_not_suggested_again(clock):
    await create_requisition("backend")
    await create_requisition("data", title="Data engineer")
    await _apply("backend", "ann@example.com", clock, linkedin="linkedin.com/in/ann")
    await _apply("backend", "ann2@example.com", clock, linkedin="linkedin.com/in/ann")
    ids = [row["id"] for row in await fetch("SELECT id FROM people ORDER BY id")]
    await service.dismiss(ids[1], ids[0], reason="linkedin", by="rec@corp.test",
                          now=clock.now())
    await _apply("data", "ann2@example.com", clock, linkedin="linkedin.com/in/ann")
    assert await fetch("SELECT status FROM duplicate_hints") == [{"status": "dismissed"}]
    assert await queries.open_pairs() == []


async def test_merge_moves_every_person_owned_row_and_undo_restores_the_owners(clock,
                                                                              community):
    shared = await create_requisition("backend")
    other = await create_requisition("data", title="Data engineer")
    await create_event("meetup", capacity=10)
    pool_id = await _pool(clock)
    kept = await _rich_person("ann@example.com", clock, community, requisitions=[shared],
                              event_slug="meetup", pool_id=pool_id, tag_list=["python"])
    merged = await _rich_person("ann.smith@work.example", clock, community,
                                requisitions=[shared, other], event_slug="meetup",
                                pool_id=pool_id, tag_list=["Python", "relocating"])
    await fetch("UPDATE people SET phone = '+447911123456', source = 'referral' "
                "WHERE id = $1", merged)
    await scoring.refresh([kept, merged], now=clock.now())  # as the scoring run left them
    before = await _owners(kept, merged)

    preview = await merging.preview(kept, merged)
    assert await _owners(kept, merged) == before  # a preview changes nothing
    merge_id = await merging.merge(kept, merged, by="rec@corp.test", now=clock.now())

    after = await _owners(kept, merged)
    stays = {table: {row for row in rows if row[1] == merged} for table, rows in after.items()}
    # Rows that clash with the kept person's own stay with the merged record …
    assert {t: len(rows) for t, rows in stays.items() if rows} == {
        "applications": 1, "event_registrations": 1, "community_memberships": 1,
        "pool_members": 1, "profiles": 1, "person_tags": 1, "engagement_scores": 1}
    assert preview.stays == {
        t: len(rows) for t, rows in stays.items() if rows}
    assert preview.staying_applications == ["Backend engineer"]
    # … and everything else moved, recorded id by id.
    record = (await fetch("SELECT moved, status FROM person_merges WHERE id = $1",
                          merge_id))[0]
    moved = merging._loads(record["moved"])
    for table, rows in before.items():
        expected = sorted(i for i, owner in rows if owner == merged and (i, merged)
                          not in stays[table])
        assert sorted(moved.get(table, [])) == expected, table
    assert set(moved) >= {"applications", "consent_records", "engagement_events",
                          "person_tags", "cv_files", "_cv_uncurrent"}
    current = await fetch("SELECT id FROM cv_files WHERE person = $1 AND is_current", kept)
    assert len(current) == 1 and current[0]["id"] not in moved["cv_files"]
    assert preview.moves == {t: len(ids) for t, ids in moved.items() if not t.startswith("_")}
    people = {row["id"]: row for row in await fetch(
        "SELECT id, source, phone, merged_into FROM people")}
    assert people[kept]["source"] == "test" and people[kept]["phone"] == "+447911123456"
    assert people[merged]["merged_into"] == kept
    audit = await fetch("SELECT action, actor, detail FROM audit_entries "
                        "WHERE action = 'person.merged'")
    assert audit[0]["actor"] == "rec@corp.test" and '"merged_source": "referral"' in \
        audit[0]["detail"]

    clock.advance(days=29)
    assert await merging.undo(merge_id, by="rec@corp.test", now=clock.now()) == kept
    assert await _owners(kept, merged) == before
    assert len(await fetch("SELECT id FROM cv_files WHERE person = $1 AND is_current",
                           merged)) == 1
    people = {row["id"]: row for row in await fetch(
        "SELECT id, phone, merged_into FROM people")}
    assert people[kept]["phone"] == "" and people[merged]["merged_into"] is None
    with pytest.raises(Conflict):
        await merging.undo(merge_id, by="rec@corp.test", now=clock.now())


async def test_undo_after_30_days_is_refused_with_a_message(clock):
    kept, merged = await person("a@example.com"), await person("b@example.com")
    merge_id = await merging.merge(kept, merged, by="rec@corp.test", now=clock.now())
    clock.advance(days=30, minutes=1)
    with pytest.raises(Invalid, match="30 days"):
        await merging.undo(merge_id, by="rec@corp.test", now=clock.now())
    assert (await fetch("SELECT merged_into FROM people WHERE id = $1", merged))[0] == \
        {"merged_into": kept}


async def test_two_concurrent_merges_of_a_pair_one_succeeds(clock):
    kept, merged = await person("a@example.com"), await person("b@example.com")
    results = await asyncio.gather(
        merging.merge(kept, merged, by="one@corp.test", now=clock.now()),
        merging.merge(merged, kept, by="two@corp.test", now=clock.now()),
        merging.merge(kept, merged, by="three@corp.test", now=clock.now()),
        return_exceptions=True)
    assert sum(isinstance(r, int) for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, int))
    assert len(await fetch("SELECT id FROM person_merges")) == 1


async def test_merged_records_leave_search_and_their_email_applies_to_the_kept_person(clock):
    requisition = await create_requisition("backend")
    kept, merged = await person("ann@example.com"), await person("ann2@example.com")
    await merging.merge(kept, merged, by="rec@corp.test", now=clock.now())
    page = await people_queries.search_people(q="ann")
    assert [row["id"] for row in page.rows] == [kept]
    applied = await _apply("backend", "ann2@example.com", clock)
    owner = await fetch("SELECT person FROM applications WHERE id = $1",
                        applied.application_id)
    assert owner == [{"person": kept}] and requisition["slug"] == "backend"
    sent = await fetch("SELECT person, to_address FROM outbound_emails "
                       "WHERE template = 'application_received'")
    assert sent == [{"person": kept, "to_address": "ann2@example.com"}]
    detail = await people_queries.person_detail(merged)
    assert detail["person"]["merged_into"] == kept
    assert any(item["title"].startswith("Merged into") for item in detail["timeline"])


async def test_merging_a_record_into_itself_or_a_merged_one_is_refused(clock):
    a, b, c = [await person(f"{n}@example.com") for n in "abc"]
    with pytest.raises(Invalid):
        await merging.merge(a, a, by="rec@corp.test", now=clock.now())
    await merging.merge(a, b, by="rec@corp.test", now=clock.now())
    with pytest.raises(Conflict, match="already been merged"):
        await merging.merge(c, b, by="rec@corp.test", now=clock.now())


async def test_name_look_alikes_with_the_same_headline_are_listed(clock):
    a, b, c = (await person("a@example.com", "Ann Smith"),
               await person("b@example.com", "Anne Smith"),
               await person("c@example.com", "Bob Jones"))
    for person_id in (a, b, c):
        await fetch("INSERT INTO profiles (person, headline) VALUES ($1, 'Engineer at Acme')",
                    person_id)
    pairs = await queries.name_pairs()
    assert [(p["kept"]["id"], p["merged"]["id"], p["reasons"]) for p in pairs] == \
        [(a, b, ["name"])]
    await service.dismiss(a, b, reason="name", by="rec@corp.test", now=clock.now())
    assert await queries.name_pairs() == []


async def test_an_older_merge_is_undone_only_after_a_later_one_of_the_kept_record(clock):
    a, b, c = [await person(f"{n}@example.com") for n in "abc"]
    first = await merging.merge(b, c, by="rec@corp.test", now=clock.now())
    await merging.merge(a, b, by="rec@corp.test", now=clock.now())
    with pytest.raises(Conflict, match="undo that merge first"):
        await merging.undo(first, by="rec@corp.test", now=clock.now())
