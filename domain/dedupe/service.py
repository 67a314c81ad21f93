"""Finding likely duplicates and deciding about them.

Hints are only suggestions: nothing here merges. A hint is stored once per unordered pair
and reason (smaller id first); a dismissed or merged pair is never suggested again,
because the insert meets the unique (person, other, reason) key and does nothing.
"""

from __future__ import annotations

from datetime import datetime

from domain.audit import service as audit
from domain.db import fetch, transaction
from domain.dedupe import rules
from domain.errors import Invalid, NotFound

MAX_HINTS_PER_PERSON = 20


async def suggest_for(person_id: int, now: datetime) -> int:
    """Open hints between this person and other live records with the same phone or
    LinkedIn URL (both indexed); returns how many new hints were written."""
    rows = await fetch(
        "WITH me AS (SELECT id, phone, linkedin FROM people WHERE id = $1), "
        "found AS ("
        " (SELECT p.id, 'phone' AS reason FROM people p, me WHERE me.phone <> '' "
        "  AND p.phone = me.phone AND p.id <> me.id AND p.merged_into IS NULL LIMIT $3) "
        " UNION ALL "
        " (SELECT p.id, 'linkedin' FROM people p, me WHERE me.linkedin <> '' "
        "  AND p.linkedin = me.linkedin AND p.id <> me.id AND p.merged_into IS NULL LIMIT $3)) "
        "INSERT INTO duplicate_hints (person, other, reason, status, found_at, decided_by) "
        "SELECT least($1, f.id), greatest($1, f.id), f.reason, 'open', $2, '' FROM found f "
        "ON CONFLICT (person, other, reason) DO NOTHING RETURNING id",
        person_id, now, MAX_HINTS_PER_PERSON)
    return len(rows)


async def dismiss(person_id: int, other_id: int, *, reason: str, by: str,
                  now: datetime) -> None:
    """"Not the same person": every open hint of the pair is dismissed; a pair found by
    name only gets a dismissed row so that it is not listed again."""
    if person_id == other_id:
        raise Invalid("Choose two different people.")
    if reason not in rules.REASONS:
        raise Invalid("Unknown reason.")
    low, high = rules.pair(person_id, other_id)
    async with transaction():
        exists = await fetch("SELECT count(*) AS n FROM people WHERE id = ANY($1::int[])",
                             [low, high])
        if exists[0]["n"] != 2:
            raise NotFound("There is no such person.")
        await fetch(
            "INSERT INTO duplicate_hints (person, other, reason, status, found_at, "
            "decided_by, decided_at) VALUES ($1, $2, $3, 'dismissed', $5, $4, $5) "
            "ON CONFLICT (person, other, reason) DO NOTHING", low, high, reason, by, now)
        updated = await fetch(
            "UPDATE duplicate_hints SET status = 'dismissed', decided_by = $3, "
            "decided_at = $4 WHERE person = $1 AND other = $2 AND status = 'open' "
            "RETURNING id", low, high, by, now)
        await audit.record(action="person.duplicate_dismissed", at=now, actor=by,
                           subject=f"person:{low}",
                           detail={"other": high, "hints": [r["id"] for r in updated]})
