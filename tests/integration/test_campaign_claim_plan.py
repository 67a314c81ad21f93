"""The claim reads only the rows it is given: each id one primary-key lookup, however many
rows are queued. With `id = ANY($1) AND state = 'queued'` the planner could walk the whole
queued-rows partial index instead (seen in B5: hundreds of buffers per claim of three,
growing with the campaign), notably right after a campaign's rows are inserted, before
PostgreSQL has statistics for them."""

import json
from datetime import UTC, datetime

from domain.campaigns.delivery import CLAIM_CAMPAIGN
from domain.db import execute, fetch, fetchval
from tests.campaign_support import approved_campaign, people_with_consent

QUEUED = 5_000


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


async def test_claiming_three_rows_of_thousands_queued_reads_only_those_rows(clean_state):
    people = await people_with_consent(QUEUED, prefix="claimplan")
    campaign = await approved_campaign(people, state="sending")
    await execute("INSERT INTO marketing_sends (campaign, person, batch, state, created_at) "
                  "SELECT $1, u, 1 + (n - 1) / 1000, 'queued', now() "
                  "FROM unnest($2::int[]) WITH ORDINALITY AS t(u, n)", campaign, people)
    ids = [row["id"] for row in await fetch(
        "SELECT id FROM marketing_sends WHERE campaign = $1 ORDER BY id DESC LIMIT 3",
        campaign)]

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
