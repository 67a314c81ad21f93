"""A merge and its undo rescore the two people in the same transaction: the kept record
shows the score of every event it now holds at once, not after the next scoring run."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.db import fetch
from domain.dedupe import merge as merging
from domain.engagement import scoring
from tests.events_support import person

pytestmark = pytest.mark.usefixtures("clean_state")

BY = "rec@corp.test"


async def _events(person_id: int, kinds: list[tuple[str, int]], now) -> list:
    for kind, days in kinds:
        await fetch("INSERT INTO engagement_events (person, type, occurred_at, source, payload) "
                    "VALUES ($1, $2, $3, 'test', '{}')", person_id, kind,
                    now - timedelta(days=days))
    return [(kind, now - timedelta(days=days)) for kind, days in kinds]


async def _score(person_id: int) -> int | None:
    rows = await fetch("SELECT score FROM engagement_scores WHERE person = $1", person_id)
    return rows[0]["score"] if rows else None


async def test_merge_and_undo_rescore_both_people_at_once(clock):
    now = clock.now()
    kept, merged = await person("ann@example.com"), await person("ann2@example.com")
    own = await _events(kept, [("email_opened", 3)], now)
    other = await _events(merged, [("event_attended", 1), ("applied", 2)], now)
    await scoring.refresh([kept, merged], now=now)  # as the scoring run left them
    before = await _score(kept)
    assert before == scoring.score_of(own, now)

    merge_id = await merging.merge(kept, merged, by=BY, now=now)
    combined = scoring.score_of(own + other, now)
    assert combined > before
    assert await _score(kept) == combined

    await merging.undo(merge_id, by=BY, now=now)
    assert await _score(kept) == scoring.score_of(own, now)
    assert await _score(merged) == scoring.score_of(other, now)


async def test_a_kept_record_without_a_score_gets_one_from_the_merge(clock):
    now = clock.now()
    kept, merged = await person("ann@example.com"), await person("ann2@example.com")
    other = await _events(merged, [("community_joined", 1)], now)
    await scoring.refresh([kept, merged], now=now)
    assert await _score(kept) is None

    merge_id = await merging.merge(kept, merged, by=BY, now=now)
    assert await _score(kept) == scoring.score_of(other, now)
    await merging.undo(merge_id, by=BY, now=now)
    assert await _score(kept) is None
    assert await _score(merged) == scoring.score_of(other, now)
