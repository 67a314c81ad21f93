"""Render contexts for interview emails (registered in domain.mail.contexts).

Each invitation carries the .ics built at render time with the SEQUENCE fixed when the
change happened (stored with the email), so an older invitation sent late never
supersedes a newer one in anyone's calendar.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from domain.interviews import calendar, links, queries
from domain.people.rules import first_name
from domain.ports import Clock
from settings import get_settings

_METHOD = {"interview_invitation": "REQUEST", "interview_cancelled": "CANCEL"}
_NEEDS_STATUS = {"interview_invitation": ("scheduled",), "interview_slots": ("proposed",)}


def when_text(starts_at, ends_at, time_zone: str) -> str:
    zone = ZoneInfo(time_zone or "UTC")
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    return f"{start:%A %-d %B %Y, %H:%M} to {end:%H:%M} ({time_zone})"


async def interview_email_context(template: str, stored: dict, *, clock: Clock) -> dict:
    settings = get_settings()
    view = await queries.interview_view(int(stored["interview_id"]))
    if view["status"] not in _NEEDS_STATUS.get(template, (view["status"],)):
        # Changed between queueing and sending (booked, rescheduled, cancelled): the
        # newer email says what holds; LookupError marks this one failed with the reason.
        raise LookupError(f"the interview is {view['status']} now; {template} not sent")
    candidate = stored.get("recipient") != "panelist"
    previous = stored.get("previous")
    if previous:
        # The time that was booked before new ones were offered: its calendar entry is
        # what this email's CANCEL removes.
        view = {**view, "starts_at": datetime.fromisoformat(previous["starts_at"]),
                "ends_at": datetime.fromisoformat(previous["ends_at"]),
                "time_zone": previous["time_zone"]}
    context = {
        "person_name": first_name(view["full_name"]) if candidate else "",
        "candidate_name": view["full_name"] or view["email"],
        "for_candidate": candidate,
        "interview_title": view["title"],
        "job_title": view["job_title"],
        "interview_when": when_text(view["starts_at"], view["ends_at"], view["time_zone"])
        if view["starts_at"] else "",
        "location": view["location"],
        "join_url": view["join_url"],
        "panel": ", ".join(member["full_name"] or member["email"] for member in view["panel"]),
        "scheduling_url": links.scheduling_url(view["id"])
        if template == "interview_slots" else "",
        "application_url": "" if candidate
        else f"{settings.base_url}/backoffice/applications/{view['application']}",
        "previous_when": context_when(view) if previous else "",
        "reoffered": bool(stored.get("reoffered")),
    }
    method = "CANCEL" if previous else _METHOD.get(template)
    if method and view["starts_at"]:
        context["attachments"] = [_invite(view, method, clock, int(stored["sequence"]))]
    return context


def context_when(view: dict) -> str:
    return when_text(view["starts_at"], view["ends_at"], view["time_zone"])


def _invite(view: dict, method: str, clock: Clock, sequence: int) -> dict:
    attendees = [(view["email"], view["full_name"])]
    attendees += [(member["email"], member["full_name"]) for member in view["panel"]]
    ics = calendar.build_ics(view, attendees=attendees,
                             organizer=_address(get_settings().mail_from), now=clock.now(),
                             method=method, sequence=sequence)
    return {"filename": "invite.ics", "content_type": "text/calendar", "data": ics,
            "params": {"method": method}}


def _address(sender: str) -> str:
    """`Name <a@b>` → `a@b`."""
    return sender.rsplit("<", 1)[-1].rstrip(">").strip()


EMAIL_CONTEXTS = dict.fromkeys(
    ("interview_invitation", "interview_cancelled", "interview_slots"),
    interview_email_context)
