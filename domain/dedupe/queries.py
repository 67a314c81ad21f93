"""Read models for duplicate review: open hints side by side, name look-alikes, hints and
merges shown on a person's or an application's page.

Phone and LinkedIn hints are stored when someone applies (dedupe.service.suggest_for).
The "name" reason is computed here, when the review page is read: among the
NAME_WINDOW most recently added live people with a profile headline, pairs with the same
headline (case-insensitive) and names rapidfuzz finds alike. It is bounded by that window
(the people_created_id_idx keyset) and by MAX_PAIRS, and a pair that has any hint row
already (open, dismissed or merged) is not listed again as a name look-alike.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from domain.db import fetch
from domain.dedupe import rules

MAX_PAIRS = 100
NAME_WINDOW = 500

_SIDE = ("{p}.id AS {p}_id, {p}.full_name AS {p}_name, {p}.email AS {p}_email, "
         "{p}.phone AS {p}_phone, {p}.linkedin AS {p}_linkedin, {p}.source AS {p}_source, "
         "{p}.created_at AS {p}_created_at")


def _side(row: dict, prefix: str) -> dict:
    return {key: row[f"{prefix}_{key}"]
            for key in ("id", "name", "email", "phone", "linkedin", "source", "created_at")}


def _pair_view(row: dict, reasons: list[str]) -> dict:
    """Older record first: the suggested record to keep, so the first source survives."""
    a, b = _side(row, "a"), _side(row, "b")
    first, second = (a, b) if (a["created_at"], a["id"]) <= (b["created_at"], b["id"]) \
        else (b, a)
    return {"kept": first, "merged": second, "reasons": reasons,
            "reason_labels": [rules.reason_label(r) for r in reasons],
            "found_at": row.get("found_at")}


async def open_pairs(limit: int = MAX_PAIRS) -> list[dict]:
    """Open hints grouped by pair (newest first), both records still live."""
    rows = await fetch(
        "SELECT array_agg(h.reason ORDER BY h.reason) AS reasons, "  # noqa: S608 - constants  # nosec B608
        "max(h.found_at) AS found_at, "
        + _SIDE.format(p="a") + ", " + _SIDE.format(p="b") +
        " FROM duplicate_hints h JOIN people a ON a.id = h.person "
        "JOIN people b ON b.id = h.other WHERE h.status = 'open' "
        "AND a.merged_into IS NULL AND b.merged_into IS NULL "
        "GROUP BY a.id, b.id ORDER BY max(h.found_at) DESC, a.id, b.id LIMIT $1", limit)
    return [_pair_view(row, list(row["reasons"])) for row in rows]


async def name_pairs(limit: int = MAX_PAIRS) -> list[dict]:
    rows = await fetch(
        "SELECT p.id, p.full_name, lower(pr.headline) AS headline FROM "
        "(SELECT id, full_name FROM people WHERE merged_into IS NULL "
        " ORDER BY created_at DESC, id DESC LIMIT $1) p "
        "JOIN profiles pr ON pr.person = p.id WHERE pr.headline <> ''", NAME_WINDOW)
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        groups[row["headline"]].append(row)
    found: list[tuple[int, int]] = []
    for members in groups.values():
        for i, left in enumerate(members):
            for right in members[i + 1:]:
                if rules.similar_names(left["full_name"], right["full_name"]):
                    found.append(rules.pair(left["id"], right["id"]))
    if not found:
        return []
    pairs = await fetch(
        "SELECT " + _SIDE.format(p="a") + ", " + _SIDE.format(p="b") +  # noqa: S608  # nosec B608 # _SIDE is a constant template
        " FROM unnest($1::int[], $2::int[]) AS x(lo, hi) JOIN people a ON a.id = x.lo "
        "JOIN people b ON b.id = x.hi WHERE NOT EXISTS (SELECT 1 FROM duplicate_hints h "
        "WHERE h.person = x.lo AND h.other = x.hi) ORDER BY a.id, b.id LIMIT $3",
        [lo for lo, _ in found], [hi for _, hi in found], limit)
    return [_pair_view(row, ["name"]) for row in pairs]


async def review_list() -> list[dict]:
    return await open_pairs() + await name_pairs()


async def hints_for(person_id: int) -> list[dict]:
    """Open hints naming this person, with the other record (for a hint on their pages)."""
    rows = await fetch(
        "SELECT o.id, o.full_name, o.email, array_agg(h.reason ORDER BY h.reason) AS reasons, "
        # The older record is the one to keep: its source is the first attribution.
        "CASE WHEN (o.created_at, o.id) < (me.created_at, me.id) THEN o.id ELSE me.id END "
        "AS kept_id, CASE WHEN (o.created_at, o.id) < (me.created_at, me.id) THEN me.id "
        "ELSE o.id END AS merged_id FROM people me JOIN duplicate_hints h "
        "ON h.person = me.id OR h.other = me.id JOIN people o ON o.id = CASE WHEN "
        "h.person = me.id THEN h.other ELSE h.person END WHERE me.id = $1 "
        "AND h.status = 'open' AND o.merged_into IS NULL GROUP BY o.id, me.id ORDER BY o.id "
        "LIMIT 10",
        person_id)
    return [dict(row, reasons_text=reasons_text(list(row["reasons"]))) for row in rows]


def reasons_text(reasons: list[str]) -> str:
    return ", ".join(rules.reason_label(r) for r in reasons)


async def merges_for(person_id: int, now: datetime) -> dict:
    """The merge that folded this record into another (if any), and the merges into it
    that can still be undone."""
    into = await fetch(
        "SELECT m.id, m.merged_at, m.merged_by, p.id AS kept_id, p.full_name AS kept_name, "
        "p.email AS kept_email FROM person_merges m JOIN people p ON p.id = m.kept "
        "WHERE m.merged = $1 AND m.status = 'done' ORDER BY m.id DESC LIMIT 1", person_id)
    folded = await fetch(
        "SELECT m.id, m.merged_at, m.merged_by, p.id AS merged_id, p.full_name AS merged_name, "
        "p.email AS merged_email FROM person_merges m JOIN people p ON p.id = m.merged "
        "WHERE m.kept = $1 AND m.status = 'done' ORDER BY m.id DESC LIMIT 20", person_id)
    undoable = [dict(row, undo_until=rules.undo_deadline(row["merged_at"])) for row in folded
                if rules.can_undo(row["merged_at"], now)]
    return {"merged_into": into[0] if into else None, "undoable": undoable}


async def timeline_items(person_id: int) -> list[dict]:
    """Merges into and out of this record, as person-timeline items."""
    rows = await fetch(
        "SELECT m.kept, m.merged, m.status, m.merged_by, m.merged_at, m.undone_by, "
        "m.undone_at, k.full_name AS kept_name, k.email AS kept_email, "
        "d.full_name AS merged_name, d.email AS merged_email FROM person_merges m "
        "JOIN people k ON k.id = m.kept JOIN people d ON d.id = m.merged "
        "WHERE m.kept = $1 OR m.merged = $1 ORDER BY m.id DESC LIMIT 20", person_id)
    items = []
    for row in rows:
        other = (f"{row['merged_name'] or row['merged_email']}" if row["kept"] == person_id
                 else f"{row['kept_name'] or row['kept_email']}")
        title = (f"Merged with {other}" if row["kept"] == person_id
                 else f"Merged into {other}")
        items.append({"kind": "merge", "occurred_at": row["merged_at"], "title": title,
                      "detail": f"by {row['merged_by']}", "status": None})
        if row["undone_at"] is not None:
            items.append({"kind": "merge", "occurred_at": row["undone_at"],
                          "title": f"Merge undone ({other})",
                          "detail": f"by {row['undone_by']}", "status": None})
    return items
