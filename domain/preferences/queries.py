"""Read models for the preference centre and the consent-expiry sweep."""

from __future__ import annotations

from datetime import datetime

from domain.consent import service as consent
from domain.consent.rules import (
    ACTION_LABELS,
    COMMUNITY_EMAILS,
    PURPOSE_LABELS,
    current_states,
    expires_at,
    expiry_phase,
    method_label,
)
from domain.db import fetch
from domain.preferences.rules import DEFAULT_CADENCE, DEFAULT_CHANNELS, is_paused


async def person(person_id: int) -> dict | None:
    rows = await fetch("SELECT id, email, full_name FROM people WHERE id = $1", person_id)
    return rows[0] if rows else None


async def communities(person_id: int) -> list[dict]:
    """Public communities plus any other the person belongs to, with their membership."""
    return await fetch(
        "SELECT c.slug, c.name, c.description, c.is_public, c.interest_options, "
        "m.status, COALESCE(m.interests, '{}') AS interests "
        "FROM talent_communities c LEFT JOIN community_memberships m "
        "ON m.community = c.id AND m.person = $1 "
        "WHERE c.is_public OR m.id IS NOT NULL ORDER BY c.name",
        person_id,
    )


async def membership(person_id: int, slug: str) -> dict | None:
    rows = await fetch(
        "SELECT m.id, m.status, m.interests, c.id AS community_id, c.slug, c.name, "
        "c.interest_options FROM community_memberships m "
        "JOIN talent_communities c ON c.id = m.community WHERE m.person = $1 AND c.slug = $2",
        person_id, slug,
    )
    return rows[0] if rows else None


async def contact_preferences(person_id: int, *, now: datetime) -> dict:
    rows = await fetch(
        "SELECT cadence, channels, paused_until FROM contact_preferences WHERE person = $1",
        person_id,
    )
    prefs = rows[0] if rows else {"cadence": DEFAULT_CADENCE, "channels": [],
                                  "paused_until": None}
    prefs["channels"] = list(prefs["channels"] or DEFAULT_CHANNELS)
    prefs["paused"] = is_paused(prefs["paused_until"], now)
    return prefs


async def consent_history(person_id: int) -> list[dict]:
    """Every ledger entry with the exact text shown. IP and user agent are evidence for
    us, not something to display, so they are not even selected."""
    rows = await fetch(
        "SELECT r.id, r.purpose, r.scope, r.action, r.method, r.occurred_at, "
        "t.id AS text_id, t.version AS text_version, t.body AS text_body, "
        "c.name AS community_name "
        "FROM consent_records r LEFT JOIN consent_texts t ON t.id = r.consent_text "
        "LEFT JOIN talent_communities c ON r.purpose = $2 AND c.slug = r.scope "
        "WHERE r.person = $1 ORDER BY r.occurred_at DESC, r.id DESC",
        person_id, COMMUNITY_EMAILS,
    )
    for row in rows:
        row["purpose_label"] = PURPOSE_LABELS.get(row["purpose"], row["purpose"])
        row["scope_label"] = row["community_name"] or row["scope"]
        row["action_label"] = ACTION_LABELS.get(row["action"], row["action"])
        row["method_label"] = method_label(row["method"])
    return rows


async def consent_overview(history: list[dict], *, now: datetime) -> list[dict]:
    """The current state per purpose and scope, with what the person can do about it."""
    policies = await consent.policies()
    states = []
    for state in current_states(history):
        policy = policies.get(state["purpose"])
        given = state["action"] == "given"
        phase = expiry_phase(state["occurred_at"], policy, now) if given else None
        rejoinable = state["purpose"] == COMMUNITY_EMAILS and state["community_name"]
        states.append({
            **state,
            "expires_at": expires_at(state["occurred_at"], policy) if given and policy else None,
            "phase": phase,
            "can_withdraw": state["action"] in ("given", "requested"),
            "can_give": bool(rejoinable) and (phase in ("remind", "expired") or
                                              state["action"] in ("withdrawn", "expired")),
        })
    return states


async def current_given_before(purpose: str, cutoff: datetime, limit: int, *,
                               unreminded: bool = False) -> list[dict]:
    """'given' entries at or before `cutoff` that are still the current state, oldest
    first; with `unreminded`, only those without a re-consent email yet. The NOT EXISTS
    probes use the (person, purpose, scope, occurred_at) index and the unique dedupe key."""
    return await fetch(
        "SELECT g.id, g.person, g.purpose, g.scope, g.occurred_at, p.email "
        "FROM consent_records g JOIN people p ON p.id = g.person "
        "WHERE g.purpose = $1 AND g.action = 'given' AND g.occurred_at <= $2 "
        "AND NOT EXISTS (SELECT 1 FROM consent_records l WHERE l.person = g.person "
        "AND l.purpose = g.purpose AND l.scope = g.scope "
        "AND l.action IN ('given', 'withdrawn', 'expired') "
        "AND (l.occurred_at, l.id) > (g.occurred_at, g.id)) "
        "AND (NOT $4 OR NOT EXISTS (SELECT 1 FROM outbound_emails e WHERE e.dedupe_key = "
        "'reconsent_request:' || g.person || ':' || g.purpose || ':' || g.scope || ':' || g.id)) "
        "ORDER BY g.occurred_at, g.id LIMIT $3",
        purpose, cutoff, limit, unreminded,
    )
