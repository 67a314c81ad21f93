"""The candidate's preference centre: communities, topics, cadence, pause and consent.

Every use case takes the person id from the caller, which proved it either with a portal
session or with a signed preference link; nothing here looks at who is asking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.communities import service as communities
from domain.consent import service as consent
from domain.consent.rules import (
    COMMUNITY_EMAILS,
    ExpiryPolicy,
    add_months,
    expiry_phase,
    is_contactable,
)
from domain.db import execute, transaction
from domain.engagement import service as engagement
from domain.errors import Invalid, NotFound
from domain.mail import service as mail
from domain.ports import Clock, TaskQueue
from domain.preferences import queries

# Re-exported: other contexts build preference links from this service.
from domain.preferences.emails import preferences_url as preferences_url
from domain.preferences.rules import paused_until, preference_errors, reconsent_dedupe_key

SWEEP_BATCH = 500
SWEEP_MAX_BATCHES = 20
# Calendar months differ by up to 3 days: SQL fetches a little past the cutoff and the
# pure rules decide exactly, so the database and the rules never disagree on a boundary.
_MARGIN = timedelta(days=4)


@dataclass(frozen=True)
class Evidence:
    """How a consent change reached us, kept in the ledger (never shown to the person)."""

    method: str
    ip: str | None = None
    user_agent: str | None = None


async def save_contact_preferences(
    person_id: int, *, cadence: str, channels: list[str], pause_weeks: int | None,
    resume: bool, clock: Clock,
) -> None:
    """Cadence and channels; pause for N weeks, resume now, or leave a pause as it is."""
    errors = preference_errors(cadence, channels, pause_weeks)
    if errors:
        raise Invalid(errors=errors)
    now = clock.now()
    until = paused_until(now, pause_weeks) if pause_weeks is not None else None
    await execute(
        "INSERT INTO contact_preferences (person, cadence, channels, paused_until, updated_at) "
        "VALUES ($1, $2, $3, $4, $6) ON CONFLICT (person) DO UPDATE SET cadence = $2, "
        "channels = $3, updated_at = $6, paused_until = CASE WHEN $5 THEN NULL "
        "WHEN $4::timestamptz IS NOT NULL THEN $4 ELSE contact_preferences.paused_until END",
        person_id, cadence, sorted(set(channels)), until, resume, now,
    )


def _check_interests(interests: list[str], community: dict) -> list[str]:
    if set(interests) - set(community["interest_options"] or []):
        raise Invalid(errors={"interests": "Choose interests from the list."})
    return list(dict.fromkeys(interests))


async def _consented(person_id: int, scope: str, now: datetime) -> bool:
    state = await consent.decisive_state(person_id, COMMUNITY_EMAILS, scope)
    policy = (await consent.policies()).get(COMMUNITY_EMAILS)
    return state is not None and is_contactable(state["action"], state["occurred_at"],
                                                policy, now)


async def _current_text_id(purpose: str, shown_text_id: int) -> int:
    text = await consent.current_text(purpose)
    if text["id"] != shown_text_id:
        # Consent to wording nobody saw is not consent: ask again with the current text.
        raise Invalid(errors={"consent": "Our consent text has changed. Please read it again."})
    return int(text["id"])


async def join(person_id: int, slug: str, *, interests: list[str], consent_text_id: int,
               evidence: Evidence, clock: Clock) -> bool:
    """Join a public community while signed in; False when already a member.

    A signed-in session already proves the person controls the address (the magic link
    went there), so a second confirmation email would prove nothing new: consent is
    recorded as 'given' at once, with method `portal_signed_in` and the exact text shown.
    """
    community = await communities.get_public(slug)
    chosen = _check_interests(interests, community)
    text_id = await _current_text_id(COMMUNITY_EMAILS, consent_text_id)
    now = clock.now()
    async with transaction():
        await consent.lock_person(person_id)
        await execute(
            "INSERT INTO community_memberships (person, community, status, interests, "
            "requested_at) VALUES ($1, $2, 'pending', $3, $4) ON CONFLICT (person, community) "
            "DO UPDATE SET interests = EXCLUDED.interests",
            person_id, community["id"], chosen, now,
        )
        if await _consented(person_id, slug, now):
            return False
        await consent.give(person_id=person_id, purpose=COMMUNITY_EMAILS, scope=slug,
                           text_id=text_id, method=evidence.method, now=now, ip=evidence.ip,
                           user_agent=evidence.user_agent)
        await engagement.record(person_id=person_id, type="community_joined", occurred_at=now,
                                source="portal", payload={"community": slug,
                                                          "method": evidence.method})
    return True


async def _membership(person_id: int, slug: str) -> dict:
    found = await queries.membership(person_id, slug)
    if found is None:
        raise NotFound("You are not a member of that community.")
    return found


async def set_interests(person_id: int, slug: str, interests: list[str]) -> None:
    membership = await _membership(person_id, slug)
    chosen = _check_interests(interests, membership)
    await execute("UPDATE community_memberships SET interests = $2 WHERE id = $1",
                  membership["id"], chosen)


async def leave(person_id: int, slug: str, *, clock: Clock) -> None:
    """Leave a community: consent 'withdrawn' (preference centre) and membership 'left'.
    Leaving twice changes nothing the second time."""
    now = clock.now()
    async with transaction():
        membership = await _membership(person_id, slug)
        withdrawn = await consent.withdraw(person_id=person_id, purpose=COMMUNITY_EMAILS,
                                           scope=slug, method="preference_centre", now=now)
        if withdrawn or membership["status"] != "left":
            await engagement.record(person_id=person_id, type="community_left",
                                    occurred_at=now, source="portal",
                                    payload={"community": slug})


async def withdraw_consent(person_id: int, purpose: str, scope: str, *, clock: Clock) -> None:
    """The one-click withdrawal on the consent page, for any purpose."""
    if purpose == COMMUNITY_EMAILS and await queries.membership(person_id, scope):
        await leave(person_id, scope, clock=clock)
        return
    now = clock.now()
    async with transaction():
        if await consent.withdraw(person_id=person_id, purpose=purpose, scope=scope,
                                  method="preference_centre", now=now):
            await engagement.record(person_id=person_id, type="consent_withdrawn",
                                    occurred_at=now, source="portal",
                                    payload={"purpose": purpose, "scope": scope})


async def give_consent(person_id: int, purpose: str, scope: str, *, consent_text_id: int,
                       evidence: Evidence, clock: Clock) -> None:
    """Rejoin a community left earlier, or renew consent before or after it expired:
    one click, with the current text shown beside the button."""
    if purpose != COMMUNITY_EMAILS:
        raise Invalid("Only community consent can be given again from here.")
    await _membership(person_id, scope)
    text_id = await _current_text_id(purpose, consent_text_id)
    now = clock.now()
    async with transaction():
        renewing = await _consented(person_id, scope, now)
        await consent.give(person_id=person_id, purpose=purpose, scope=scope, text_id=text_id,
                           method=evidence.method, now=now, ip=evidence.ip,
                           user_agent=evidence.user_agent)
        await engagement.record(
            person_id=person_id, type="consent_renewed" if renewing else "community_joined",
            occurred_at=now, source="portal", payload={"community": scope,
                                                       "method": evidence.method})


# --- Consent expiry: remind before, expire after (an hourly task) -------------------------


async def sweep_consent_expiry(*, clock: Clock, queue: TaskQueue | None,
                               batch: int = SWEEP_BATCH) -> dict[str, int]:
    """Append 'expired' to consent past its policy's date, then queue one re-consent
    email for consent inside the reminder window. Safe to run twice."""
    now = clock.now()
    counts = {"expired": 0, "reminded": 0}
    for policy in (await consent.policies()).values():
        counts["expired"] += await _expire_due(policy, now, batch)
        counts["reminded"] += await _remind_due(policy, now, batch, queue)
    return counts


async def _expire_due(policy: ExpiryPolicy, now: datetime, batch: int) -> int:
    cutoff = add_months(now, -policy.expiry_months) + _MARGIN
    expired = 0
    for _ in range(SWEEP_MAX_BATCHES):
        rows = await queries.current_given_before(policy.purpose, cutoff, batch)
        # Oldest first: once one is not due, none after it is.
        due = [r for r in rows if expiry_phase(r["occurred_at"], policy, now) == "expired"]
        for row in due:
            async with transaction():
                if await consent.expire(row["id"], now=now) is None:
                    continue  # renewed or withdrawn meanwhile
                await engagement.record(
                    person_id=row["person"], type="consent_expired", occurred_at=now,
                    source="policy", payload={"purpose": row["purpose"], "scope": row["scope"]})
            expired += 1
        if len(due) < batch:
            break
    return expired


async def _remind_due(policy: ExpiryPolicy, now: datetime, batch: int,
                      queue: TaskQueue | None) -> int:
    cutoff = add_months(now, -policy.expiry_months) + timedelta(days=policy.reminder_days)
    reminded = 0
    for _ in range(SWEEP_MAX_BATCHES):
        rows = await queries.current_given_before(policy.purpose, cutoff + _MARGIN, batch,
                                                  unreminded=True)
        due = [r for r in rows if expiry_phase(r["occurred_at"], policy, now) == "remind"]
        # Suppressed addresses (erased, bounced, complained) get no mail of any kind.
        blocked = await consent.suppressed_emails([r["email"] for r in due])
        for row in (r for r in due if r["email"] not in blocked):
            async with transaction():
                queued = await mail.queue_email(
                    person_id=row["person"], to=row["email"], template="reconsent_request",
                    context={"record_id": row["id"]}, now=now, queue=queue,
                    dedupe_key=reconsent_dedupe_key(row["person"], row["purpose"],
                                                    row["scope"], row["id"]))
            reminded += queued is not None
        if len(rows) < batch or len(due) - len(blocked) <= 0:
            break
    return reminded
