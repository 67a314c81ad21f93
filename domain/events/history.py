"""A person's attendance record across events: how often they held a seat and stayed away.

A no-show is a registration that was still `registered` when its event's attendance was
closed (domain.events.attendance.close_attendance); cancelling in time is not one.
"""

from __future__ import annotations

from domain.db import fetch, fetchval

HABITUAL_THRESHOLD = 2


async def no_show_counts(person_ids: list[int]) -> dict[int, int]:
    """No-shows per person, over every event; every id asked about is in the answer."""
    ids = sorted({int(pid) for pid in person_ids})
    if not ids:
        return {}
    rows = await fetch("SELECT person, count(*) AS n FROM event_registrations "
                       "WHERE person = ANY($1::int[]) AND status = 'no_show' GROUP BY person",
                       ids)
    counts = dict.fromkeys(ids, 0)
    counts.update({row["person"]: int(row["n"]) for row in rows})
    return counts


async def is_habitual_no_show(person_id: int, threshold: int = HABITUAL_THRESHOLD) -> bool:
    count = await fetchval("SELECT count(*) FROM event_registrations "
                           "WHERE person = $1 AND status = 'no_show'", person_id)
    return int(count or 0) >= threshold
