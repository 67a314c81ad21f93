"""Reading offers for the pages and emails (no writes)."""

from __future__ import annotations

from domain.db import fetch
from domain.errors import NotFound
from domain.offers import rules

_VIEW = (
    "SELECT o.*, a.requisition, a.person, a.status AS application_status, "
    "r.title AS job_title, p.full_name, p.email, s.kind AS stage_kind "
    "FROM offers o JOIN applications a ON a.id = o.application "
    "JOIN requisitions r ON r.id = a.requisition JOIN people p ON p.id = a.person "
    "JOIN requisition_stages s ON s.id = a.stage ")


def _decorated(row: dict) -> dict:
    offer = dict(row)
    offer["salary_text"] = rules.salary_text(row["salary"], row["salary_currency"],
                                             row["salary_period"])
    return offer


async def offer_view(offer_id: int) -> dict:
    rows = await fetch(_VIEW + "WHERE o.id = $1", offer_id)
    if not rows:
        raise NotFound("There is no such offer.")
    return _decorated(rows[0])


async def for_application(application_id: int) -> list[dict]:
    """Newest first: the current offer, then earlier ones (declined, withdrawn…)."""
    rows = await fetch(_VIEW + "WHERE o.application = $1 ORDER BY o.id DESC", application_id)
    return [_decorated(row) for row in rows]


async def current(application_id: int) -> dict | None:
    """The offer still in play (not final), if any: an application has at most one."""
    for offer in await for_application(application_id):
        if offer["status"] not in rules.FINAL:
            return offer
    return None


async def application_of(offer_id: int) -> int:
    rows = await fetch("SELECT application FROM offers WHERE id = $1", offer_id)
    if not rows:
        raise NotFound("There is no such offer.")
    return int(rows[0]["application"])
