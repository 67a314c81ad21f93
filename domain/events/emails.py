"""Render contexts for the event emails (registered in domain.mail.contexts).

Links are signed at render time, so no raw token is stored; the confirmation carries the
.ics invitation (METHOD:REQUEST) and the cancellation its METHOD:CANCEL counterpart.
The confirmation and the reminders are the only emails that reveal the join link and
carry the ticket, and only while the registration still holds its seat when rendered.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from domain.events import calendar, links, news, queries, ticket_codes
from domain.people.rules import first_name
from domain.ports import Clock
from settings import get_settings

_ICS_METHOD = {"event_confirmed": "REQUEST", "event_cancelled": "CANCEL",
               "event_updated": "REQUEST", "event_called_off": "CANCEL"}
_NEWS_EMAILS = ("event_confirmed", "event_waitlisted")
_SEAT_EMAILS = ("event_confirmed", "event_reminder", "event_updated")


def when_text(event: dict) -> str:
    zone = ZoneInfo(event["time_zone"] or "UTC")
    start, end = event["starts_at"].astimezone(zone), event["ends_at"].astimezone(zone)
    return f"{start:%A %-d %B %Y, %H:%M} to {end:%H:%M} ({event['time_zone']})"


async def event_email_context(template: str, stored: dict, *, clock: Clock) -> dict:
    settings = get_settings()
    view = await queries.registration_view(int(stored["registration_id"]))
    event = view["event"]
    seat = template in _SEAT_EMAILS and ticket_codes.holds_seat(view)
    if template == "event_reminder" and not seat:
        # Cancelled (or the event called off) between queueing and sending: LookupError
        # marks the email failed with this reason instead of sending a stale reminder.
        raise LookupError("the registration no longer holds a seat; reminder not sent")
    context = {
        "person_name": first_name(view["full_name"]),
        "event_title": event["title"],
        "event_when": when_text(event),
        "event_venue": event["venue"],
        "event_url": f"{settings.base_url}/events/{event['slug']}",
        "join_url": event["join_url"] if seat else "",
        "manage_url": links.manage_url(view["id"]),
        "offer_url": links.offer_url(view["id"]) if template == "event_offer" else "",
        "offer_expires": (view["offer_expires_at"].astimezone(ZoneInfo(event["time_zone"]))
                          .strftime("%-d %B %Y, %H:%M") if view["offer_expires_at"] else ""),
        "position": (await queries.waitlist_position(view) or 0)
        if template == "event_waitlisted" else 0,
        "reminder": stored.get("reminder") or "",
        "reason": stored.get("reason") or "",
        "events_url": f"{settings.base_url}/events",
        "ticket_code": "",
        # The double opt-in link for event news, while a request from the form waits.
        "news_confirm_url": await news.pending_confirm_url(view["person"])
        if template in _NEWS_EMAILS else "",
    }
    attachments = []
    if seat and ticket_codes.needs_ticket(event):
        ticket_context, image = ticket_codes.email_ticket(view["id"])
        context.update(ticket_context)
        attachments.append(image)
    method = _ICS_METHOD.get(template)
    if method:
        attachments.append(_invite(event, view["email"], method, clock,
                                   sequence=int(stored.get("ics_sequence") or 0)))
    if attachments:
        context["attachments"] = attachments
    return context


def _invite(event: dict, attendee: str, method: str, clock: Clock, *, sequence: int) -> dict:
    """`sequence` was fixed when the change happened (calendar.sequence_at), so invitations
    queued later always supersede earlier ones for this attendee."""
    settings = get_settings()
    ics = calendar.build_ics(
        event, url=f"{settings.base_url}/events/{event['slug']}",
        organizer=_address(settings.mail_from), now=clock.now(), method=method,
        attendee=attendee, sequence=sequence)
    return {"filename": "invite.ics", "content_type": "text/calendar", "data": ics,
            "params": {"method": method}}


def _address(sender: str) -> str:
    """`Name <a@b>` → `a@b`."""
    return sender.rsplit("<", 1)[-1].rstrip(">").strip()


EMAIL_CONTEXTS = dict.fromkeys(
    ("event_confirmed", "event_waitlisted", "event_offer", "event_cancelled", "event_reminder",
     "event_updated", "event_called_off"),
    event_email_context)
