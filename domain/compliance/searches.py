"""Candidate searches run "for requisition X" (OFCCP's Internet Applicant rule: when a
search of a database decides who is considered for a position, the criteria and the date
must be kept). The candidate search page asks which requisition a search is for; the
first page of each such search is recorded here and listed on the requisition."""

from __future__ import annotations

import json
from datetime import datetime

from domain.db import fetch

MAX_LISTED = 100


async def record(requisition_id: int, *, by: str, criteria: dict[str, str],
                 result_count: int, more: bool, at: datetime) -> None:
    """`result_count` is what the first page showed; `more` says whether there were
    further pages (counting every match of a text search over a million people would
    cost more than the search itself)."""
    await fetch(
        "INSERT INTO requisition_searches (requisition, searched_by, criteria, result_count, "
        "searched_at) VALUES ($1, $2, $3::jsonb, $4, $5)",
        requisition_id, by, json.dumps({**criteria, "more_pages": more}), result_count, at)


async def for_requisition(requisition_id: int) -> list[dict]:
    rows = await fetch(
        "SELECT searched_by, criteria, result_count, searched_at FROM requisition_searches "
        "WHERE requisition = $1 ORDER BY searched_at DESC, id DESC LIMIT $2",
        requisition_id, MAX_LISTED)
    for row in rows:
        criteria = row["criteria"]
        if isinstance(criteria, str):
            criteria = json.loads(criteria)
        row["more_pages"] = bool(criteria.pop("more_pages", False))
        row["criteria"] = criteria
    return rows


async def requisition_choices() -> list[tuple[int, str]]:
    """The requisitions a search can be run for: open or on hold."""
    rows = await fetch("SELECT id, title FROM requisitions WHERE status IN ('open', 'on_hold') "
                       "ORDER BY lower(title), id")
    return [(row["id"], row["title"]) for row in rows]
