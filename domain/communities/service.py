"""Talent communities: join with double opt-in, confirm by a single-use link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.consent import service as consent
from domain.consent.rules import COMMUNITY_EMAILS
from domain.db import fetch, transaction
from domain.engagement import service as engagement
from domain.errors import DomainError, NotFound
from domain.mail import service as mail
from domain.people import service as people
from domain.people.rules import first_name
from domain.ports import Clock, TaskQueue
from domain.tokens import service as tokens
from domain.tokens.signer import MAX_AGE, Purpose, TokenError, TokenExpired, TokenUsed
from settings import get_settings


@dataclass(frozen=True)
class JoinRequest:
    slug: str
    email: str
    full_name: str
    interests: tuple[str, ...]
    consent_text_id: int
    ip: str | None = None
    user_agent: str | None = None
    method: str = "web_form"  # how the request came (consent.rules.METHOD_LABELS)


class ConfirmationProblem(DomainError):
    """Why a confirmation link cannot be used: expired, used, invalid or left."""

    def __init__(self, kind: str, community: dict | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.community = community


def _subject(membership_id: int) -> str:
    return f"membership:{membership_id}"


async def list_public() -> list[dict]:
    return await fetch(
        "SELECT c.slug, c.name, c.description, "
        "(SELECT count(*) FROM community_memberships m "
        " WHERE m.community = c.id AND m.status = 'confirmed') AS member_count "
        "FROM talent_communities c WHERE c.is_public ORDER BY c.name"
    )


async def get_public(slug: str) -> dict:
    rows = await fetch(
        "SELECT id, slug, name, description, interest_options FROM talent_communities "
        "WHERE slug = $1 AND is_public",
        slug,
    )
    if not rows:
        raise NotFound("There is no talent community at this address.")
    return rows[0]


async def request_membership(
    request: JoinRequest, *, clock: Clock, queue: TaskQueue | None
) -> None:
    """Record a pending membership and send the confirmation (or a reminder to members).

    The response to the person is the same either way, so the form never reveals
    whether an address already belongs to a community.
    """
    now = clock.now()
    async with transaction():
        community = await get_public(request.slug)
        person = await people.find_or_create(
            email=request.email, full_name=request.full_name, source="portal", now=now
        )
        membership = await _lock_or_create_membership(person["id"], community["id"], request, now)
        if membership["status"] == "confirmed":
            await _queue_already_member(person, community, membership["id"], now, queue)
            return
        await consent.record(
            person_id=person["id"], purpose=COMMUNITY_EMAILS, scope=community["slug"],
            text_id=request.consent_text_id, action="requested", method=request.method,
            at=now, ip=request.ip, user_agent=request.user_agent,
        )
        await engagement.record(
            person_id=person["id"], type="community_join_requested", occurred_at=now,
            source="portal", payload={"community": community["slug"]},
        )
        await mail.queue_email(
            person_id=person["id"], to=person["email"], template="community_confirm",
            context={"membership_id": membership["id"]},
            # One confirmation per membership per minute: a double click sends one mail.
            dedupe_key=f"community_confirm:{membership['id']}:{now:%Y%m%d%H%M}",
            now=now, queue=queue,
        )


async def _lock_or_create_membership(
    person_id: int, community_id: int, request: JoinRequest, now: datetime
) -> dict:
    rows = await fetch(
        "INSERT INTO community_memberships (person, community, status, interests, requested_at) "
        "VALUES ($1, $2, 'pending', $3, $4) ON CONFLICT (person, community) DO NOTHING "
        "RETURNING id, status",
        person_id, community_id, list(request.interests), now,
    )
    if rows:
        return rows[0]
    rows = await fetch(
        "SELECT id, status FROM community_memberships WHERE person = $1 AND community = $2 "
        "FOR UPDATE",
        person_id, community_id,
    )
    membership = rows[0]
    if membership["status"] != "confirmed":
        await fetch(
            "UPDATE community_memberships SET status = 'pending', interests = $2, "
            "requested_at = $3 WHERE id = $1",
            membership["id"], list(request.interests), now,
        )
        membership["status"] = "pending"
    return membership


async def _queue_already_member(
    person: dict, community: dict, membership_id: int, now: datetime, queue: TaskQueue | None
) -> None:
    await mail.queue_email(
        person_id=person["id"], to=person["email"], template="community_already_member",
        context={"membership_id": membership_id},
        dedupe_key=f"community_already_member:{membership_id}:{now:%Y%m%d}",
        now=now, queue=queue,
    )


async def _membership(membership_id: int, *, lock: bool = False) -> dict | None:
    rows = await fetch(
        "SELECT m.id, m.status, m.person, p.full_name, p.email, "  # nosec B608 # constant SQL; the lock clause is a literal
        "c.id AS community_id, c.slug, c.name "
        "FROM community_memberships m JOIN people p ON p.id = m.person "
        "JOIN talent_communities c ON c.id = m.community WHERE m.id = $1"
        + (" FOR UPDATE OF m" if lock else ""),
        membership_id,
    )
    return rows[0] if rows else None


async def _community_of(error: TokenError) -> dict | None:
    if error.claims is None:
        return None
    membership = await _membership(_membership_id(error.claims.subject))
    return {"slug": membership["slug"], "name": membership["name"]} if membership else None


def _membership_id(subject: str) -> int:
    prefix, _, raw_id = subject.partition(":")
    return int(raw_id) if prefix == "membership" and raw_id.isdigit() else 0


def _problem_kind(error: TokenError) -> str:
    if isinstance(error, TokenExpired):
        return "expired"
    if isinstance(error, TokenUsed):
        return "used"
    return "invalid"


async def confirmation_preview(token: str, *, clock: Clock) -> dict:
    """What the GET page shows before the person presses the button. Consumes nothing."""
    try:
        claims = await tokens.peek(purpose=Purpose.COMMUNITY_OPTIN, token=token, clock=clock)
    except TokenError as exc:
        raise ConfirmationProblem(_problem_kind(exc), await _community_of(exc)) from exc
    membership = await _membership(_membership_id(claims.subject))
    if membership is None:
        raise ConfirmationProblem("invalid")
    _refuse_unless_pending(membership)
    return {
        "community": {"slug": membership["slug"], "name": membership["name"]},
        "first_name": first_name(membership["full_name"]),
    }


def _refuse_unless_pending(membership: dict) -> None:
    community = {"slug": membership["slug"], "name": membership["name"]}
    if membership["status"] == "confirmed":
        raise ConfirmationProblem("used", community)
    if membership["status"] == "left":
        raise ConfirmationProblem("left", community)


async def confirm_membership(
    token: str, *, clock: Clock, ip: str | None = None, user_agent: str | None = None
) -> dict:
    """Consume the link and record consent 'given'. Returns the community."""
    now = clock.now()
    try:
        async with transaction():
            claims = await tokens.consume(purpose=Purpose.COMMUNITY_OPTIN, token=token, clock=clock)
            membership = await _membership(_membership_id(claims.subject), lock=True)
            if membership is None:
                raise ConfirmationProblem("invalid")
            _refuse_unless_pending(membership)
            await _record_confirmation(membership, now, ip, user_agent)
    except TokenError as exc:
        raise ConfirmationProblem(_problem_kind(exc), await _community_of(exc)) from exc
    return {"slug": membership["slug"], "name": membership["name"]}


async def _record_confirmation(
    membership: dict, now: datetime, ip: str | None, user_agent: str | None
) -> None:
    await fetch(
        "UPDATE community_memberships SET status = 'confirmed', confirmed_at = $2, left_at = NULL "
        "WHERE id = $1",
        membership["id"], now,
    )
    requested = await fetch(
        "SELECT consent_text FROM consent_records WHERE person = $1 AND purpose = $2 "
        "AND scope = $3 AND action = 'requested' ORDER BY occurred_at DESC, id DESC LIMIT 1",
        membership["person"], COMMUNITY_EMAILS, membership["slug"],
    )
    await consent.record(
        person_id=membership["person"], purpose=COMMUNITY_EMAILS, scope=membership["slug"],
        text_id=requested[0]["consent_text"] if requested else None, action="given",
        method="double_opt_in", at=now, ip=ip, user_agent=user_agent,
    )
    await engagement.record(
        person_id=membership["person"], type="community_joined", occurred_at=now,
        source="portal", payload={"community": membership["slug"]},
    )


async def email_context(template: str, context: dict, *, clock: Clock) -> dict:
    """Render context for the community emails; the confirmation token is minted at send
    time so the raw token is never stored anywhere."""
    settings = get_settings()
    membership = await _membership(int(context["membership_id"]))
    if membership is None:
        raise NotFound("membership no longer exists")
    base = {
        "person_name": first_name(membership["full_name"]),
        "community_name": membership["name"],
        "community_url": f"{settings.base_url}/communities/{membership['slug']}",
        "expires_days": MAX_AGE[Purpose.COMMUNITY_OPTIN].days,
    }
    if template == "community_confirm":
        token = await tokens.issue(
            purpose=Purpose.COMMUNITY_OPTIN, subject=_subject(membership["id"]), clock=clock
        )
        base["confirm_url"] = f"{settings.base_url}/confirm/{token}"
    return base
