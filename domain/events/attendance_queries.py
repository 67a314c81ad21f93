"""Read models for the check-in and attendance pages."""

from __future__ import annotations

from domain.db import fetch
from domain.errors import NotFound
from domain.events import attendance_rules, history, rules

# Who checked someone in is stored as the staff email (the same actor key as the audit
# log); pages show the name that email has now.
_VIEW = (
    "SELECT r.id, r.event, r.person, r.status, r.source, r.checked_in_at, r.checked_in_by, "
    "r.joined_at, r.attended_minutes, r.created_at, p.full_name, p.email, "
    "COALESCE(NULLIF(s.full_name, ''), r.checked_in_by) AS checked_in_by_name, "
    "e.slug AS event_slug, e.title AS event_title, e.time_zone, e.status AS event_status, "
    "e.attendance_closed_at FROM event_registrations r "
    "JOIN people p ON p.id = r.person JOIN events e ON e.id = r.event "
    "LEFT JOIN staff_users s ON r.checked_in_by <> '' AND s.email = r.checked_in_by "
)
# Who has a seat (or had one) first, then the others; alphabetical inside each group.
_ORDER = ("ORDER BY CASE r.status WHEN 'registered' THEN 0 WHEN 'attended' THEN 1 "
          "WHEN 'no_show' THEN 2 WHEN 'offered' THEN 3 WHEN 'waitlisted' THEN 4 ELSE 5 END, "
          "lower(p.full_name), p.email, r.id")


def _local(rows: list[dict]) -> list[dict]:
    """Check-in times as the wall clock at the venue (HH:MM), for the door staff."""
    for row in rows:
        at = row["checked_in_at"]
        row["checked_in_clock"] = attendance_rules.local_clock(at, row["time_zone"]) if at \
            else ""
    return rows


async def registration(registration_id: int) -> dict:
    rows = _local(await fetch(_VIEW + "WHERE r.id = $1", registration_id))
    if not rows:
        raise NotFound("There is no such registration.")
    return rows[0]


async def registration_in_event(event_id: int, registration_id: int) -> dict:
    """The registration when it belongs to this event: ids in a URL are never trusted
    to match the event whose access was checked."""
    view = await registration(registration_id)
    if view["event"] != event_id:
        raise NotFound("There is no such registration.")
    return view


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search(event_id: int, text: str, *, limit: int = 20) -> list[dict]:
    """Registrations whose person's name or email contains `text`."""
    text = text.strip()[:200]
    if not text:
        return []
    return _local(await fetch(
        _VIEW + "WHERE r.event = $1 AND (p.full_name ILIKE $2 OR p.email ILIKE $2) "
        + _ORDER + " LIMIT $3", event_id, _like(text), limit))


async def recent_check_ins(event_id: int, *, limit: int = 8) -> list[dict]:
    return _local(await fetch(
        _VIEW + "WHERE r.event = $1 AND r.status = 'attended' AND r.checked_in_at IS NOT NULL "
        "ORDER BY r.checked_in_at DESC, r.id DESC LIMIT $2", event_id, limit))


async def counts(event_id: int) -> dict[str, int]:
    rows = await fetch("SELECT status, count(*) AS n FROM event_registrations "
                       "WHERE event = $1 GROUP BY status", event_id)
    found = {row["status"]: int(row["n"]) for row in rows}
    statuses = ("registered", "attended", "no_show", "cancelled", "waitlisted", "offered")
    result = {status: found.get(status, 0) for status in statuses}
    result["seats"] = sum(found.get(status, 0) for status in rules.SEAT_STATUSES)
    return result


async def roster(event_id: int, *, text: str = "", status: str = "",
                 limit: int = 200) -> tuple[list[dict], int]:
    """Everyone who holds or held a seat (filtered), with each person's no-show count
    over all events, and how many matched in all."""
    statuses = [status] if status in rules.SEAT_STATUSES else list(rules.SEAT_STATUSES)
    where = "WHERE r.event = $1 AND r.status = ANY($2::varchar[]) "
    args: list = [event_id, statuses]
    if text.strip():
        where += "AND (p.full_name ILIKE $3 OR p.email ILIKE $3) "
        args.append(_like(text.strip()[:200]))
    # Only constant fragments are joined; every value is a $n parameter.
    total = await fetch("SELECT count(*) AS n FROM event_registrations r "  # noqa: S608  # nosec B608
                        "JOIN people p ON p.id = r.person " + where, *args)
    rows = _local(await fetch(_VIEW + where + _ORDER + f" LIMIT ${len(args) + 1}", *args,
                              limit))
    no_shows = await history.no_show_counts([row["person"] for row in rows])
    for row in rows:
        row["no_shows"] = no_shows.get(row["person"], 0)
    return rows, int(total[0]["n"])
