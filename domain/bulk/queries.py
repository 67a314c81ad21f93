"""Reading for bulk actions: who a target means now (counted, or in keyset batches of
person ids), the rows of an export, and one bulk action for the staff member who may
see it (its creator, or an admin)."""

from __future__ import annotations

from datetime import datetime

from domain.db import fetch, fetchval
from domain.errors import NotFound
from domain.segments import queries as segments
from domain.segments.compiler import BASE_FROM, BASE_WHERE


async def _where(target: dict, now: datetime) -> tuple[str, str, tuple]:
    """(FROM, WHERE, args) selecting `p.id` for a target; the id list is always a filter,
    never a source, so an id that is not a live person is simply not acted on."""
    if "person_ids" in target:
        return ("FROM people p", f"{BASE_WHERE} AND p.id = ANY($1::int[])",
                ([int(i) for i in target["person_ids"]],))
    if "segment" in target:
        where, args = await segments.compiled_sql(target["segment"], now=now)
        return BASE_FROM, where, tuple(args)
    pool_args: tuple = (int(target["pool"]),)
    where = f"{BASE_WHERE} AND m.pool = $1"
    if target.get("stage"):
        pool_args = (*pool_args, str(target["stage"]))
        where += " AND m.stage = $2"
    return "FROM pool_members m JOIN people p ON p.id = m.person", where, pool_args


async def count(target: dict, *, now: datetime) -> int:
    source, where, args = await _where(target, now)
    return int(await fetchval(f"SELECT count(*) {source} WHERE {where}", *args))


async def batch(target: dict, *, now: datetime, after: int, limit: int) -> list[int]:
    """The next `limit` matching person ids above `after`, ascending (keyset)."""
    source, where, args = await _where(target, now)
    args = (*args, after, limit)
    rows = await fetch(
        f"SELECT p.id {source} WHERE {where} AND p.id > ${len(args) - 1} "
        f"ORDER BY p.id LIMIT ${len(args)}", *args)
    return [row["id"] for row in rows]


async def export_rows(person_ids: list[int], *, staff_id: int) -> list[dict]:
    """One row per person for the CSV: pools are the ones the exporter may see."""
    return await fetch(
        "SELECT coalesce(nullif(p.full_name, ''), '') AS name, p.email, "
        "coalesce(pr.country, '') AS country, coalesce(pr.headline, '') AS headline, "
        "array_to_string(coalesce(pr.skills, '{}'), ', ') AS skills, "
        "coalesce(es.score, 0) AS score, coalesce(es.band, 'cold') AS band, "
        "coalesce((SELECT string_agg(tp.name, ', ' ORDER BY tp.name) FROM pool_members m "
        "  JOIN talent_pools tp ON tp.id = m.pool WHERE m.person = p.id "
        "  AND (tp.visibility = 'shared' OR tp.owner = $2)), '') AS pools, "
        "coalesce((SELECT string_agg(t.tag, ', ' ORDER BY lower(t.tag)) FROM person_tags t "
        "  WHERE t.person = p.id), '') AS tags "
        "FROM people p LEFT JOIN profiles pr ON pr.person = p.id "
        "LEFT JOIN engagement_scores es ON es.person = p.id "
        "WHERE p.id = ANY($1::int[]) ORDER BY p.id", person_ids, staff_id)


async def invitation_checks(person_ids: list[int], *, purpose: str, scope: str,
                            event_id: int, at: datetime) -> list[dict]:
    """Per person: email, and `problem` ('' when they may be invited) — the same rules as
    consent.can_email (latest decisive entry given and not past its policy's expiry, no
    pause, email among the channels) for a whole batch in one statement, plus whether
    they are already registered. Suppression is checked by the caller (keyed hash)."""
    return await fetch(
        "WITH latest AS (SELECT DISTINCT ON (c.person) c.person, c.action, c.occurred_at "
        "  FROM consent_records c WHERE c.person = ANY($1::int[]) AND c.purpose = $2 "
        "  AND c.scope = $3 AND c.action IN ('given', 'withdrawn', 'expired') "
        "  AND c.occurred_at <= $4 ORDER BY c.person, c.occurred_at DESC, c.id DESC) "
        "SELECT p.id, p.email, CASE "
        "  WHEN EXISTS (SELECT 1 FROM event_registrations r WHERE r.event = $5 "
        "               AND r.person = p.id) THEN 'registered' "
        "  WHEN l.action IS DISTINCT FROM 'given' THEN 'no_consent' "
        "  WHEN pol.expiry_months IS NOT NULL AND "
        "       l.occurred_at + make_interval(months => pol.expiry_months) <= $4 "
        "       THEN 'no_consent' "
        "  WHEN cp.paused_until IS NOT NULL AND cp.paused_until > $4 THEN 'paused' "
        "  WHEN cardinality(cp.channels) > 0 AND NOT ('email' = ANY(cp.channels)) "
        "       THEN 'no_email_channel' "
        "  ELSE '' END AS problem "
        "FROM people p LEFT JOIN latest l ON l.person = p.id "
        "LEFT JOIN contact_preferences cp ON cp.person = p.id "
        "LEFT JOIN consent_policies pol ON pol.purpose = $2 "
        "WHERE p.id = ANY($1::int[]) ORDER BY p.id",
        person_ids, purpose, scope, at, event_id)


async def action(bulk_id: int, *, staff_email: str, is_admin: bool) -> dict:
    """One bulk action for its creator or an admin; anyone else gets the same 404 as for
    an id that does not exist."""
    rows = await fetch("SELECT * FROM bulk_actions WHERE id = $1", bulk_id)
    if not rows or not (is_admin or rows[0]["created_by"] == staff_email):
        raise NotFound("No such bulk action.")
    return rows[0]


async def invitable_events(now: datetime) -> list[dict]:
    """Published events that have not started yet."""
    return await fetch("SELECT id, slug, title, starts_at FROM events "
                       "WHERE status = 'published' AND starts_at > $1 "
                       "ORDER BY starts_at, id LIMIT 200", now)
