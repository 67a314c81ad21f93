"""Event news: the optional "email me about future events" box on a registration form.

Registering for an event is not consent to newsletters, so the box is separate and off
by default. A signed-in candidate has proved their address, so ticking it gives consent
at once; a guest only *requests* it and confirms with the link in their registration
email (double opt-in). The link is stateless: it confirms only while the latest ledger
entry is still that request, so it cannot bring back consent withdrawn since.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.consent import service as consent
from domain.consent.rules import EVENT_EMAILS
from domain.db import fetch, transaction
from domain.errors import DomainError
from domain.ports import Clock
from domain.tokens.links import LinkExpired, LinkInvalid, record_from, sign_record
from domain.tokens.signer import Purpose
from settings import get_settings

SCOPE = "all"


class NewsLinkProblem(DomainError):
    """kind: invalid | expired."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass(frozen=True)
class Evidence:
    ip: str
    user_agent: str


@dataclass(frozen=True)
class NewsOptIn:
    """The ticked box: the consent text version shown, and whether the address is proven
    (signed in)."""

    text_id: int
    verified: bool
    evidence: Evidence


async def current_text() -> dict:
    return await consent.current_text(EVENT_EMAILS)


async def _latest_action(person_id: int) -> str | None:
    state = await fetch(
        "SELECT action FROM consent_records WHERE person = $1 AND purpose = $2 "
        "AND scope = $3 ORDER BY occurred_at DESC, id DESC LIMIT 1",
        person_id, EVENT_EMAILS, SCOPE)
    return state[0]["action"] if state else None


async def opt_in(person_id: int, *, text_id: int, verified: bool, evidence: Evidence,
                 clock: Clock) -> str:
    """Record the ticked box: 'given' for a verified address, else 'requested'. Nothing
    when consent is already given. Returns the action recorded (or 'given' already)."""
    now = clock.now()
    async with transaction():
        await consent.lock_person(person_id)
        if await _latest_action(person_id) == "given":
            return "given"
        action = "given" if verified else "requested"
        await consent.record(person_id=person_id, purpose=EVENT_EMAILS, scope=SCOPE,
                             text_id=text_id, action=action,
                             method="portal_signed_in" if verified else "web_form", at=now,
                             ip=evidence.ip, user_agent=evidence.user_agent)
        return action


async def pending_confirm_url(person_id: int) -> str:
    """The confirmation link while a request waits for it, else ''."""
    if await _latest_action(person_id) != "requested":
        return ""
    token = sign_record(Purpose.EVENT_NEWS_OPTIN, "person", person_id)
    return f"{get_settings().base_url}/events/news/{token}"


def person_from_token(token: str) -> int:
    try:
        return record_from(Purpose.EVENT_NEWS_OPTIN, "person", token, invalid="invalid")
    except LinkExpired as exc:
        raise NewsLinkProblem("expired") from exc
    except LinkInvalid as exc:
        raise NewsLinkProblem("invalid") from exc


async def confirm(token: str, *, evidence: Evidence, clock: Clock) -> str:
    """'confirmed' | 'already' (given before) | 'not_pending' (withdrawn since)."""
    person_id = person_from_token(token)
    now = clock.now()
    async with transaction():
        await consent.lock_person(person_id)
        latest = await _latest_action(person_id)
        if latest == "given":
            return "already"
        if latest != "requested":
            return "not_pending"
        text = await consent.current_text(EVENT_EMAILS)
        await consent.record(person_id=person_id, purpose=EVENT_EMAILS, scope=SCOPE,
                             text_id=text["id"], action="given", method="double_opt_in",
                             at=now, ip=evidence.ip, user_agent=evidence.user_agent)
        return "confirmed"
