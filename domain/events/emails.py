"""Render contexts for the event emails (registered in domain.mail.contexts).

Links are signed at render time, so no raw token is stored; the confirmation carries the
.ics invitation (METHOD:REQUEST) and the cancellation its METHOD:CANCEL counterpart.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from domain.events import calendar, links, queries
from domain.people.rules import first_name
from domain.ports import Clock
from settings import get_settings

_ICS_METHOD = {"event_confirmed": "REQUEST", "event_cancelled": "CANCEL"}


def when_text(event: dict) -> str:
    zone = ZoneInfo(event["time_zone"] or "UTC")
    start, end = event["starts_at"].astimezone(zone), event["ends_at"].astimezone(zone)
    return f"{start:%A %-d %B %Y, %H:%M} to {end:%H:%M} ({event['time_zone']})"


async def event_email_context(template: str, stored: dict, *, clock: Clock) -> dict:
    settings = get_settings()
    view = await queries.registration_view(int(stored["registration_id"]))
    event = view["event"]
    context = {
        "person_name": first_name(view["full_name"]),
        "event_title": event["title"],
        "event_when": when_text(event),
        "event_venue": event["venue"],
        "event_url": f"{settings.base_url}/events/{event['slug']}",
        "join_url": event["join_url"] if template == "event_confirmed" else "",
        "manage_url": links.manage_url(view["id"]),
        "offer_url": links.offer_url(view["id"]) if template == "event_offer" else "",
        "offer_expires": (view["offer_expires_at"].astimezone(ZoneInfo(event["time_zone"]))
                          .strftime("%-d %B %Y, %H:%M") if view["offer_expires_at"] else ""),
        "position": stored.get("position") or 0,
    }
    method = _ICS_METHOD.get(template)
    if method:
        context["attachments"] = [_invite(event, view["email"], method, clock)]
    return context


def _invite(event: dict, attendee: str, method: str, clock: Clock) -> dict:
    settings = get_settings()
    ics = calendar.build_ics(
        event, url=f"{settings.base_url}/events/{event['slug']}",
        organizer=_address(settings.mail_from), now=clock.now(), method=method,
        attendee=attendee, sequence=1 if method == "CANCEL" else 0)
    return {"filename": "invite.ics", "content_type": "text/calendar", "data": ics,
            "params": {"method": method}}


def _address(sender: str) -> str:
    """`Name <a@b>` → `a@b`."""
    return sender.rsplit("<", 1)[-1].rstrip(">").strip()


EMAIL_CONTEXTS = dict.fromkeys(
    ("event_confirmed", "event_waitlisted", "event_offer", "event_cancelled"), event_email_context)
