"""Consent ledger: texts, append-only records, lifecycle, policies and the send check."""

from __future__ import annotations

from datetime import datetime

from domain.consent.rules import (
    COMMUNITY_EMAILS,
    DEFAULT_EXPIRY_MONTHS,
    DEFAULT_REMINDER_DAYS,
    EXPIRING_PURPOSES,
    ExpiryPolicy,
    is_contactable,
)
from domain.db import execute, fetch
from domain.errors import NotFound
from domain.integrations import webhooks
from domain.privacy import suppression


async def current_text(purpose: str) -> dict:
    rows = await fetch(
        "SELECT id, purpose, version, body FROM consent_texts WHERE purpose = $1 "
        "ORDER BY version DESC LIMIT 1",
        purpose,
    )
    if not rows:
        raise NotFound(f"No consent text is configured for {purpose!r}.")
    return rows[0]


async def ensure_text(*, purpose: str, body: str, now: datetime) -> None:
    """Create version 1 of a purpose's text if it has none. Texts are never edited."""
    await execute(
        "INSERT INTO consent_texts (purpose, version, body, created_at) "
        "SELECT $1::varchar, 1, $2::text, $3 WHERE NOT EXISTS "
        "(SELECT 1 FROM consent_texts WHERE purpose = $1::varchar)",
        purpose,
        body,
        now,
    )


async def record(
    *, person_id: int, purpose: str, scope: str, text_id: int | None, action: str,
    method: str, at: datetime, ip: str | None = None, user_agent: str | None = None,
) -> None:
    await execute(
        "INSERT INTO consent_records (person, purpose, scope, consent_text, action, method, "
        "occurred_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        person_id,
        purpose,
        scope,
        text_id,
        action,
        method,
        at,
        (ip or "")[:64] or None,
        (user_agent or "")[:400] or None,
    )
    await webhooks.emit("consent.changed", {"person_id": person_id, "purpose": purpose,
                                            "scope": scope, "action": action,
                                            "method": method}, person=person_id, now=at)


async def ledger(person_id: int) -> list[dict]:
    return await fetch(
        "SELECT c.id, c.purpose, c.scope, c.action, c.method, c.occurred_at, "
        "t.version AS text_version "
        "FROM consent_records c LEFT JOIN consent_texts t ON t.id = c.consent_text "
        "WHERE c.person = $1 ORDER BY c.occurred_at DESC, c.id DESC",
        person_id,
    )


# --- Lifecycle: withdraw, give, expire (each appends to the ledger, never edits it) ------

async def lock_person(person_id: int) -> dict | None:
    """Serialise consent changes for one person inside the caller's transaction, so
    "is it still given?" and the append that follows cannot interleave with another
    change. NO KEY UPDATE leaves foreign-key inserts elsewhere unblocked."""
    rows = await fetch(
        "SELECT id, email, full_name FROM people WHERE id = $1 FOR NO KEY UPDATE", person_id
    )
    return rows[0] if rows else None


async def decisive_state(
    person_id: int, purpose: str, scope: str, *, at: datetime | None = None
) -> dict | None:
    """The latest given/withdrawn/expired entry (at or before `at`), or None."""
    rows = await fetch(
        "SELECT id, action, consent_text, occurred_at FROM consent_records "
        "WHERE person = $1 AND purpose = $2 AND scope = $3 "
        "AND action IN ('given', 'withdrawn', 'expired') "
        "AND ($4::timestamptz IS NULL OR occurred_at <= $4) "
        "ORDER BY occurred_at DESC, id DESC LIMIT 1",
        person_id, purpose, scope, at,
    )
    return rows[0] if rows else None


async def _pending_request(person_id: int, purpose: str, scope: str) -> dict | None:
    rows = await fetch(
        "SELECT id, action, consent_text FROM consent_records WHERE person = $1 "
        "AND purpose = $2 AND scope = $3 ORDER BY occurred_at DESC, id DESC LIMIT 1",
        person_id, purpose, scope,
    )
    return rows[0] if rows and rows[0]["action"] == "requested" else None


async def _mirror_membership(person_id: int, purpose: str, scope: str, status: str,
                             now: datetime) -> None:
    """A community membership needs consent to community emails (PRODUCT.md), so the
    membership follows the ledger: consent gone -> 'left', consent given -> 'confirmed'."""
    if purpose != COMMUNITY_EMAILS:
        return
    if status == "left":
        await execute(
            "UPDATE community_memberships m SET status = 'left', left_at = $3 "
            "FROM talent_communities c WHERE c.id = m.community AND m.person = $1 "
            "AND c.slug = $2 AND m.status <> 'left'",
            person_id, scope, now,
        )
        return
    await execute(
        "UPDATE community_memberships m SET status = 'confirmed', confirmed_at = $3, "
        "left_at = NULL FROM talent_communities c WHERE c.id = m.community AND m.person = $1 "
        "AND c.slug = $2",
        person_id, scope, now,
    )


async def withdraw(
    *, person_id: int, purpose: str, scope: str, method: str, now: datetime,
    ip: str | None = None, user_agent: str | None = None,
) -> bool:
    """Withdraw consent (or a pending request); False when there was nothing to withdraw,
    which makes every caller idempotent. Call inside a transaction."""
    if await lock_person(person_id) is None:
        return False
    state = await decisive_state(person_id, purpose, scope)
    if state is None or state["action"] != "given":
        state = await _pending_request(person_id, purpose, scope)
    await _mirror_membership(person_id, purpose, scope, "left", now)
    if state is None:
        return False
    await record(person_id=person_id, purpose=purpose, scope=scope,
                 text_id=state["consent_text"], action="withdrawn", method=method, at=now,
                 ip=ip, user_agent=user_agent)
    return True


async def give(
    *, person_id: int, purpose: str, scope: str, text_id: int, method: str, now: datetime,
    ip: str | None = None, user_agent: str | None = None,
) -> None:
    """Record consent given directly: only for callers that already proved the address
    (a signed-in session or a link we emailed). Renewing appends a new 'given'."""
    await lock_person(person_id)
    await record(person_id=person_id, purpose=purpose, scope=scope, text_id=text_id,
                 action="given", method=method, at=now, ip=ip, user_agent=user_agent)
    await _mirror_membership(person_id, purpose, scope, "confirmed", now)


async def expire(record_id: int, *, now: datetime) -> dict | None:
    """Append 'expired' for a 'given' entry that is still the current state; returns the
    entry, or None when it was renewed, withdrawn or expired meanwhile."""
    rows = await fetch("SELECT person, purpose, scope, consent_text FROM consent_records "
                       "WHERE id = $1 AND action = 'given'", record_id)
    if not rows or await lock_person(rows[0]["person"]) is None:
        return None
    entry = rows[0]
    state = await decisive_state(entry["person"], entry["purpose"], entry["scope"])
    if state is None or state["id"] != record_id:
        return None
    await record(person_id=entry["person"], purpose=entry["purpose"], scope=entry["scope"],
                 text_id=entry["consent_text"], action="expired", method="policy", at=now)
    await _mirror_membership(entry["person"], entry["purpose"], entry["scope"], "left", now)
    return entry


# --- Policies, suppression and the send-time check ---------------------------------------


async def ensure_consent_policies(*, now: datetime) -> None:
    """Default expiry policy for each expiring purpose; admins' later edits are kept."""
    for purpose in EXPIRING_PURPOSES:
        await execute(
            "INSERT INTO consent_policies (purpose, expiry_months, reminder_days, updated_at) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (purpose) DO NOTHING",
            purpose, DEFAULT_EXPIRY_MONTHS, DEFAULT_REMINDER_DAYS, now,
        )


async def policies() -> dict[str, ExpiryPolicy]:
    rows = await fetch("SELECT purpose, expiry_months, reminder_days FROM consent_policies")
    return {row["purpose"]: ExpiryPolicy(**row) for row in rows}


async def suppressed_emails(emails: list[str]) -> set[str]:
    """Which of these addresses are on the suppression list."""
    # The privacy context owns the keyed hash (erasure writes the suppressions).
    hashes = {suppression.email_hash(email): email for email in emails}
    rows = await fetch("SELECT email_hash FROM suppressions WHERE email_hash = ANY($1)",
                       list(hashes))
    return {hashes[row["email_hash"]] for row in rows}


async def can_email(person_id: int, purpose: str, scope: str, *, at: datetime) -> bool:
    """May we email this person for this purpose and scope at `at`? Confirmed consent that
    is neither withdrawn nor expired (by the ledger or by its policy's date), an address
    that is not suppressed, email among their channels, and no pause in force.
    The campaign sender calls this at claim time, so a change wins over a queued send."""
    rows = await fetch(
        "SELECT p.email, cp.channels, cp.paused_until, pol.expiry_months, pol.reminder_days "
        "FROM people p LEFT JOIN contact_preferences cp ON cp.person = p.id "
        "LEFT JOIN consent_policies pol ON pol.purpose = $2 WHERE p.id = $1",
        person_id, purpose,
    )
    if not rows:
        return False
    row = rows[0]
    state = await decisive_state(person_id, purpose, scope, at=at)
    policy = None if row["expiry_months"] is None else ExpiryPolicy(
        purpose, row["expiry_months"], row["reminder_days"])
    action, given_at = (state["action"], state["occurred_at"]) if state else (None, None)
    if not is_contactable(action, given_at, policy, at):
        return False
    if row["paused_until"] is not None and row["paused_until"] > at:
        return False
    # No preferences row (or no channels recorded) means the default: email.
    if row["channels"] and "email" not in row["channels"]:
        return False
    return not await suppressed_emails([row["email"]])
