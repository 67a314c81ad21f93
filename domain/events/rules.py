"""Pure rules for event registration: who may register, when offers lapse, seats left."""

from __future__ import annotations

from datetime import datetime, timedelta

KINDS = ("virtual", "in_person", "hybrid")
HOLDS_SEAT = ("registered", "offered")
# Every status whose registration counts in `events.taken`: a seat stays used once the
# person came (attended) or was expected and did not (no_show).
SEAT_STATUSES = ("registered", "offered", "attended", "no_show")


def registration_problem(event: dict, now: datetime, *, by_host: bool = False) -> str | None:
    """Why nobody can register now, or None when registration is open. Hosts may still
    add people after the registration deadline (until the start)."""
    if event["status"] != "published":
        return "Registration for this event is not open."
    deadline = event.get("registration_deadline")
    if deadline is not None and now > deadline and not by_host:
        return "Registration for this event has closed."
    if now >= event["starts_at"]:
        return "This event has already started."
    return None


def remaining_seats(capacity: int | None, taken: int) -> int | None:
    """None means unlimited."""
    return None if capacity is None else max(capacity - taken, 0)


def capacity_allowed(new_capacity: int | None, taken: int) -> bool:
    """Lowering capacity below the seats already held would overbook (pretix #186)."""
    return new_capacity is None or new_capacity >= taken


# How long before the start a held-back habitual no-show may be offered a free seat.
HABITUAL_OFFER_LEAD = timedelta(hours=48)


def habitual_offers_from(starts_at: datetime, now: datetime) -> datetime:
    """Seats still free two days before the start go to held-back people too."""
    return max(starts_at - HABITUAL_OFFER_LEAD, now)


def offer_expires_at(now: datetime, offer_hours: int) -> datetime:
    return now + timedelta(hours=offer_hours)


def subject(registration_id: int) -> str:
    return f"registration:{registration_id}"


def registration_id(subject_text: str) -> int:
    prefix, _, raw = subject_text.partition(":")
    return int(raw) if prefix == "registration" and raw.isdigit() else 0
