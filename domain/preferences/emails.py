"""What emails need from the preference centre: signed links, the List-Unsubscribe
target of marketing mail, and the re-consent email's render context.

Preference and unsubscribe links are not single use and must keep working for months
(CAN-SPAM: at least 30 days), so they are signed tokens without a server-side record:
the signature (HMAC-SHA-256, a salt per purpose) and its 400-day age limit are the check.
"""

from __future__ import annotations

from domain.campaigns import tracking
from domain.consent import service as consent
from domain.consent.rules import COMMUNITY_EMAILS, PURPOSE_LABELS, expires_at
from domain.db import fetch, transaction
from domain.engagement import service as engagement
from domain.errors import DomainError
from domain.people.rules import first_name
from domain.ports import Clock
from domain.preferences.rules import (
    parse_unsubscribe_subject,
    person_of,
    person_subject,
    unsubscribe_subject,
)
from domain.tokens.signer import Purpose, TokenExpired, TokenInvalid, sign, unsign
from settings import get_settings


class LinkProblem(DomainError):
    """A preference or unsubscribe link that cannot be used: 'expired' or 'invalid'."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class NotContactable(LookupError):
    """A marketing email whose recipient may no longer be emailed for its purpose.
    A LookupError, so the send task records it as failed instead of retrying."""


def _token(purpose: Purpose, subject: str) -> str:
    # No nonce is needed without a server-side record; an empty one keeps links short.
    return sign(get_settings().secret_key, purpose, subject, "")


def _subject(purpose: Purpose, token: str) -> str:
    try:
        return unsign(get_settings().secret_key, purpose, token).subject
    except TokenExpired as exc:
        raise LinkProblem("expired") from exc
    except TokenInvalid as exc:
        raise LinkProblem("invalid") from exc


def preferences_url(person_id: int, clock: Clock | None = None) -> str:
    """The signed preference-centre link for one person. `clock` is accepted for symmetry
    with other link builders; itsdangerous stamps tokens with the real time."""
    token = _token(Purpose.PREFERENCES, person_subject(person_id))
    return f"{get_settings().base_url}/preferences/{token}"


def unsubscribe_url(person_id: int, purpose: str, scope: str) -> str:
    token = _token(Purpose.UNSUBSCRIBE, unsubscribe_subject(person_id, purpose, scope))
    return f"{get_settings().base_url}/u/{token}"


async def person_from_link(token: str) -> int:
    """The person a preference link belongs to (raises LinkProblem)."""
    person_id = person_of(_subject(Purpose.PREFERENCES, token))
    # An erased person kept only for retention (anonymised) has no preferences to manage.
    if person_id is None or not await fetch(
        "SELECT 1 FROM people WHERE id = $1 AND email NOT LIKE 'erased-%@invalid'", person_id
    ):
        raise LinkProblem("invalid")
    return person_id


def unsubscribe_target(token: str) -> tuple[int, str, str]:
    """(person_id, purpose, scope) of an unsubscribe link (raises LinkProblem)."""
    target = parse_unsubscribe_subject(_subject(Purpose.UNSUBSCRIBE, token))
    if target is None:
        raise LinkProblem("invalid")
    return target


async def _labels(purpose: str, scope: str) -> dict:
    rows = await fetch("SELECT name FROM talent_communities WHERE slug = $1", scope)
    return {"purpose_label": PURPOSE_LABELS.get(purpose, purpose),
            "scope_label": rows[0]["name"] if rows and purpose == COMMUNITY_EMAILS else scope}


async def unsubscribe_preview(token: str) -> dict:
    """What the GET page names before anyone presses the button. Changes nothing."""
    person_id, purpose, scope = unsubscribe_target(token)
    state = await consent.decisive_state(person_id, purpose, scope)
    return {**await _labels(purpose, scope), "person_id": person_id,
            "subscribed": state is not None and state["action"] == "given"}


async def unsubscribe(token: str, *, method: str, clock: Clock) -> dict:
    """RFC 8058 one-click (or the confirmation button): withdraw consent for the link's
    purpose and scope in one transaction, so it wins over any later send. Idempotent."""
    person_id, purpose, scope = unsubscribe_target(token)
    now = clock.now()
    async with transaction():
        if await consent.withdraw(person_id=person_id, purpose=purpose, scope=scope,
                                  method=method, now=now):
            await engagement.record(person_id=person_id, type="unsubscribed", occurred_at=now,
                                    source="email", payload={"purpose": purpose,
                                                             "scope": scope})
            # The reports credit the marketing email that led to it.
            await tracking.attribute_unsubscribe(person_id, purpose=purpose, scope=scope,
                                                 at=now)
    return {**await _labels(purpose, scope), "person_id": person_id}


async def marketing_links(row: dict, *, clock: Clock) -> dict[str, str]:
    """Footer links and the List-Unsubscribe URL for a marketing email row.

    Marketing rows carry `consent_purpose` and `consent_scope` in their stored context.
    Consent is checked again here, at send time, so a withdrawal wins over a queued send.
    """
    stored = row.get("context") or {}
    purpose, scope = stored.get("consent_purpose"), str(stored.get("consent_scope", ""))
    person_id = row.get("person")
    if person_id is None or not purpose:
        raise NotContactable("marketing email without a person and consent purpose")
    if not await consent.can_email(person_id, purpose, scope, at=clock.now()):
        raise NotContactable(f"no consent to email for {purpose}:{scope}")
    return {
        "unsubscribe_url": unsubscribe_url(person_id, purpose, scope),
        "preferences_url": preferences_url(person_id, clock),
    }


async def reconsent_context(template: str, stored: dict, *, clock: Clock) -> dict:
    """Render context for `reconsent_request`: refuses (LookupError) when the consent was
    renewed, withdrawn or expired before the email went out."""
    rows = await fetch(
        "SELECT r.person, r.purpose, r.scope, r.occurred_at, p.full_name, c.name AS community "
        "FROM consent_records r JOIN people p ON p.id = r.person "
        "LEFT JOIN talent_communities c ON c.slug = r.scope WHERE r.id = $1",
        int(stored["record_id"]),
    )
    if not rows:
        raise LookupError("consent record no longer exists")
    entry = rows[0]
    state = await consent.decisive_state(entry["person"], entry["purpose"], entry["scope"])
    policy = (await consent.policies()).get(entry["purpose"])
    if state is None or state["id"] != int(stored["record_id"]) or policy is None:
        raise LookupError("consent was renewed, withdrawn or expired: no reminder needed")
    links = preferences_url(entry["person"], clock)
    return {
        "person_name": first_name(entry["full_name"]),
        "purpose_label": PURPOSE_LABELS.get(entry["purpose"], entry["purpose"]),
        "scope_label": entry["community"] or entry["scope"],
        "given_on": entry["occurred_at"].strftime("%-d %B %Y"),
        "expires_on": expires_at(entry["occurred_at"], policy).strftime("%-d %B %Y"),
        "renew_url": f"{links}/consent",
        "preferences_url": links,
    }


EMAIL_CONTEXTS: dict = {"reconsent_request": reconsent_context}
