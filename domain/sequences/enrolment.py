"""Who enters a sequence: manual and bulk enrolment (people, a segment, a pool) and the
automatic entry rules (joined a community, added to a pool, tagged, rejected as a
silver medalist, went cold), all set-based through one guarded INSERT (sql.ENROL)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from domain.db import fetch, fetchval, transaction
from domain.errors import Conflict, NotFound
from domain.segments.queries import BASE_FROM, compiled_sql
from domain.sequences import rules, sql

# How many new events (or tags) one scan reads; the next minute's scan continues.
SCAN_LIMIT = 50_000
_ENTRY_EVENTS = ("community_joined", "pool_added")


async def enrol(sequence_id: int, person_ids: list[int], *, reason: str, now: datetime,
                automatic: bool = False) -> list[int]:
    """Enrol whoever of `person_ids` passes the guards; returns their person ids."""
    if not person_ids:
        return []
    steps = await fetchval(
        "SELECT v.steps FROM sequences s JOIN sequence_versions v ON v.sequence = s.id "
        "AND v.version = s.live_version WHERE s.id = $1 AND s.state = 'live'", sequence_id)
    if steps is None:
        return []
    start = rules.start_key(json.loads(steps) if isinstance(steps, str) else steps)
    rows = await fetch(sql.ENROL, sorted(set(person_ids)), sequence_id, start, now,
                       reason[:120], automatic)
    return [row["person"] for row in rows]


async def people_of_segment(segment_id: int, *, now: datetime) -> list[int]:
    definition = await fetchval("SELECT definition FROM segments WHERE id = $1", segment_id)
    if definition is None:
        raise NotFound("There is no such segment.")
    where, args = await compiled_sql(
        json.loads(definition) if isinstance(definition, str) else definition, now=now)
    rows = await fetch(f"SELECT p.id {BASE_FROM} WHERE {where}", *args)  # nosec B608 # the segment compiler's WHERE, $n params
    return [row["id"] for row in rows]


async def people_of_pool(pool_id: int) -> list[int]:
    rows = await fetch("SELECT person FROM pool_members WHERE pool = $1", pool_id)
    return [row["person"] for row in rows]


async def _live_rules() -> list[dict[str, Any]]:
    """Every entry rule of the live versions of live sequences, with the sequence id."""
    rows = await fetch(
        "SELECT s.id, v.entry_rules FROM sequences s JOIN sequence_versions v "
        "ON v.sequence = s.id AND v.version = s.live_version WHERE s.state = 'live'")
    found = []
    for row in rows:
        entries = row["entry_rules"]
        for rule in json.loads(entries) if isinstance(entries, str) else entries:
            found.append({**rule, "sequence": row["id"]})
    return found


async def on_silver_medalist(person_id: int, *, job_function: str, at: datetime) -> int:
    """Called by domain.pipeline.silver inside the rejecting transaction: enrol the
    person in every live sequence entered by rejection as a silver medalist (for any job
    function, or this one) that their consent allows. Returns the enrolments made."""
    made = 0
    for rule in await _live_rules():
        if rule.get("kind") == "silver_medalist" and rule.get("job_function") in ("", job_function):
            made += len(await enrol(rule["sequence"], [person_id], reason="silver medalist",
                                    now=at, automatic=True))
    return made


async def _advance_watermark(name: str, table: str, now: datetime) -> tuple[int, int]:
    """(last id read, newest id to read now) for this scanner; locks its row. The first
    scan starts from the newest row: entry rules react to what happens from then on, not
    to years of history."""
    last = await fetchval(
        "INSERT INTO scoring_watermarks (name, last_event_id, updated_at) "  # noqa: S608  # nosec B608 # one of two fixed table names
        f"SELECT $1, coalesce(max(id), 0), $2 FROM {table} "
        "ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING last_event_id",
        name, now)
    top = await fetchval(
        f"SELECT max(id) FROM (SELECT id FROM {table} WHERE id > $1 "  # noqa: S608  # nosec B608 # table is one of two fixed names
        "ORDER BY id LIMIT $2) recent", last, SCAN_LIMIT)
    return int(last), int(top or last)


async def _store_watermark(name: str, top: int, now: datetime) -> None:
    await fetch("UPDATE scoring_watermarks SET last_event_id = $2, updated_at = $3 "
                "WHERE name = $1", name, top, now)


async def scan_entries(*, now: datetime) -> int:
    """Enrol the people whose new events, tags or cold band match an entry rule.
    One transaction; the watermarks make a second run read nothing twice."""
    made = 0
    async with transaction():
        live = await _live_rules()
        made += await _scan_events(live, now)
        made += await _scan_tags(live, now)
        made += await _scan_cold(live, now)
    return made


async def _scan_events(live: list[dict], now: datetime) -> int:
    last, top = await _advance_watermark("sequences:events", "engagement_events", now)
    made = 0
    for rule in live:
        if rule.get("kind") == "community_joined":
            where = "type = 'community_joined' AND payload->>'community' = $3"
            value = rule.get("community", "")
        elif rule.get("kind") == "pool_added":
            where, value = "type = 'pool_added' AND source = $3", f"pool:{rule.get('pool_id')}"
        else:
            continue
        rows = await fetch(
            "SELECT DISTINCT person FROM engagement_events WHERE id > $1 AND id <= $2 AND "  # noqa: S608  # nosec B608 # one of two fixed conditions
            + where, last, top, value)
        made += len(await enrol(rule["sequence"], [r["person"] for r in rows],
                                reason=rules.describe_entry(rule), now=now, automatic=True))
    await _store_watermark("sequences:events", top, now)
    return made


async def _scan_tags(live: list[dict], now: datetime) -> int:
    last, top = await _advance_watermark("sequences:tags", "person_tags", now)
    made = 0
    for rule in live:
        if rule.get("kind") != "tagged":
            continue
        rows = await fetch("SELECT DISTINCT person FROM person_tags WHERE id > $1 AND id <= $2 "
                           "AND lower(tag) = lower($3)", last, top, rule.get("tag", ""))
        made += len(await enrol(rule["sequence"], [r["person"] for r in rows],
                                reason=rules.describe_entry(rule), now=now, automatic=True))
    await _store_watermark("sequences:tags", top, now)
    return made


async def _scan_cold(live: list[dict], now: datetime) -> int:
    """People scored cold since the last scan who had engaged before: their band became
    cold (automatic entry skips anyone ever enrolled, so a rescore does not re-enrol)."""
    cold = [rule for rule in live if rule.get("kind") == "went_cold"]
    since = await fetchval(
        "INSERT INTO scoring_watermarks (name, last_event_id, updated_at) VALUES "
        "('sequences:cold', 0, $1) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name "
        "RETURNING updated_at", now)
    made = 0
    if cold:
        rows = await fetch(
            "SELECT person FROM engagement_scores WHERE band = 'cold' AND computed_at >= $1 "
            "AND last_engaged_at IS NOT NULL", since)
        people = [r["person"] for r in rows]
        for rule in cold:
            made += len(await enrol(rule["sequence"], people, reason="went cold", now=now,
                                    automatic=True))
    await fetch("UPDATE scoring_watermarks SET updated_at = $1 WHERE name = 'sequences:cold'",
                now)
    return made


async def enrol_manually(sequence_id: int, *, source: str, ref: str, by: str,
                         now: datetime) -> tuple[int, int]:
    """Enrol a person, a segment or a pool by hand; returns (enrolled, skipped)."""
    if not ref.isdigit():
        raise Conflict("Choose whom to enrol.")
    if source == "segment":
        people = await people_of_segment(int(ref), now=now)
    elif source == "pool":
        people = await people_of_pool(int(ref))
    else:
        people = [int(ref)]
    enrolled = await enrol(sequence_id, people, reason=f"manual ({source}) by {by}", now=now)
    return len(enrolled), len(set(people)) - len(enrolled)
