"""Read models of one requisition's pipeline: the filtered list (keyset pages), the kanban
columns, and time in stage derived from the stage transitions.

Nothing here reads `eeo_self_identifications`: deciders never see self-identification.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.db import fetch

STATUSES = ("active", "rejected", "withdrawn", "hired")
PAGE_SIZE = 50
CARDS_PER_COLUMN = 100


@dataclass(frozen=True)
class Page:
    rows: list[dict]
    next_after: int | None


async def stages(requisition_id: int) -> list[dict]:
    return await fetch("SELECT id, position, name, kind FROM requisition_stages "
                       "WHERE requisition = $1 ORDER BY position", requisition_id)


def _like(text: str) -> str:
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%") \
        .replace("_", "\\_") + "%"


def _filters(requisition_id: int, stage: int | None, status: str,
             q: str) -> tuple[list[str], list]:
    where: list[str] = ["a.requisition = $1"]
    args: list[object] = [requisition_id]
    if stage:
        args.append(stage)
        where.append(f"a.stage = ${len(args)}")
    if status in STATUSES:
        args.append(status)
        where.append(f"a.status = ${len(args)}")
    if q.strip():
        args.append(_like(q.strip()))
        where.append(f"(lower(p.full_name) LIKE ${len(args)} OR p.email LIKE ${len(args)})")
    return where, args


# Current stage since = the newest transition (every stage change writes one).
_ROW = ("SELECT a.id, a.person, a.stage, a.status, a.knockout, a.source, a.applied_at, "
        "p.full_name, p.email, s.name AS stage_name, s.kind AS stage_kind, "
        "COALESCE((SELECT t.at FROM stage_transitions t WHERE t.application = a.id "
        "ORDER BY t.at DESC, t.id DESC LIMIT 1), a.stage_entered_at) AS stage_since "
        "FROM applications a JOIN people p ON p.id = a.person "
        "JOIN requisition_stages s ON s.id = a.stage ")


# Constant SQL only (the list query plus a per-stage row number): no value is spliced in.
_CARDS = ("SELECT * FROM (" + _ROW.replace(  # noqa: S608  # nosec B608
    "SELECT ", "SELECT row_number() OVER (PARTITION BY a.stage ORDER BY a.id) AS rn, ", 1)
    + "WHERE a.requisition = $1 AND a.status = 'active') AS c WHERE rn <= $2 "
    "ORDER BY stage, id")


async def page(requisition_id: int, *, stage: int | None = None, status: str = "",
               q: str = "", after: int = 0, size: int = PAGE_SIZE) -> Page:
    """Oldest application first, keyset on applications.id within the requisition, so a
    deep page costs what the first one costs."""
    where, args = _filters(requisition_id, stage, status, q)
    args += [after, size + 1]
    # `where` holds only constant SQL and $n placeholders; every value is a parameter.
    sql = (_ROW + "WHERE " + " AND ".join(where)
           + f" AND a.id > ${len(args) - 1} ORDER BY a.id LIMIT ${len(args)}")
    rows = await fetch(sql, *args)
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, rows[-1]["id"] if more else None)


async def columns(requisition_id: int, *, now: datetime | None = None,
                  per_column: int = CARDS_PER_COLUMN) -> list[dict]:
    """Kanban columns in stage order: active cards in the open stages (oldest first, at
    most `per_column`), counts only for the decision stages."""
    cards = await fetch(_CARDS, requisition_id, per_column)
    counts = await stage_counts(requisition_id)
    medians = await median_days(requisition_id, now)
    result = []
    for stage in await stages(requisition_id):
        decided = stage["kind"] in ("rejected", "withdrawn", "hired")
        result.append({**stage, "decided": decided, "count": counts.get(stage["id"], 0),
                       "median_days": medians.get(stage["id"]),
                       "cards": [] if decided else
                       [card for card in cards if card["stage"] == stage["id"]]})
    return result


async def stage_counts(requisition_id: int) -> dict[int, int]:
    rows = await fetch("SELECT stage, count(*) AS n FROM applications WHERE requisition = $1 "
                       "GROUP BY stage", requisition_id)
    return {row["stage"]: int(row["n"]) for row in rows}


async def median_days(requisition_id: int, now: datetime | None = None) -> dict[int, float]:
    """Median days spent in each stage, from the transitions: a stay runs from the
    transition into the stage to the application's next transition (or now, if still
    there)."""
    rows = await fetch(
        "WITH stays AS (SELECT t.to_stage AS stage, t.at, COALESCE(lead(t.at) OVER ("
        "PARTITION BY t.application ORDER BY t.at, t.id), COALESCE($2, now())) AS left_at "
        "FROM stage_transitions t JOIN applications a ON a.id = t.application "
        "WHERE a.requisition = $1) SELECT stage, percentile_cont(0.5) WITHIN GROUP "
        "(ORDER BY extract(epoch FROM left_at - at)) / 86400 AS days FROM stays "
        "WHERE stage IS NOT NULL GROUP BY stage", requisition_id, now)
    return {row["stage"]: round(float(row["days"]), 1) for row in rows}


async def reasons(by: str) -> list[tuple[int, str]]:
    rows = await fetch("SELECT id, label FROM rejection_reasons WHERE by = $1 AND is_active "
                       "ORDER BY label", by)
    return [(row["id"], row["label"]) for row in rows]
