"""Engagement scores: the set-based SQL equals the pure definition, the incremental scorer
picks up exactly the people with new events (watermark), and decay lowers scores."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.db import fetch, fetchval
from domain.engagement import scoring
from tests.events_support import person

pytestmark = pytest.mark.usefixtures("clean_state")


async def _event(person_id: int, kind: str, at) -> None:
    await fetch("INSERT INTO engagement_events (person, type, occurred_at, source, payload) "
                "VALUES ($1, $2, $3, 'test', '{}')", person_id, kind, at)


async def _score(person_id: int):
    rows = await fetch("SELECT score, band, last_engaged_at FROM engagement_scores "
                       "WHERE person = $1", person_id)
    return rows[0] if rows else None


async def test_sql_matches_the_definition_and_bands(clock):
    now = clock.now()
    plans = {
        "keen": [("event_attended", 1), ("email_clicked", 2), ("event_registered", 9),
                 ("community_joined", 20), ("applied", 3), ("content_viewed", 0)],
        "lukewarm": [("email_opened", 5), ("content_viewed", 40), ("page_visit", 60)],
        "stale": [("event_attended", 400)],
        "passive": [("email_sent", 1)],  # something we did, not them
    }
    ids = {}
    for name, events in plans.items():
        ids[name] = await person(f"{name}@example.com", name)
        for kind, days in events:
            await _event(ids[name], kind, now - timedelta(days=days))
    await scoring.refresh(list(ids.values()), now=now)
    for name, events in plans.items():
        row = await _score(ids[name])
        expected = scoring.score_of([(k, now - timedelta(days=d)) for k, d in events], now)
        if name == "passive":
            assert row is None  # nothing weighted: no row, read as 0 / cold
            continue
        assert row["score"] == expected, name
        assert row["band"] == scoring.band(expected)
    assert (await _score(ids["keen"]))["band"] == "hot"
    assert (await _score(ids["stale"]))["score"] == 0


async def test_incremental_scorer_follows_the_watermark_and_decay_lowers(clock):
    a, b = await person("a@example.com", "A"), await person("b@example.com", "B")
    await _event(a, "event_attended", clock.now())
    assert await scoring.refresh_changed(now=clock.now()) == 1
    assert await scoring.refresh_changed(now=clock.now()) == 0  # nothing new
    first = (await _score(a))["score"]
    await _event(b, "email_clicked", clock.now())
    assert await scoring.refresh_changed(now=clock.now()) == 1
    assert await fetchval("SELECT count(*) FROM engagement_scores") == 2
    later = clock.now() + timedelta(days=60)
    assert await scoring.refresh_all(now=later) == 2
    assert (await _score(a))["score"] < first


def test_the_formula_is_written_once_for_both_statements():
    """refresh() and refresh_everyone_at_once() must not drift apart: both are built from
    one fragment holding the weighted decayed sum, and the module spells it once."""
    from pathlib import Path

    source = Path(scoring.__file__).read_text()
    assert source.count("power(0.5") == 1
    assert source.count("exp(-raw / $") == 1
    for statement in (scoring._REFRESH, scoring._REFRESH_EVERYONE):
        assert scoring._RAW_AND_LAST in statement
