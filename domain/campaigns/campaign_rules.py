"""Pure campaign rules: which state allows what, and the schedule form (time zones via
zoneinfo, send window days and hours, rate). No database here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

STATES = ("draft", "submitted", "approved", "scheduled", "sending", "paused", "finished",
          "cancelled")
STATE_LABELS = {"draft": "Draft", "submitted": "Waiting for approval", "approved": "Approved",
                "scheduled": "Scheduled", "sending": "Sending", "paused": "Paused",
                "finished": "Finished", "cancelled": "Cancelled"}
# Content and audience may change only before sending starts; any change returns the
# campaign to draft (its approval, if any, is of content that no longer exists).
EDITABLE = ("draft", "submitted", "approved", "scheduled")
# Each action: the states it starts from → the state it leaves the campaign in.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "submit": (("draft",), "submitted"),
    "approve": (("submitted",), "approved"),
    "reject": (("submitted",), "draft"),
    "schedule": (("approved",), "scheduled"),
}
# Handed to the sender (domain.campaigns.sending) once approved and scheduled.
SENDER_ACTIONS = {"pause": ("scheduled", "sending"), "resume": ("paused",),
                  "cancel": ("scheduled", "sending", "paused")}
ZONE_MODES = {"fixed": "One time zone for everybody",
              "recipient": "Each recipient's own time zone (from their profile)"}
WEEKDAYS = {1: "Mon", 2: "Tue", 3: "Wed", 4: "Thu", 5: "Fri", 6: "Sat", 7: "Sun"}
MAX_RATE_PER_MINUTE = 100_000


def can(action: str, state: str) -> bool:
    if action == "edit":
        return state in EDITABLE
    if action in SENDER_ACTIONS:
        return state in SENDER_ACTIONS[action]
    sources, _ = TRANSITIONS[action]
    return state in sources


def may_approve(approver: str, campaign: dict) -> bool:
    """Four eyes: neither the author nor whoever last edited the content approves it."""
    approver = approver.strip().lower()
    return approver not in {str(campaign.get("created_by") or "").lower(),
                            str(campaign.get("updated_by") or "").lower()}


def zone_names() -> list[str]:
    return sorted(name for name in available_timezones() if "/" in name or name == "UTC")


def valid_zone(name: str) -> bool:
    if not name or len(name) > 64:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Schedule:
    send_at: datetime | None  # None: as soon as it is scheduled
    zone_mode: str
    time_zone: str
    window_days: list[int]
    window_start: int | None
    window_end: int | None
    rate_per_minute: int | None


def _int(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isdigit() and len(raw) < 9 else None


def parse_schedule(raw: dict, errors: dict[str, str]) -> Schedule:
    """The schedule part of the campaign form. `send_at` is a local date-time
    (YYYY-MM-DDTHH:MM) in `time_zone`; in recipient mode the window applies in each
    recipient's zone and `time_zone` is the fallback for people without one."""
    zone_mode = str(raw.get("zone_mode") or "fixed")
    if zone_mode not in ZONE_MODES:
        errors["zone_mode"] = "Choose whose time zone the schedule follows."
        zone_mode = "fixed"
    time_zone = str(raw.get("time_zone") or "UTC").strip()
    if not valid_zone(time_zone):
        errors["time_zone"] = "Choose a time zone from the list, like Europe/Paris."
        time_zone = "UTC"
    send_at = None
    if str(raw.get("send_mode") or "now") == "later":
        text = str(raw.get("send_at") or "").strip()
        try:
            local = datetime.fromisoformat(text)
            if local.tzinfo is not None:
                raise ValueError("zone given twice")
            send_at = local.replace(tzinfo=ZoneInfo(time_zone))
        except ValueError:
            errors["send_at"] = "Give the date and time to start sending."
    days = raw.get("window_days") or []
    days = [days] if isinstance(days, str) else list(days)
    window_days = sorted({d for d in (_int(str(day)) for day in days) if d in WEEKDAYS})
    if len(window_days) != len(set(days)):
        errors["window_days"] = "Choose weekdays from the list."
    start_raw, end_raw = (str(raw.get("window_start") or ""), str(raw.get("window_end") or ""))
    window_start, window_end = _int(start_raw), _int(end_raw)
    if bool(start_raw.strip()) != bool(end_raw.strip()):
        errors["window_start"] = "Give both the first and the last hour, or neither."
    elif start_raw.strip() and (window_start is None or window_end is None
                                or not 0 <= window_start < window_end <= 24):
        errors["window_start"] = "Hours go from 0 to 24 and the window must not be empty."
    rate_raw = str(raw.get("rate_per_minute") or "").strip()
    rate = _int(rate_raw)
    if rate_raw and (rate is None or not 1 <= rate <= MAX_RATE_PER_MINUTE):
        errors["rate_per_minute"] = (f"A rate is a whole number of messages per minute, "
                                     f"1 to {MAX_RATE_PER_MINUTE:,}; leave it empty for "
                                     "the default.")
    return Schedule(send_at=send_at, zone_mode=zone_mode, time_zone=time_zone,
                    window_days=window_days,
                    window_start=window_start if start_raw.strip() else None,
                    window_end=window_end if end_raw.strip() else None,
                    rate_per_minute=rate if rate_raw else None)


def in_window(moment: datetime, zone: str, days: list[int], start: int | None,
              end: int | None) -> bool:
    """Whether a moment falls inside a send window, in that zone (for the summary and
    tests; the sender computes not_before itself)."""
    local = moment.astimezone(ZoneInfo(zone if valid_zone(zone) else "UTC"))
    if days and local.isoweekday() not in days:
        return False
    return start is None or end is None or start <= local.hour < end


def window_label(days: list[int], start: int | None, end: int | None) -> str:
    day_text = ", ".join(WEEKDAYS[d] for d in days) if days else "every day"
    hours = f"{start:02d}:00-{end:02d}:00" if start is not None and end is not None \
        else "any time"
    return f"{day_text}, {hours}"
