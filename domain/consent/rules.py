"""Consent purposes and how the current state derives from the append-only ledger."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

COMMUNITY_EMAILS = "community_emails"

PURPOSE_LABELS = {
    COMMUNITY_EMAILS: "Talent community emails",
    "event_emails": "Event emails",
    "job_processing": "Processing for a job application",
}

# Only these actions change the current state; "requested" is a pending double opt-in.
DECISIVE = {"given", "withdrawn"}


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
