"""Consent purposes and how the current state derives from the append-only ledger."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

COMMUNITY_EMAILS = "community_emails"
EVENT_EMAILS = "event_emails"

PURPOSE_LABELS = {
    COMMUNITY_EMAILS: "Talent community emails",
    EVENT_EMAILS: "Event emails",
    "job_processing": "Processing for a job application",
    # Imported people (domain.imports): the lawful basis their details are kept under.
    "sourcing": "Keeping your details in our talent database",
}

# Purposes whose consent lapses unless renewed (consent_policies rows are created for these).
EXPIRING_PURPOSES = (COMMUNITY_EMAILS, EVENT_EMAILS)
DEFAULT_EXPIRY_MONTHS = 24
DEFAULT_REMINDER_DAYS = 30

# Only these actions change the current state; "requested" is a pending double opt-in.
# "expired" is appended by the expiry policy and, like a withdrawal, means "no consent".
DECISIVE = {"given", "withdrawn", "expired"}

ACTION_LABELS = {
    "requested": "Requested",
    "given": "Given",
    "withdrawn": "Withdrawn",
    "expired": "Expired",
    # Not consent: the lawful basis (legitimate interest) recorded for an imported person.
    "noted": "Recorded (legitimate interest)",
}

# How an entry came about, in words a candidate understands (never the IP or user agent).
METHOD_LABELS = {
    "web_form": "Form on our careers site",
    "double_opt_in": "Confirmed with the link we emailed you",
    "portal_signed_in": "On our careers site, while signed in",
    "preference_link": "In your preference centre, from a link we emailed you",
    "preference_centre": "In your preference centre",
    "one_click_unsubscribe": "Unsubscribe link in an email",
    "policy": "Automatically, when it reached its expiry date",
    "api": "Sent to us by a system connected to ours (API)",
}


def method_label(method: str) -> str:
    """METHOD_LABELS, plus the import batches' "import:<id>" methods."""
    if method.startswith("import:"):
        return "Added by our recruiters from a list (import)"
    return METHOD_LABELS.get(method, method)


def current_states(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Latest entry per (purpose, scope); a decisive entry outranks a later 'requested'
    one, so asking to rejoin never hides the fact that consent is still given."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in sorted(entries, key=lambda e: (e["occurred_at"], e["id"])):
        key = (entry["purpose"], entry["scope"])
        held = latest.get(key)
        if held is None or entry["action"] in DECISIVE or held["action"] not in DECISIVE:
            latest[key] = entry
    return sorted(latest.values(), key=lambda e: e["occurred_at"], reverse=True)


def has_consent(entries: Iterable[dict[str, Any]], purpose: str, scope: str) -> bool:
    for state in current_states(entries):
        if state["purpose"] == purpose and state["scope"] == scope:
            return state["action"] == "given"
    return False


@dataclass(frozen=True)
class ExpiryPolicy:
    purpose: str
    expiry_months: int = DEFAULT_EXPIRY_MONTHS
    reminder_days: int = DEFAULT_REMINDER_DAYS


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months later, clamped to the month's last day (31 Jan + 1 month = 28 Feb)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def expires_at(given_at: datetime, policy: ExpiryPolicy) -> datetime:
    return add_months(given_at, policy.expiry_months)


def reminder_at(given_at: datetime, policy: ExpiryPolicy) -> datetime:
    return expires_at(given_at, policy) - timedelta(days=policy.reminder_days)


def expiry_phase(given_at: datetime, policy: ExpiryPolicy | None, now: datetime) -> str:
    """'active', 'remind' (renewal reminder due) or 'expired' for consent given at given_at.
    Purposes without a policy never lapse."""
    if policy is None or now < reminder_at(given_at, policy):
        return "active"
    return "expired" if now >= expires_at(given_at, policy) else "remind"


def is_contactable(action: str | None, given_at: datetime | None,
                   policy: ExpiryPolicy | None, now: datetime) -> bool:
    """Consent given and not past its expiry, even if the expiry task has not run yet."""
    if action != "given" or given_at is None:
        return False
    return expiry_phase(given_at, policy, now) != "expired"

