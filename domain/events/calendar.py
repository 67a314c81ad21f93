"""iCalendar files for events: one stable UID per event so updates replace the entry."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText

_SEQUENCE_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def sequence_at(moment: datetime) -> int:
    """iCalendar SEQUENCE for an invitation issued at `moment`: seconds since 2020.

    Per attendee, each invitation (confirm, update, cancel, re-register) must carry a
    higher SEQUENCE than the one before or calendars ignore it; the time of the change
    gives that for every attendee without a counter per registration (fits the signed
    32-bit integer calendar clients use until 2088)."""
    return max(int((moment - _SEQUENCE_EPOCH).total_seconds()), 0)


def uid(event_id: int) -> str:
    return f"event-{event_id}@talentloop"


def build_ics(event: dict, *, url: str, organizer: str, now: datetime, method: str = "PUBLISH",
              attendee: str | None = None, sequence: int = 0) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//talentloop//events//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    zone = ZoneInfo(event["time_zone"] or "UTC")
    entry = Event()
    entry.add("uid", uid(event["id"]))
    entry.add("dtstamp", now)
    # Local times with TZID, so calendars show the event in the zone it was planned in.
    entry.add("dtstart", event["starts_at"].astimezone(zone))
    entry.add("dtend", event["ends_at"].astimezone(zone))
    entry.add("summary", event["title"])
    entry.add("description", event.get("description") or "")
    entry.add("location", event.get("venue") or "")
    entry.add("url", url)
    entry.add("sequence", sequence)
    entry.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    organizer_address = vCalAddress(f"mailto:{organizer}")
    organizer_address.params["cn"] = vText("talentloop")
    entry.add("organizer", organizer_address)
    if attendee:
        entry.add("attendee", vCalAddress(f"mailto:{attendee}"))
    calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()
