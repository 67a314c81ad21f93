"""What an event brought: registered -> attended -> joined a community -> applied -> hired.

A funnel: each stage keeps the people of the stage before who also did the next thing
(of the people who came, who joined a community since registering, and so on), so every
number has the names behind it. Applications and hires count only when they came after
the person registered for the event (applying first and attending later is not something
the event brought).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from domain.db import fetch
from domain.errors import NotFound
from domain.events import rules

PEOPLE_SHOWN = 100

Selector = Callable[[dict, list[int]], Awaitable[list[int]]]


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    tracked: bool
    count: int
    people: list[dict]  # id, full_name, email: the first PEOPLE_SHOWN by name
    note: str = ""
    percent: int | None = None  # of the previous tracked stage


async def _registered(event: dict, _previous: list[int]) -> list[int]:
    """Held a seat at some point: holds one now (attended and no-shows included), or has
    a registration or seat offer on their timeline for this event and cancelled since."""
    rows = await fetch(
        "SELECT r.person FROM event_registrations r WHERE r.event = $1 "
        "AND (r.status = ANY($2::varchar[]) OR EXISTS (SELECT 1 FROM engagement_events g "
        "WHERE g.person = r.person AND g.type IN ('event_registered', 'event_offered') "
        "AND g.payload->>'event' = $3))",
        event["id"], list(rules.SEAT_STATUSES), event["slug"])
    return [row["person"] for row in rows]


async def _attended(event: dict, previous: list[int]) -> list[int]:
    rows = await fetch("SELECT person FROM event_registrations WHERE event = $1 "
                       "AND status = 'attended' AND person = ANY($2::int[])",
                       event["id"], previous)
    return [row["person"] for row in rows]


async def _joined_community(event: dict, previous: list[int]) -> list[int]:
    """Confirmed a membership on or after registering: members from before do not count
    as something the event brought."""
    rows = await fetch(
        "SELECT DISTINCT m.person FROM community_memberships m "
        "JOIN event_registrations r ON r.person = m.person AND r.event = $1 "
        "WHERE m.person = ANY($2::int[]) AND m.confirmed_at IS NOT NULL "
        "AND m.confirmed_at >= r.created_at", event["id"], previous)
    return [row["person"] for row in rows]


async def _applied(event: dict, previous: list[int]) -> list[int]:
    rows = await fetch(
        "SELECT DISTINCT a.person FROM applications a "
        "JOIN event_registrations r ON r.person = a.person AND r.event = $1 "
        "WHERE a.person = ANY($2::int[]) AND a.applied_at >= r.created_at",
        event["id"], previous)
    return [row["person"] for row in rows]


async def _hired(event: dict, previous: list[int]) -> list[int]:
    rows = await fetch(
        "SELECT DISTINCT a.person FROM applications a "
        "JOIN event_registrations r ON r.person = a.person AND r.event = $1 "
        "WHERE a.person = ANY($2::int[]) AND a.status = 'hired' "
        "AND a.applied_at >= r.created_at", event["id"], previous)
    return [row["person"] for row in rows]


NOT_TRACKED = "Not tracked yet."

# (key, label, selector or None for a stage whose data does not exist yet)
STAGES: list[tuple[str, str, Selector | None]] = [
    ("registered", "Registered", _registered),
    ("attended", "Attended", _attended),
    ("joined", "Joined a community", _joined_community),
    ("applied", "Applied to a job", _applied),
    ("hired", "Hired", _hired),
]
STAGE_KEYS = [key for key, _, _ in STAGES]


async def funnel(event_id: int) -> list[Stage]:
    event = await _event(event_id)
    stages: list[Stage] = []
    previous: list[int] = []
    for key, label, selector in STAGES:
        if selector is None:
            stages.append(Stage(key, label, False, 0, [], NOT_TRACKED))
            continue
        previous = sorted(set(await selector(event, previous)))
        stages.append(Stage(key, label, True, len(previous), await _people(previous)))
    return [replace(s, percent=p) for s, p in zip(stages, conversion(stages), strict=True)]


async def _event(event_id: int) -> dict:
    rows = await fetch("SELECT id, slug FROM events WHERE id = $1", event_id)
    if not rows:
        raise NotFound("There is no such event.")
    return rows[0]


async def _people(person_ids: list[int]) -> list[dict]:
    if not person_ids:
        return []
    return await fetch("SELECT id, full_name, email FROM people WHERE id = ANY($1::int[]) "
                       "ORDER BY lower(full_name), email, id LIMIT $2",
                       person_ids, PEOPLE_SHOWN)


def conversion(stages: list[Stage]) -> list[int | None]:
    """Percent of the previous tracked stage, per stage (None where it means nothing)."""
    result: list[int | None] = []
    before: Stage | None = None
    for current in stages:
        if not current.tracked or before is None or not before.count:
            result.append(None)
        else:
            result.append(round(100 * current.count / before.count))
        before = current if current.tracked else before
    return result
