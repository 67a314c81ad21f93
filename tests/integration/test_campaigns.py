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
