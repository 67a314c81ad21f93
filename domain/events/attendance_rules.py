"""Pure rules for the door and the register: what each status allows, the sentences a
host reads on a phone at the entrance, and when attendance closes by itself."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Statuses that already hold a seat (`events.taken`): turning them into `attended` moves
# no seat. Waitlisted and cancelled registrations hold none, so admitting them takes one.
HOLDS_SEAT_ALREADY = ("registered", "offered", "no_show")
NEEDS_A_SEAT = ("waitlisted", "cancelled")

# Closing turns everyone still `registered` into a no-show. In person, the door list is
# final a few hours after the end; online, hosts import the meeting tool's report the
# next working day, so closing waits longer there (an import after closing still works).
AUTO_CLOSE_AFTER = {
    "in_person": timedelta(hours=6),
    "virtual": timedelta(hours=48),
    "hybrid": timedelta(hours=48),
}
EARLIEST_AUTO_CLOSE = min(AUTO_CLOSE_AFTER.values())

_REFUSALS = {
    "waitlisted": "{name} is on the waiting list and has no seat. "
                  "Admit them as a walk-in below if there is room.",
    "offered": "{name} was offered a seat but has not accepted it yet. "
               "Admit them as a walk-in below to use that seat.",
    "cancelled": "{name} cancelled their registration. "
                 "Admit them as a walk-in below if there is room.",
    "no_show": "{name} was marked as a no-show when attendance closed. "
               "Correct it on the Attendance page.",
}


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_clock(moment: datetime, time_zone: str) -> str:
    """HH:MM where the event happens: that is the clock on the wall at the door."""
    return moment.astimezone(zone(time_zone)).strftime("%H:%M")


def local_moment(moment: datetime, time_zone: str) -> str:
    return moment.astimezone(zone(time_zone)).strftime("%-d %b %Y %H:%M")


def already_checked_in(name: str, at: datetime | None, by: str, time_zone: str) -> str:
    when = f" at {local_clock(at, time_zone)}" if at else ""
    who = f" by {by}" if by else ""
    return f"{name} is already checked in{when}{who}."


def refusal(name: str, status: str) -> str:
    template = _REFUSALS.get(status, "{name} cannot be checked in ({status}).")
    return template.format(name=name, status=status.replace("_", " "))


def event_not_open(status: str) -> str:
    if status == "cancelled":
        return "This event was cancelled, so nobody can be checked in."
    return "This event is not published, so nobody can be checked in."


def full_message(taken: int, capacity: int) -> str:
    return f"The event is full ({taken}/{capacity})."


def is_full(capacity: int | None, taken: int) -> bool:
    return capacity is not None and taken >= capacity


def can_close(ends_at: datetime, now: datetime) -> bool:
    return now >= ends_at


def auto_close_due(kind: str, ends_at: datetime, now: datetime) -> bool:
    return now >= ends_at + AUTO_CLOSE_AFTER.get(kind, EARLIEST_AUTO_CLOSE)


def display_name(full_name: str, email: str) -> str:
    return full_name or email
