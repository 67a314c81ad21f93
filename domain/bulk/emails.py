"""The invitation email a bulk "invite to event" queues (marketing: the sender re-checks
event-email consent when it sends and adds the unsubscribe links)."""

from __future__ import annotations

from domain.db import fetch
from domain.events.emails import when_text
from domain.events.queries import event_by_id
from domain.people.rules import first_name
from domain.ports import Clock
from settings import get_settings


async def invitation_context(template: str, stored: dict, *, clock: Clock) -> dict:
    """Refuses (LookupError: recorded as failed, not sent) once the event is no longer a
    published event in the future."""
    event = await event_by_id(int(stored["event_id"]))
    if event["status"] != "published" or event["starts_at"] <= clock.now():
        raise LookupError("the event is no longer open: no invitation")
    rows = await fetch("SELECT full_name FROM people WHERE id = $1",
                       int(stored.get("person_id") or 0))
    name = rows[0]["full_name"] if rows else ""
    return {
        "person_name": first_name(name),
        "event_title": event["title"], "event_when": when_text(event),
        "event_url": f"{get_settings().base_url}/events/{event['slug']}",
    }


EMAIL_CONTEXTS = {"event_invitation": invitation_context}
