"""What event pages show: schema.org JSON-LD and the display fields (no HTTP here)."""

from __future__ import annotations

from domain.events import rules
from domain.events.emails import when_text
from settings import get_settings

_MODES = {"virtual": "OnlineEventAttendanceMode", "in_person": "OfflineEventAttendanceMode",
          "hybrid": "MixedEventAttendanceMode"}


def event_url(event: dict) -> str:
    return f"{get_settings().base_url}/events/{event['slug']}"


def json_ld(event: dict) -> dict:
    """schema.org Event. The join link is never in it: only confirmed people get that."""
    settings = get_settings()
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event["title"],
        "description": event["description"],
        "startDate": event["starts_at"].isoformat(),
        "endDate": event["ends_at"].isoformat(),
        "eventStatus": "https://schema.org/" + (
            "EventCancelled" if event["status"] == "cancelled" else "EventScheduled"),
        "eventAttendanceMode": "https://schema.org/" + _MODES.get(event["kind"],
                                                                  _MODES["in_person"]),
        "url": event_url(event),
        "organizer": {"@type": "Organization", "name": settings.company_name,
                      "url": settings.base_url},
        "location": _location(event),
    }
    remaining = rules.remaining_seats(event["capacity"], event["taken"])
    if remaining is not None:
        data["remainingAttendeeCapacity"] = remaining
        data["maximumAttendeeCapacity"] = event["capacity"]
    return data


def _location(event: dict) -> dict | list:
    place = {"@type": "Place", "name": event["venue"] or "To be announced"}
    online = {"@type": "VirtualLocation", "url": event_url(event)}
    if event["kind"] == "virtual":
        return online
    return [place, online] if event["kind"] == "hybrid" else place


def display(event: dict) -> dict:
    return {**event, "when": when_text(event),
            "remaining": rules.remaining_seats(event["capacity"], event["taken"])}
