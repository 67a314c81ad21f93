"""The claim and the recording of a group's outcomes read only the rows they are given:
each id one primary-key lookup, however many rows are queued or already sent. Given
`state = 'queued'` (claim) or `state = 'sending'` (record), the planner could walk a whole
partial index instead (seen in B5: hundreds of buffers per group of three, growing with
every send), notably right after a campaign's rows are inserted, before PostgreSQL has
statistics for them."""

import json
from datetime import UTC, datetime

from domain.campaigns.delivery import CLAIM_CAMPAIGN, RECORD_OUTCOMES
from domain.db import execute, fetch, fetchval
from tests.campaign_support import approved_campaign, people_with_consent

QUEUED = 5_000


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


async def _queued_campaign(prefix: str) -> tuple[int, list[int]]:
    """A sending campaign with QUEUED queued rows; the ids of its last three."""
    people = await people_with_consent(QUEUED, prefix=prefix)
    campaign = await approved_campaign(people, state="sending")
    await execute("INSERT INTO marketing_sends (campaign, person, batch, state, created_at) "
                  "SELECT $1, u, 1 + (n - 1) / 1000, 'queued', now() "
                  "FROM unnest($2::int[]) WITH ORDINALITY AS t(u, n)", campaign, people)
    ids = [row["id"] for row in await fetch(
        "SELECT id FROM marketing_sends WHERE campaign = $1 ORDER BY id DESC LIMIT 3",
        campaign)]
    return campaign, ids


async def test_claiming_three_rows_of_thousands_queued_reads_only_those_rows(clean_state):
    _campaign, ids = await _queued_campaign("claimplan")

    raw = await fetchval("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + CLAIM_CAMPAIGN, ids,
                         "plan-test", datetime.now(UTC), ["<a@t>", "<b@t>", "<c@t>"],
                         ["ta", "tb", "tc"])
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    picked = next(node for node in _nodes(plan) if node.get("Subplan Name") == "CTE picked")
    scans = [node for node in _nodes(picked) if node.get("Relation Name") == "marketing_sends"]

    assert [node.get("Index Name") for node in scans] == ["marketing_sends_pkey"]
    assert picked["Actual Rows"] == 3
    # Three lookups, a few index and heap pages each; the whole queued index is ~100s.
    assert picked["Shared Hit Blocks"] + picked.get("Shared Read Blocks", 0) < 40


async def test_recording_three_outcomes_of_thousands_sent_reads_only_those_rows(clean_state):
    campaign, ids = await _queued_campaign("recordplan")
    # Statistics from when the rows were queued (autovacuum analyses a new campaign's
    # rows): they say no row is sending or sent, so the partial index looks empty.
    await execute("ANALYZE marketing_sends")
    # Mid-campaign: all but the last three sent, those three claimed and on their way.
    await execute("UPDATE marketing_sends SET state = CASE WHEN id = ANY($2::bigint[]) "
                  "THEN 'sending' ELSE 'sent' END, claimed_at = now(), claimed_by = 'w', "
                  "sent_at = CASE WHEN id = ANY($2::bigint[]) THEN NULL ELSE now() END "
                  "WHERE campaign = $1", campaign, ids)

    raw = await fetchval("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + RECORD_OUTCOMES, ids,
                         ["sent"] * 3, [None] * 3, [""] * 3, [None] * 3, datetime.now(UTC),
                         "campaign")
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    update = next(node for node in _nodes(plan) if node.get("Subplan Name") == "CTE u")
    scans = [node for node in _nodes(update) if node.get("Relation Name") == "marketing_sends"
             and node["Node Type"] != "ModifyTable"]

    assert [node.get("Index Name") for node in scans] == ["marketing_sends_pkey"]
    assert update["Actual Rows"] == 3
    assert await fetchval("SELECT count(*) FROM engagement_events WHERE type = 'email_sent' "
                          "AND (payload->>'send_id')::bigint = ANY($1::bigint[])", ids) == 3
    # Three lookups and three new row versions; the recent-sends index is ~10,000 buffers.
    assert update["Shared Hit Blocks"] + update.get("Shared Read Blocks", 0) < 100
