"""The community join and confirm services on PostgreSQL, including under concurrency."""

import asyncio

import pytest

from domain.communities import service as communities
from domain.communities.service import ConfirmationProblem, JoinRequest
from domain.db import fetch
from domain.tokens import service as tokens
from domain.tokens.signer import Purpose, TokenInvalid, TokenUsed


def join_request(text_id: int, email: str = "ann@example.com") -> JoinRequest:
    return JoinRequest(slug="engineering", email=email, full_name="Ann Smith",
                       interests=("backend",), consent_text_id=text_id)


async def consent_text_id() -> int:
    return (await fetch("SELECT id FROM consent_texts"))[0]["id"]


async def confirmation_token(clock) -> str:
    membership = (await fetch("SELECT id FROM community_memberships"))[0]
    context = await communities.email_context(
        "community_confirm", {"membership_id": membership["id"]}, clock=clock)
    return context["confirm_url"].rsplit("/", 1)[1]


async def test_concurrent_joins_make_one_person_and_one_membership(clock, community):
    text_id = await consent_text_id()
    await asyncio.gather(*[
        communities.request_membership(join_request(text_id), clock=clock, queue=None)
        for _ in range(10)
    ])
    assert (await fetch("SELECT count(*) AS n FROM people"))[0]["n"] == 1
    assert (await fetch("SELECT count(*) AS n FROM community_memberships"))[0]["n"] == 1
    # Same minute: the dedupe key lets one confirmation email through.
    assert (await fetch("SELECT count(*) AS n FROM outbound_emails"))[0]["n"] == 1


async def test_concurrent_confirmations_confirm_once(clock, community):
    await communities.request_membership(join_request(await consent_text_id()), clock=clock,
                                         queue=None)
    token = await confirmation_token(clock)
    results = await asyncio.gather(
        *[communities.confirm_membership(token, clock=clock) for _ in range(8)],
        return_exceptions=True,
    )
    successes = [r for r in results if isinstance(r, dict)]
    problems = [r for r in results if isinstance(r, ConfirmationProblem)]
    assert len(successes) == 1
    assert len(problems) == 7
    assert {p.kind for p in problems} == {"used"}
    given = await fetch("SELECT count(*) AS n FROM consent_records WHERE action = 'given'")
    assert given[0]["n"] == 1


async def test_tokens_are_single_use_and_purpose_bound(clock):
    token = await tokens.issue(purpose=Purpose.COMMUNITY_OPTIN, subject="membership:1",
                               clock=clock)
    with pytest.raises(TokenInvalid):
        await tokens.consume(purpose=Purpose.MAGIC_LINK, token=token, clock=clock)
    await tokens.consume(purpose=Purpose.COMMUNITY_OPTIN, token=token, clock=clock)
    with pytest.raises(TokenUsed):
        await tokens.consume(purpose=Purpose.COMMUNITY_OPTIN, token=token, clock=clock)
    stored = await fetch("SELECT nonce_hash FROM issued_tokens")
    assert token not in stored[0]["nonce_hash"] and len(stored[0]["nonce_hash"]) == 64


async def test_confirmation_expires_after_seven_days(clock, community):
    await communities.request_membership(join_request(await consent_text_id()), clock=clock,
                                         queue=None)
    token = await confirmation_token(clock)
    clock.advance(days=7, seconds=1)
    with pytest.raises(ConfirmationProblem) as caught:
        await communities.confirm_membership(token, clock=clock)
    assert caught.value.kind == "expired"
    assert caught.value.community["slug"] == "engineering"


async def test_leaving_then_old_link_says_left(clock, community):
    await communities.request_membership(join_request(await consent_text_id()), clock=clock,
                                         queue=None)
    token = await confirmation_token(clock)
    await fetch("UPDATE community_memberships SET status = 'left'")
    with pytest.raises(ConfirmationProblem) as caught:
        await communities.confirmation_preview(token, clock=clock)
    assert caught.value.kind == "left"


async def test_private_communities_cannot_be_joined(clock, community):
    await fetch("UPDATE talent_communities SET is_public = false")
    from domain.errors import NotFound

    with pytest.raises(NotFound):
        await communities.request_membership(join_request(await consent_text_id()),
                                             clock=clock, queue=None)
    assert (await fetch("SELECT count(*) AS n FROM people"))[0]["n"] == 0


async def test_magic_links_expire_after_exactly_ten_minutes(clock):
    from datetime import timedelta

    from domain.identity import service as identity
    from domain.identity.service import SignInProblem, person_subject

    rows = await fetch(
        "INSERT INTO people (email, full_name, source, created_at, updated_at) "
        "VALUES ('ann@example.com', 'Ann', 'test', now(), now()) RETURNING id")
    issued_at = clock.now()
    fresh = await tokens.issue(purpose=Purpose.MAGIC_LINK,
                               subject=person_subject(rows[0]["id"]), clock=clock)
    stale = await tokens.issue(purpose=Purpose.MAGIC_LINK,
                               subject=person_subject(rows[0]["id"]), clock=clock)
    clock.current = issued_at + timedelta(minutes=9, seconds=59)
    person_id, _epoch = await identity.redeem_magic_link(fresh, clock=clock)
    assert person_id == rows[0]["id"]
    clock.current = issued_at + timedelta(minutes=10, seconds=1)
    with pytest.raises(SignInProblem) as caught:
        await identity.redeem_magic_link(stale, clock=clock)
    assert caught.value.kind == "expired"
