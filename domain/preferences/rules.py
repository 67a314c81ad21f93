"""Pure rules of the preference centre: cadences, channels, pauses and link subjects."""

from __future__ import annotations

from datetime import datetime, timedelta

CADENCES = {
    "every_update": "Every update",
    "weekly_digest": "A weekly digest",
    "monthly_digest": "A monthly digest",
    "only_important": "Only important news (a role that fits, an event near you)",
}
DEFAULT_CADENCE = "every_update"

# Email only for now; stored as a list so SMS or push can join without a schema change.
CHANNELS = {"email": "Email"}
DEFAULT_CHANNELS = ("email",)

MIN_PAUSE_WEEKS, MAX_PAUSE_WEEKS = 1, 26


def preference_errors(cadence: str, channels: list[str], pause_weeks: int | None
                      ) -> dict[str, str]:
    """Field -> message for values the preference centre does not offer."""
    errors = {}
    if cadence not in CADENCES:
        errors["cadence"] = "Choose how often you want to hear from us."
    if not channels:
        errors["channels"] = ("Choose at least one channel. To stop hearing from us, pause "
                              "or leave your communities instead.")
    elif set(channels) - set(CHANNELS):
        errors["channels"] = "Choose channels from the list."
    if pause_weeks is not None and not MIN_PAUSE_WEEKS <= pause_weeks <= MAX_PAUSE_WEEKS:
        errors["pause"] = f"Pause for {MIN_PAUSE_WEEKS} to {MAX_PAUSE_WEEKS} weeks."
    return errors


def paused_until(now: datetime, weeks: int) -> datetime:
    return now + timedelta(weeks=weeks)


def is_paused(until: datetime | None, now: datetime) -> bool:
    return until is not None and until > now


def person_subject(person_id: int) -> str:
    return f"person:{person_id}"


def person_of(subject: str) -> int | None:
    prefix, _, raw = subject.partition(":")
    return int(raw) if prefix == "person" and raw.isdigit() else None


def unsubscribe_subject(person_id: int, purpose: str, scope: str) -> str:
    return f"person:{person_id}:{purpose}:{scope}"


def parse_unsubscribe_subject(subject: str) -> tuple[int, str, str] | None:
    """(person_id, purpose, scope) from an unsubscribe token's subject, or None."""
    parts = subject.split(":", 3)
    if len(parts) != 4 or parts[0] != "person" or not parts[1].isdigit() or not parts[2]:
        return None
    return int(parts[1]), parts[2], parts[3]


def reconsent_dedupe_key(person_id: int, purpose: str, scope: str, record_id: int) -> str:
    """One re-consent email per given consent (queries.current_given_before builds the
    same key in SQL to skip people already reminded)."""
    return f"reconsent_request:{person_id}:{purpose}:{scope}:{record_id}"
