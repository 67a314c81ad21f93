"""The engagement score: a weighted, time-decayed sum of what a person did, 0-100.

Each engagement event the person chose to do carries a weight (attending outweighs
registering, a click outweighs an open; things we did to them — an email sent — weigh
nothing) and halves every HALF_LIFE_DAYS. The raw sum is squashed to 0-100 so that a
handful of recent actions already reads as "warm": score = 100 * (1 - exp(-raw / SCALE)).

Scores live in `engagement_scores` as typed, indexed columns for segments. They are kept
fresh set-based, never per request: `refresh_changed` (every few minutes) rescores the
people with events past a watermark; `refresh_all` (nightly) rescores everyone in keyset
batches, which both applies the decay and catches an event whose id was committed after a
higher one the watermark had passed.
"""

from __future__ import annotations

import math
from datetime import datetime

from domain.db import execute, fetch, fetchval, transaction

HALF_LIFE_DAYS = 30.0
SCALE = 25.0
BANDS = (("hot", 60), ("warm", 25), ("cold", 0))
BAND_LABELS = {"hot": "Hot", "warm": "Warm", "cold": "Cold"}
WEIGHTS: dict[str, float] = {
    "email_opened": 1, "email_clicked": 3, "replied": 6,
    "event_registered": 4, "event_attended": 8, "event_waitlisted": 2,
    "content_viewed": 2, "content_downloaded": 3, "page_visit": 1,
    "community_join_requested": 2, "community_joined": 5,
    "applied": 6, "application_submitted": 6,
    "profile_updated": 3, "cv_uploaded": 3,
    "offer_accepted": 5,
}
BATCH = 5_000
CHANGED_EVENTS_PER_RUN = 200_000


def band(score: int) -> str:
    return next(name for name, floor in BANDS if score >= floor)


def score_of(events: list[tuple[str, datetime]], now: datetime) -> int:
    """The pure definition (tests compare the SQL with it)."""
    raw = sum(WEIGHTS.get(kind, 0) * 0.5 ** (max((now - at).total_seconds(), 0) / 86400
                                             / HALF_LIFE_DAYS)
              for kind, at in events if at <= now)
    return round(100 * (1 - math.exp(-raw / SCALE)))


# The score in SQL, written once for both statements below. Parameters, shared by both:
# $1 event types, $2 their weights, $3 now, $4 HALF_LIFE_DAYS, $5 SCALE, $6 and $7 the
# hot and warm floors; refresh() adds $8, the people. The decay is float8 throughout:
# extract(epoch) is numeric since PostgreSQL 14, and numeric power() is ~18x slower.
_WEIGHTS = "w(type, weight) AS (SELECT * FROM unnest($1::varchar[], $2::float8[]))"
_RAW_AND_LAST = """sum(w.weight * power(0.5::float8,
            extract(epoch FROM ($3 - e.occurred_at))::float8 / 86400.0 / $4)) AS raw,
        max(e.occurred_at) AS last
    FROM engagement_events e JOIN w ON w.type = e.type
    WHERE e.occurred_at <= $3"""
# People who never did anything weighted get no row (segments read a missing row as 0).
_SCORE_AND_UPSERT = """
scored AS (
    SELECT person, round(100 * (1 - exp(-raw / $5)))::smallint AS score, last FROM agg
)
INSERT INTO engagement_scores (person, score, band, last_engaged_at, computed_at)
SELECT person, score,
       CASE WHEN score >= $6 THEN 'hot' WHEN score >= $7 THEN 'warm' ELSE 'cold' END,
       last, $3
FROM scored
ON CONFLICT (person) DO UPDATE SET score = EXCLUDED.score, band = EXCLUDED.band,
    last_engaged_at = EXCLUDED.last_engaged_at, computed_at = EXCLUDED.computed_at
"""


def _scoring_statement(agg: str) -> str:
    """WITH weights, `agg` (person, raw, last), then score, band and upsert."""
    return f"WITH {_WEIGHTS},\nagg AS ({agg}\n),{_SCORE_AND_UPSERT}"


def _parameters(now: datetime) -> list[object]:
    types, weights = zip(*WEIGHTS.items(), strict=True)
    return [list(types), [float(w) for w in weights], now, HALF_LIFE_DAYS, SCALE,
            dict(BANDS)["hot"], dict(BANDS)["warm"]]


# A batch of people: an index probe per person on (person, occurred_at).
_REFRESH = _scoring_statement(f"""
    SELECT p.id AS person, s.raw, s.last
    FROM unnest($8::int[]) AS p(id)
    JOIN LATERAL (SELECT {_RAW_AND_LAST} AND e.person = p.id
    ) s ON s.last IS NOT NULL""")  # noqa: S608 (module constants only, no input)  # nosec B608

# Everyone at once: one hash aggregate over every event instead of a probe per person.
_REFRESH_EVERYONE = _scoring_statement(f"""
    SELECT e.person, {_RAW_AND_LAST}
    GROUP BY e.person""")


async def refresh(person_ids: list[int], *, now: datetime) -> None:
    if not person_ids:
        return
    await fetch(_REFRESH, *_parameters(now), sorted(set(person_ids)))


async def refresh_changed(*, now: datetime) -> int:
    """Rescore the people with events past the watermark; returns how many people."""
    async with transaction():
        last = await fetchval(
            "INSERT INTO scoring_watermarks (name, last_event_id, updated_at) "
            "VALUES ('engagement', 0, $1) ON CONFLICT (name) DO UPDATE "
            "SET name = EXCLUDED.name RETURNING last_event_id", now)
        # The row lock taken by the upsert serialises two scorers.
        rows = await fetch(
            "SELECT max(id) AS top, array_agg(DISTINCT person) AS people FROM ("
            "  SELECT id, person FROM engagement_events WHERE id > $1 ORDER BY id LIMIT $2"
            ") recent", last, CHANGED_EVENTS_PER_RUN)
        top, people = rows[0]["top"], rows[0]["people"] or []
        if top is None:
            return 0
        for start in range(0, len(people), BATCH):
            await refresh(people[start:start + BATCH], now=now)
        await fetch("UPDATE scoring_watermarks SET last_event_id = $1, updated_at = $2 "
                    "WHERE name = 'engagement'", top, now)
        return len(people)


async def refresh_all(*, now: datetime) -> int:
    """Everyone, in keyset batches of BATCH people, one transaction each."""
    after, total = 0, 0
    while True:
        ids = [row["id"] for row in await fetch(
            "SELECT id FROM people WHERE id > $1 ORDER BY id LIMIT $2", after, BATCH)]
        if not ids:
            return total
        await refresh(ids, now=now)
        after, total = ids[-1], total + len(ids)


async def refresh_everyone_at_once(*, now: datetime) -> int:
    """refresh() for everyone in one statement (same rows); returns the rows written.

    For bulk loads and a quiet nightly window: it holds one transaction over the whole
    events table, so the regular job stays refresh_all's short batches."""
    async with transaction():
        await execute("SET LOCAL work_mem = '256MB'")  # the aggregate stays in memory
        status = await execute(_REFRESH_EVERYONE, *_parameters(now))
    return int(status.split()[-1])
