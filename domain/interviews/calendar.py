"""iCalendar invitations for interviews (the approach of `domain.events.calendar`).

One stable UID per interview and the interview's own SEQUENCE counter (bumped on every
reschedule and on cancel), so calendars replace or remove the one entry they hold.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText


def uid(interview_id: int) -> str:
    return f"interview-{interview_id}@talentloop"


def _address(email: str, name: str, role: str | None = None) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["cn"] = vText(name or email)
    if role:
        address.params["role"] = vText(role)
        address.params["partstat"] = vText("NEEDS-ACTION")
        address.params["rsvp"] = vText("TRUE")
    return address


def build_ics(interview: dict, *, attendees: list[tuple[str, str]], organizer: str,
              now: datetime, method: str, sequence: int) -> bytes:
    """`attendees`: (email, name) for the candidate and every panelist, so each calendar
    shows the whole invitation list whoever receives it."""
    calendar = Calendar()
    calendar.add("prodid", "-//talentloop//interviews//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    zone = ZoneInfo(interview["time_zone"] or "UTC")
    entry = Event()
    entry.add("uid", uid(interview["id"]))
    entry.add("dtstamp", now)
    # Local times with TZID: calendars show the interview in the zone it was planned in.
    entry.add("dtstart", interview["starts_at"].astimezone(zone))
    entry.add("dtend", interview["ends_at"].astimezone(zone))
    entry.add("summary", interview["title"])
    entry.add("description", interview.get("join_url") or "")
    entry.add("location", interview.get("location") or interview.get("join_url") or "")
    if interview.get("join_url"):
        entry.add("url", interview["join_url"])
    entry.add("sequence", sequence)
    entry.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    entry.add("organizer", _address(organizer, "talentloop"))
    for email, name in attendees:
        entry.add("attendee", _address(email, name, "REQ-PARTICIPANT"))
    calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()
