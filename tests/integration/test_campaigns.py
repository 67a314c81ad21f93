"""Campaign management (domain.campaigns.audience / campaigns / eligibility): who a
campaign is addressed to, the eligibility count before approval, the lifecycle and its
approval rules — against the real database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.campaigns import audience
from domain.db import fetch, fetchval
from domain.errors import Invalid
from domain.segments import membership
from tests.events_support import create_event, person

pytestmark = pytest.mark.usefixtures("clean_state")

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


async def campaign_row(**values) -> dict:
    values = {"name": "Winter meetup", "purpose": "community_emails", **values}
    columns = ", ".join(values)
    marks = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    sql = f"INSERT INTO campaigns ({columns}) VALUES ({marks}) RETURNING *"  # noqa: S608
    rows = await fetch(sql, *values.values())
    return rows[0]


async def people(count: int, prefix: str = "p", source: str = "test") -> list[int]:
    ids = []
    for index in range(count):
        ids.append(await person(f"{prefix}{index}@example.com"))
    if source != "test":
        await fetch("UPDATE people SET source = $1 WHERE id = ANY($2::int[])", source, ids)
    return ids


async def erase_and_merge(erased: int, merged: int, into: int) -> None:
    await fetch("UPDATE people SET email = 'erased-' || id || '@invalid' WHERE id = $1", erased)
    await fetch("UPDATE people SET merged_into = $2 WHERE id = $1", merged, into)


async def all_pages(campaign: dict, size: int) -> list[int]:
    seen, after = [], 0
    while batch := await audience.page(campaign, after, size, now=NOW):
        assert batch == sorted(batch) and batch[0] > after
        seen += batch
        after = batch[-1]
    return seen


async def test_csv_audience_pages_ascending_and_leaves_out_erased_and_merged():
    ids = await people(7)
    campaign = await campaign_row(audience_kind="csv")
    for pid in ids:
        await fetch("INSERT INTO campaign_csv_people (campaign, person) VALUES ($1, $2)",
                    campaign["id"], pid)
    await erase_and_merge(ids[1], ids[4], ids[0])
    expected = [pid for pid in ids if pid not in (ids[1], ids[4])]
    assert await all_pages(campaign, 2) == expected
    assert await audience.page(campaign, ids[5], 10) == [ids[6]]
    assert await audience.count(campaign) == 5


async def test_segment_audience_from_the_built_membership_or_evaluated_live():
    imported = await people(4, "imp", source="import")
    await people(3, "port")
    definition = {"match": "all", "conditions": [
        {"field": "source", "op": "in", "value": ["import"]}]}
    import json
    segment = await fetchval(
        "INSERT INTO segments (name, description, definition, visibility, created_by, "
        "created_at, updated_at) VALUES ('Imported', '', $1::jsonb, 'shared', '', now(), now()) "
        "RETURNING id", json.dumps(definition))
    campaign = await campaign_row(audience_kind="segment", audience_ref=str(segment))
    assert await all_pages(campaign, 3) == imported  # not built yet: evaluated now

    audience_id = await membership.ensure(definition, now=NOW)
    await membership.build(audience_id, now=NOW)
    # The maintained rows are what is read once built: prove it by removing one.
    await fetch("DELETE FROM segment_audience_members WHERE person = $1", imported[2])
    await erase_and_merge(imported[0], imported[1], imported[3])
    assert await all_pages(campaign, 1) == [imported[3]]


async def test_pool_community_and_event_audiences(community):
    ids = await people(6)
    pool = await fetchval(
        "INSERT INTO talent_pools (name, description, kind, visibility, created_by, "
        "created_at, updated_at) VALUES ('Backend', '', 'static', 'shared', '', now(), now()) "
        "RETURNING id")
    for pid in ids[:3]:
        await fetch("INSERT INTO pool_members (pool, person, stage, source, note, added_by, "
                    "added_at, stage_changed_at) VALUES ($1, $2, 'lead', 'manual', '', '', "
                    "now(), now())", pool, pid)
    pooled = await campaign_row(audience_kind="pool", audience_ref=str(pool))
    assert await all_pages(pooled, 2) == ids[:3]

    for pid, status in zip(ids, ("confirmed", "pending", "confirmed", "left", "confirmed",
                                 "confirmed"), strict=True):
        await fetch("INSERT INTO community_memberships (person, community, status, interests, "
                    "requested_at) VALUES ($1, $2, $3, '{}', now())", pid, community["id"],
                    status)
    members = await campaign_row(audience_kind="community", audience_ref="engineering")
    assert await all_pages(members, 10) == [ids[0], ids[2], ids[4], ids[5]]

    event = await create_event("meetup", capacity=None)
    for pid, status in zip(ids, ("registered", "attended", "no_show", "cancelled",
                                 "waitlisted", "attended"), strict=True):
        await fetch("INSERT INTO event_registrations (event, person, status, created_at, "
                    "updated_at) VALUES ($1, $2, $3, now(), now())", event["id"], pid, status)
    everyone = await campaign_row(audience_kind="event", audience_ref=str(event["id"]))
    assert await all_pages(everyone, 10) == [*ids[:3], ids[5]]
    attended = await campaign_row(audience_kind="event", audience_ref=str(event["id"]),
                                  event_filter="attended")
    assert await all_pages(attended, 10) == [ids[1], ids[5]]


async def test_an_audience_that_cannot_be_evaluated_says_so():
    gone = await campaign_row(audience_kind="segment", audience_ref="999")
    with pytest.raises(Invalid):
        await audience.page(gone, 0, 10)
    unset = await campaign_row(audience_kind="pool", audience_ref="")
    with pytest.raises(Invalid):
        await audience.page(unset, 0, 10)


async def give(person_id: int, scope: str, at: datetime, action: str = "given") -> None:
    await fetch("INSERT INTO consent_records (person, purpose, scope, action, method, "
                "occurred_at) VALUES ($1, 'community_emails', $2, $3, 'test', $4)",
                person_id, scope, action, at)


async def test_exclusions_count_each_person_once_under_the_first_reason(community):
    from datetime import timedelta

    from domain.campaigns import exclusions
    from domain.privacy import suppression
    from tests.jobs_support import create_application, create_requisition

    ids = await people(10)
    campaign = await campaign_row(audience_kind="csv", consent_scope="engineering")
    for pid in ids:
        await fetch("INSERT INTO campaign_csv_people (campaign, person) VALUES ($1, $2)",
                    campaign["id"], pid)
    earlier = NOW - timedelta(days=30)
    for pid in ids[1:]:
        await give(pid, "engineering", earlier)
    await give(ids[0], "design", earlier)  # another scope: no consent for this one
    await give(ids[2], "engineering", NOW - timedelta(days=1), "withdrawn")
    await give(ids[3], "engineering", NOW + timedelta(days=1), "withdrawn")  # later: not yet
    await suppression.suppress("p4@example.com", reason="hard_bounce", now=NOW)
    await fetch("INSERT INTO contact_preferences (person, cadence, channels, updated_at) "
                "VALUES ($1, 'every_update', '{sms}', now()), "
                "($2, 'every_update', '{email}', now())", ids[5], ids[6])
    await fetch("UPDATE contact_preferences SET paused_until = $2 WHERE person = $1",
                ids[6], NOW + timedelta(days=3))
    for _ in range(2):
        other = await campaign_row(audience_kind="csv", state="finished")
        await fetch("INSERT INTO marketing_sends (campaign, person, state, claimed_at, "
                    "created_at) VALUES ($1, $2, 'sent', $3, $3)", other["id"], ids[7],
                    NOW - timedelta(days=2))
    requisition = await create_requisition("backend")
    await create_application(requisition["id"], ids[8])
    await fetch("UPDATE people SET email = 'erased-' || id || '@invalid' WHERE id = $1", ids[9])

    found = await exclusions.count(campaign, now=NOW)
    assert found.exact
    assert found.counts == {"no_consent": 1, "withdrawn": 1, "eligible": 2, "suppressed": 1,
                            "channel": 2, "frequency_cap": 1, "applicant": 1, "erased": 1}
    assert (found.total, found.eligible) == (10, 2)
    # The cap and the applicant rule are settings of the campaign / marketing.
    await fetch("UPDATE marketing_settings SET cap_messages = 3 WHERE id = 1")
    if not await fetch("SELECT 1 FROM marketing_settings"):
        await fetch("INSERT INTO marketing_settings (id, cap_messages, cap_days, "
                    "paused_reason, updated_by) VALUES (1, 3, 7, '', '')")
    relaxed = await exclusions.count({**campaign, "exclude_applicants": False}, now=NOW)
    assert relaxed.eligible == 4


async def test_exclusions_fall_back_to_an_approximate_sample_past_the_budget():
    from domain.campaigns import exclusions

    campaign = await campaign_row(audience_kind="csv", consent_scope="engineering")
    await fetch("INSERT INTO people (email, full_name, source, created_at, updated_at) "
                "SELECT 'bulk' || g || '@example.com', '', 'test', now(), now() "
                "FROM generate_series(1, 3000) g")
    await fetch("INSERT INTO campaign_csv_people (campaign, person) SELECT $1, id FROM people",
                campaign["id"])
    exact = await exclusions.count(campaign, now=NOW)
    assert exact.exact and exact.counts == {"no_consent": 3000}
    # 1 ms is far too little to classify 3,000 people: a 1/64 sample answers instead.
    sampled = await exclusions.count(campaign, now=NOW, budget_ms=1)
    assert not sampled.exact and set(sampled.counts) == {"no_consent"}
    assert sampled.counts["no_consent"] % exclusions.SAMPLE_SCALE == 0
    assert 1500 <= sampled.counts["no_consent"] <= 4500, sampled.counts


# --- The lifecycle ------------------------------------------------------------------------

HTML_BODY = ('<p>Hi {{ first_name }}, see you at {{ event_title }}.</p>'
             '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a> · {{ postal_address }}</p>')


def staff(email: str, roles: tuple[str, ...] = ("marketing",)):
    from domain.accounts.service import Staff

    return Staff(id=abs(hash(email)) % 10_000, email=email, full_name=email.split("@")[0],
                 roles=roles)


AUTHOR, APPROVER = staff("author@test.local", ("recruiter",)), staff("boss@test.local")


async def template_id() -> int:
    from domain.campaigns import templates

    draft = templates.parse({"name": "Meetup invite", "purpose": "community_emails",
                             "subject": "Hello {{ first_name }}", "html_body": HTML_BODY})
    return await templates.create(draft, by=APPROVER, clock=FrozenClockAt())


class FrozenClockAt:
    def __init__(self, at: datetime = NOW) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def form(template: int, **overrides) -> dict:
    return {"name": "Winter meetup", "template": str(template), "audience_kind": "community",
            "community_slug": "engineering", "exclude_applicants": "on",
            "send_mode": "now", "zone_mode": "fixed", "time_zone": "Europe/Paris",
            "window_days": ["1", "2", "3", "4", "5"], "window_start": "9",
            "window_end": "17"} | overrides


async def new_campaign(community, **overrides) -> int:
    from domain.campaigns import campaigns

    draft = await campaigns.parse(form(await template_id(), **overrides))
    return await campaigns.create(draft, by=AUTHOR, clock=FrozenClockAt())


async def test_the_form_copies_the_template_and_reports_every_bad_field(community):
    from domain.campaigns import campaigns

    template = await template_id()
    draft = await campaigns.parse(form(template))
    assert (draft.subject, draft.purpose, draft.consent_scope) == (
        "Hello {{ first_name }}", "community_emails", "engineering")
    assert draft.schedule.window_days == [1, 2, 3, 4, 5]
    assert (draft.schedule.window_start, draft.schedule.window_end) == (9, 17)
    with pytest.raises(Invalid) as refused:
        await campaigns.parse(form(template, name=" ", audience_kind="pool", pool_id="77",
                                   time_zone="Mars/Olympus", window_start="18",
                                   window_end="9", rate_per_minute="-3", send_mode="later",
                                   send_at="tomorrow", subject="Hi",
                                   html_body="<p>no footer</p>"))
    assert set(refused.value.errors) >= {"name", "audience_ref", "time_zone", "window_start",
                                         "rate_per_minute", "send_at", "html_body"}
    later = await campaigns.parse(form(template, send_mode="later",
                                       send_at="2026-12-01T10:30"))
    assert later.schedule.send_at == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)  # Paris = UTC+1


async def test_approval_needs_someone_else_and_any_edit_returns_to_draft(community, queue):
    from domain.campaigns import campaigns
    from domain.errors import Conflict, PermissionDenied

    campaign_id = await new_campaign(community)
    clock = FrozenClockAt()
    with pytest.raises(Conflict):  # a draft is not approved
        await campaigns.approve(campaign_id, 1, by=APPROVER, clock=clock)
    await campaigns.submit(campaign_id, by=AUTHOR, clock=clock)
    author_as_approver = staff("author@test.local")
    with pytest.raises(PermissionDenied):
        await campaigns.approve(campaign_id, 1, by=author_as_approver, clock=clock)
    with pytest.raises(PermissionDenied):  # approval rights are needed
        await campaigns.approve(campaign_id, 1, by=staff("other@test.local", ("recruiter",)),
                                clock=clock)
    # The approver edits it: back to draft, and now the approver is an editor too.
    draft = await campaigns.parse(form(await fetchval(
        "SELECT template FROM campaigns WHERE id = $1", campaign_id), name="Winter meetup 2"))
    assert await campaigns.update(campaign_id, draft, by=APPROVER, clock=clock) == 2
    row = await campaigns.get(campaign_id)
    assert (row["state"], row["revision"], row["approved_revision"]) == ("draft", 2, None)
    await campaigns.submit(campaign_id, by=AUTHOR, clock=clock)
    with pytest.raises(PermissionDenied):
        await campaigns.approve(campaign_id, 2, by=APPROVER, clock=clock)
    third = staff("third@test.local", ("admin",))
    with pytest.raises(Conflict):  # approving what one saw: revision 1 is gone
        await campaigns.approve(campaign_id, 1, by=third, clock=clock)
    await campaigns.approve(campaign_id, 2, by=third, clock=clock)
    row = await campaigns.get(campaign_id)
    assert (row["state"], row["approved_revision"], row["approved_by"]) == (
        "approved", 2, "third@test.local")
    # Editing an approved campaign clears the approval.
    await campaigns.update(campaign_id, draft, by=AUTHOR, clock=clock)
    row = await campaigns.get(campaign_id)
    assert (row["state"], row["revision"], row["approved_revision"]) == ("draft", 3, None)
    actions = [r["action"] for r in await fetch(
        "SELECT action FROM audit_entries WHERE subject = $1 ORDER BY id",
        f"campaign:{campaign_id}")]
    assert actions == ["campaign.created", "campaign.submitted", "campaign.updated",
                       "campaign.submitted", "campaign.approved", "campaign.updated"]


async def test_reject_needs_a_reason_and_scheduling_starts_the_sender(community, queue):
    from domain.campaigns import campaigns
    from domain.errors import Conflict, PermissionDenied

    campaign_id = await new_campaign(community)
    clock = FrozenClockAt()
    await campaigns.submit(campaign_id, by=AUTHOR, clock=clock)
    with pytest.raises(Invalid):
        await campaigns.reject(campaign_id, "  ", by=APPROVER, clock=clock)
    await campaigns.reject(campaign_id, "Wrong date", by=APPROVER, clock=clock)
    detail = await fetchval("SELECT detail FROM audit_entries WHERE action = "
                            "'campaign.rejected'")
    assert "Wrong date" in str(detail)
    assert (await campaigns.get(campaign_id))["state"] == "draft"
    await campaigns.submit(campaign_id, by=AUTHOR, clock=clock)
    await campaigns.approve(campaign_id, 1, by=APPROVER, clock=clock)
    with pytest.raises(PermissionDenied):
        await campaigns.schedule(campaign_id, by=staff("x@test.local"), clock=clock,
                                 queue=queue)
    await campaigns.schedule(campaign_id, by=AUTHOR, clock=clock, queue=queue)
    assert (await campaigns.get(campaign_id))["state"] == "scheduled"
    queued = [(job.function, job.args) for job in await queue.pool.queued_jobs()]
    assert ("start_campaign", (campaign_id,)) in queued
    with pytest.raises(Conflict):
        await campaigns.schedule(campaign_id, by=AUTHOR, clock=clock, queue=queue)
    # Once sending, the content is frozen: editing is refused, duplicating is the way.
    await fetch("UPDATE campaigns SET state = 'sending' WHERE id = $1", campaign_id)
    draft = await campaigns.parse(form(await fetchval(
        "SELECT template FROM campaigns WHERE id = $1", campaign_id)))
    with pytest.raises(Conflict):
        await campaigns.update(campaign_id, draft, by=AUTHOR, clock=clock)
    copy = await campaigns.duplicate(campaign_id, by=AUTHOR, clock=clock)
    row = await campaigns.get(copy)
    assert (row["name"], row["state"], row["approved_revision"], row["subject"]) == (
        "Copy of Winter meetup", "draft", None, "Hello {{ first_name }}")


async def test_an_approval_racing_an_edit_never_approves_the_edited_content(community):
    import asyncio

    from domain.campaigns import campaigns
    from domain.errors import Conflict

    campaign_id = await new_campaign(community)
    clock = FrozenClockAt()
    template = await fetchval("SELECT template FROM campaigns WHERE id = $1", campaign_id)
    for round_ in range(15):
        await campaigns.submit(campaign_id, by=AUTHOR, clock=clock)
        revision = (await campaigns.get(campaign_id))["revision"]
        draft = await campaigns.parse(form(template, subject=f"Edit {round_}",
                                           html_body=HTML_BODY))
        results = await asyncio.gather(
            campaigns.approve(campaign_id, revision, by=APPROVER, clock=clock),
            campaigns.update(campaign_id, draft, by=AUTHOR, clock=clock),
            return_exceptions=True)
        assert not isinstance(results[1], BaseException), results
        row = await campaigns.get(campaign_id)
        # Whichever won, the edit is last: draft, no approval of any revision.
        assert (row["state"], row["approved_revision"]) == ("draft", None), results
        assert results[0] is None or isinstance(results[0], Conflict), results


async def test_csv_upload_is_all_or_nothing_and_reports_rows(community):
    from domain.campaigns import campaigns, csv_audience

    campaign_id = await new_campaign(community)
    known = [await person("ann@example.com"), await person("bob@example.com")]
    clock = FrozenClockAt()
    bad = b"Name,EMAIL\nAnn,Ann@Example.com\nBob,not-an-address\n"
    with pytest.raises(Invalid) as refused:
        await csv_audience.upload(campaign_id, bad, by=AUTHOR, clock=clock)
    report = csv_audience.refused_report(refused.value)
    assert report is not None and [row[:2] for row in report.invalid] == [(3, "email")]
    assert (await campaigns.get(campaign_id))["audience_kind"] == "community"
    good = b"Name;Email\nAnn;Ann@Example.com\nZed;zed@example.com\n;\nBob;bob@example.com\n"
    report = await csv_audience.upload(campaign_id, good, by=AUTHOR, clock=clock)
    assert (report.rows, report.matched, report.unmatched) == (
        3, 2, [(3, "zed@example.com")])
    row = await campaigns.get(campaign_id)
    assert (row["audience_kind"], row["revision"]) == ("csv", 2)
    assert await audience.page(row, 0, 10) == sorted(known)
    with pytest.raises(Invalid):
        await csv_audience.upload(campaign_id, b"name\nAnn\n", by=AUTHOR, clock=clock)


async def test_someone_elses_private_segment_is_not_an_audience(community):
    from domain.accounts import service as accounts
    from domain.campaigns import campaigns

    owner = await accounts.create_user(email="own@test.local", full_name="Own",
                                       roles=["recruiter"], password="a-long-test-password",
                                       clock=FrozenClockAt())
    other = await accounts.create_user(email="oth@test.local", full_name="Oth",
                                       roles=["recruiter"], password="a-long-test-password",
                                       clock=FrozenClockAt())
    segment = await fetchval(
        "INSERT INTO segments (name, definition, visibility, owner, created_at, updated_at) "
        "VALUES ('Mine', '{\"match\": \"all\", \"conditions\": []}'::jsonb, 'private', $1, "
        "now(), now()) RETURNING id", owner.id)
    raw = form(await template_id(), audience_kind="segment", segment_id=str(segment),
               consent_scope="engineering")
    assert (await campaigns.parse(raw, staff_id=owner.id)).audience_ref == str(segment)
    with pytest.raises(Invalid) as refused:
        await campaigns.parse(raw, staff_id=other.id)
    assert "audience_ref" in refused.value.errors
