"""Read models for the campaign pages: the list (state filter, keyset pagination), one
campaign's progress, and its sends left in doubt."""

from __future__ import annotations

from domain.db import fetch
from domain.errors import Invalid

PAGE_SIZE = 30
IN_DOUBT_PAGE = 200


def _cursor(after: str) -> tuple[str, int] | None:
    """The list cursor "<updated_at iso>|<id>"; None for the first page."""
    if not after:
        return None
    stamp, _, ident = after.rpartition("|")
    if not stamp or not ident.isdigit() or len(after) > 80:
        raise Invalid("That page link is damaged; start again from the first page.")
    return stamp, int(ident)


async def campaigns(*, state: str = "", after: str = "",
                    limit: int = PAGE_SIZE) -> tuple[list[dict], str]:
    """Most recently changed first; returns (rows, cursor of the next page or '')."""
    cursor = _cursor(after)
    rows = await fetch(
        "SELECT id, name, state, purpose, audience_kind, revision, approved_revision, "
        "send_at, created_by, updated_by, updated_at, recipients FROM campaigns "
        "WHERE ($1 = '' OR state = $1) AND ($2::timestamptz IS NULL "
        "OR (updated_at, id) < ($2::timestamptz, $3::int)) "
        "ORDER BY updated_at DESC, id DESC LIMIT $4",
        state, cursor[0] if cursor else None, cursor[1] if cursor else 0, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if more else None
    return rows, (f"{last['updated_at'].isoformat()}|{last['id']}" if last else "")


async def progress(campaign_id: int) -> dict[str, int]:
    """Send rows by state (queued, sending, sent, failed, in_doubt, skipped)."""
    rows = await fetch("SELECT state, count(*)::int AS n FROM marketing_sends "
                       "WHERE campaign = $1 GROUP BY state", campaign_id)
    return {row["state"]: row["n"] for row in rows}


async def in_doubt(campaign_id: int, *, limit: int = IN_DOUBT_PAGE) -> list[dict]:
    return await fetch(
        "SELECT s.id, s.person, s.claimed_at, s.claimed_by, s.error, p.email, "
        "coalesce(nullif(p.full_name, ''), p.email) AS name FROM marketing_sends s "
        "JOIN people p ON p.id = s.person WHERE s.campaign = $1 AND s.state = 'in_doubt' "
        "ORDER BY s.id LIMIT $2", campaign_id, limit)


async def choices(staff_id: int) -> dict[str, list[dict]]:
    """What the campaign form offers: templates, segments and pools (shared ones and the
    staff member's own), communities, events, jobs."""
    return {
        "templates": await fetch("SELECT id, name, purpose FROM marketing_templates "
                                 "WHERE archived_at IS NULL ORDER BY lower(name)"),
        "segments": await fetch("SELECT id, name FROM segments WHERE visibility = 'shared' "
                                "OR owner = $1 ORDER BY lower(name)", staff_id),
        "pools": await fetch("SELECT id, name, kind FROM talent_pools WHERE visibility = "
                             "'shared' OR owner = $1 ORDER BY lower(name)", staff_id),
        "communities": await fetch("SELECT slug, name FROM talent_communities "
                                   "ORDER BY lower(name)"),
        "events": await fetch("SELECT id, slug, title, starts_at FROM events "
                              "ORDER BY starts_at DESC LIMIT 200"),
        "requisitions": await fetch("SELECT id, title FROM requisitions "
                                    "WHERE status IN ('open', 'on_hold', 'draft') "
                                    "ORDER BY lower(title) LIMIT 200"),
    }


async def audience_label(campaign: dict) -> str:
    """Who the campaign goes to, in words ("Segment “Berlin Python” ", …)."""
    kind, ref = campaign["audience_kind"], campaign["audience_ref"]
    if kind == "csv":
        count = await fetch("SELECT count(*)::int AS n FROM campaign_csv_people "
                            "WHERE campaign = $1", campaign["id"])
        return f"CSV file: {count[0]['n']} matched people"
    if kind == "community":
        rows = await fetch("SELECT name FROM talent_communities WHERE slug = $1", ref)
        return f"Members of the community “{rows[0]['name'] if rows else ref}”"
    lookups = {"segment": ("SELECT name FROM segments WHERE id = $1", "Segment"),
               "pool": ("SELECT name FROM talent_pools WHERE id = $1", "Pool"),
               "event": ("SELECT title AS name FROM events WHERE id = $1", "Event")}
    if kind not in lookups or not ref.isdigit() or int(ref) >= 2**31:
        return "Not chosen yet"
    sql, label = lookups[kind]
    rows = await fetch(sql, int(ref))
    if not rows:
        return f"{label} (deleted)"
    suffix = ""
    if kind == "event":
        suffix = {"": " — registered, attended or no-show", "registered": " — registered",
                  "attended": " — attended", "no_show": " — no-shows"}.get(
                      campaign["event_filter"], "")
    return f"{label} “{rows[0]['name']}”{suffix}"


async def rejection(campaign_id: int) -> dict | None:
    """The approver's reason when the campaign's latest step was being sent back."""
    rows = await fetch(
        "SELECT action, actor, occurred_at, detail->>'reason' AS reason FROM audit_entries "
        "WHERE subject = $1 AND action IN ('campaign.submitted', 'campaign.rejected', "
        "'campaign.updated', 'campaign.approved', 'campaign.audience_uploaded') "
        "ORDER BY id DESC LIMIT 1", f"campaign:{campaign_id}")
    return rows[0] if rows and rows[0]["action"] == "campaign.rejected" else None
