"""Reading pools: the list a staff member may see, one pool's members page by page
(keyset on when they were added), and the pools a person is in."""

from __future__ import annotations

from dataclasses import dataclass

from domain.db import fetch
from domain.errors import NotFound
from domain.keyset import decode_cursor, encode_cursor, older_than, split_page
from domain.people import queries as people_queries
from domain.people.tags import tags_of
from domain.pools.rules import stage_label

PAGE_SIZE = 50
REVIEW_TIMELINE = 8

# Visible: shared pools, and private ones only for their owner (`tp.owner = $1`).


@dataclass(frozen=True)
class MembersPage:
    rows: list[dict]
    next_cursor: str | None


async def visible_pools(staff_id: int) -> list[dict]:
    return await fetch(
        "SELECT tp.id, tp.name, tp.kind, tp.visibility, tp.job_function, tp.auto_key, "
        "tp.updated_at, coalesce(s.email, '') AS owner_email, "
        "CASE WHEN tp.kind = 'dynamic' THEN (SELECT s.members FROM pool_snapshots s "
        "  WHERE s.pool = tp.id ORDER BY s.day DESC LIMIT 1) "
        "ELSE (SELECT count(*) FROM pool_members m WHERE m.pool = tp.id) END AS members "
        "FROM talent_pools tp LEFT JOIN staff_users s ON s.id = tp.owner "
        "WHERE (tp.visibility = 'shared' OR tp.owner = $1) "
        "ORDER BY lower(tp.name)", staff_id)


async def api_shared_pools(*, cursor: str | None = None,
                           limit: int = 50) -> tuple[list[dict], str | None]:
    """Shared pools (the REST API's view: nobody's private pools), newest first, with
    their size: the maintained audience for dynamic pools, the members for static ones."""
    args: list = []
    where = ["tp.visibility = 'shared'"]
    after = older_than(cursor, args, "tp.created_at", "tp.id")
    if after:
        where.append(after)
    args.append(limit + 1)
    rows = await fetch(
        "SELECT tp.id, tp.name, tp.kind, tp.job_function, tp.created_at, tp.updated_at, "  # noqa: S608  # nosec B608 # constant fragments, $n values
        "CASE WHEN tp.kind = 'dynamic' THEN (SELECT s.members FROM pool_snapshots s "
        "  WHERE s.pool = tp.id ORDER BY s.day DESC LIMIT 1) "
        "ELSE (SELECT count(*) FROM pool_members m WHERE m.pool = tp.id) END AS members "
        f"FROM talent_pools tp WHERE {' AND '.join(where)} "
        f"ORDER BY tp.created_at DESC, tp.id DESC LIMIT ${len(args)}", *args)
    return split_page(rows, limit, "created_at")


async def pool(pool_id: int, staff_id: int) -> dict:
    """One pool, if this staff member may see it (a private pool of someone else → 404,
    the same answer as a pool that does not exist)."""
    rows = await fetch(
        "SELECT tp.*, coalesce(s.email, '') AS owner_email FROM talent_pools tp "
        "LEFT JOIN staff_users s ON s.id = tp.owner WHERE tp.id = $2 "
        "AND (tp.visibility = 'shared' OR tp.owner = $1)",
        staff_id, pool_id)
    if not rows:
        raise NotFound("No such pool.")
    found = rows[0]
    counts = {row["stage"]: row["n"] for row in await fetch(
        "SELECT stage, count(*) AS n FROM pool_members WHERE pool = $1 GROUP BY stage",
        pool_id)}
    found["stage_counts"] = [(stage, stage_label(stage), counts.get(stage, 0))
                             for stage in found["stages"]]
    found["member_count"] = sum(counts.values())
    return found


async def members(pool_id: int, *, stage: str = "", cursor: str | None = None,
                  limit: int = PAGE_SIZE) -> MembersPage:
    """Newest first. Filters are fixed SQL fragments; values travel as parameters."""
    where: list[str] = ["m.pool = $1"]
    args: list[object] = [pool_id]
    if stage:
        args.append(stage)
        where.append(f"m.stage = ${len(args)}")
    if cursor:
        added_at, member_id = decode_cursor(cursor)
        args += [added_at, member_id]
        where.append(f"(m.added_at, m.id) < (${len(args) - 1}, ${len(args)})")
    args.append(limit + 1)
    sql = (
        "SELECT m.id, m.person, m.stage, m.source, m.added_at, m.added_by, "  # noqa: S608  # nosec B608 # constant filters, $n values
        "coalesce(nullif(p.full_name, ''), p.email) AS name, p.email, "
        "coalesce(pr.headline, '') AS headline "
        "FROM pool_members m JOIN people p ON p.id = m.person "
        "LEFT JOIN profiles pr ON pr.person = m.person "
        f"WHERE {' AND '.join(where)} ORDER BY m.added_at DESC, m.id DESC "
        f"LIMIT ${len(args)}")
    rows = await fetch(sql, *args)
    more = len(rows) > limit
    rows = rows[:limit]
    for row in rows:
        row["stage_label"] = stage_label(row["stage"])
    last = rows[-1] if more else None
    return MembersPage(rows, encode_cursor(last["added_at"], last["id"]) if last else None)


async def pools_of(person_id: int, staff_id: int) -> list[dict]:
    """The pools this person is in that the viewer may see (for the person page)."""
    rows = await fetch(
        "SELECT tp.id, tp.name, m.stage, m.source, m.added_at FROM pool_members m "
        "JOIN talent_pools tp ON tp.id = m.pool WHERE m.person = $2 "
        "AND (tp.visibility = 'shared' OR tp.owner = $1) "
        "ORDER BY m.added_at DESC", staff_id, person_id)
    for row in rows:
        row["stage_label"] = stage_label(row["stage"])
    return rows


async def people_by_email(emails: list[str]) -> dict[str, int]:
    """Normalised address → person id, for the addresses that are in the CRM (a merged
    record answers with the person it was merged into)."""
    rows = await fetch(
        "SELECT p.email, coalesce(p.merged_into, p.id) AS id FROM people p "
        "WHERE p.email = ANY($1::varchar[])", emails)
    return {row["email"]: row["id"] for row in rows}


async def review_next(pool_id: int, stage: str, *, after: str | None = None) -> dict | None:
    """The rapid review queue: the member at `stage` added longest ago, after the cursor
    of the one just reviewed (keyset on (added_at, id), oldest first)."""
    args: list[object] = [pool_id, stage]
    where = "m.pool = $1 AND m.stage = $2"
    if after:
        added_at, member_id = decode_cursor(after)
        args += [added_at, member_id]
        where += " AND (m.added_at, m.id) > ($3, $4)"
    rows = await fetch(
        "SELECT m.id, m.person, m.stage, m.note, m.source, m.added_at, m.added_by, "  # noqa: S608  # nosec B608 # constant filters, $n values
        "coalesce(nullif(p.full_name, ''), p.email) AS name, p.email, "
        "coalesce(pr.headline, '') AS headline, coalesce(pr.skills, '{}') AS skills, "
        "coalesce(pr.city, '') AS city, coalesce(pr.country, '') AS country, "
        "coalesce(es.score, 0) AS score, coalesce(es.band, 'cold') AS band, "
        "es.last_engaged_at, (SELECT max(e.occurred_at) FROM engagement_events e "
        "  WHERE e.person = m.person) AS last_activity, "
        "(SELECT count(*) FROM pool_members x WHERE x.pool = m.pool AND x.stage = m.stage "
        "  AND (x.added_at, x.id) >= (m.added_at, m.id)) AS remaining "
        "FROM pool_members m JOIN people p ON p.id = m.person "
        "LEFT JOIN profiles pr ON pr.person = m.person "
        "LEFT JOIN engagement_scores es ON es.person = m.person "
        f"WHERE {where} ORDER BY m.added_at, m.id LIMIT 1", *args)
    if not rows:
        return None
    member = rows[0]
    member["stage_label"] = stage_label(member["stage"])
    member["cursor"] = encode_cursor(member["added_at"], member["id"])
    return member


async def member(pool_id: int, person_id: int) -> dict:
    rows = await fetch("SELECT id, person, stage, note, added_at FROM pool_members "
                       "WHERE pool = $1 AND person = $2", pool_id, person_id)
    if not rows:
        raise NotFound("That person is not in this pool.")
    return rows[0]


async def review_context(member: dict, pool_id: int, staff_id: int) -> dict:
    """What the reviewer sees beside the member: tags, their other pools the reviewer may
    see, and the latest few items of their timeline (bounded)."""
    person_id = member["person"]
    others = [p for p in await pools_of(person_id, staff_id) if p["id"] != pool_id]
    return {"tags": await tags_of(person_id), "other_pools": others,
            "timeline": await people_queries.timeline(person_id, [], limit=REVIEW_TIMELINE)}
