"""An address of a record merged into another (dedupe.merge) signs in, joins and applies
as the surviving record, following merges of merges; never as the merged (dead) one."""

from __future__ import annotations

import json

import pytest

from domain.communities import service as communities
from domain.communities.service import JoinRequest
from domain.db import fetch
from domain.dedupe import merge as merging
from domain.identity import service as identity
from domain.identity.emails import magic_link_context
from domain.identity.social import link_or_create
from domain.people import service as people
from domain.tokens import service as tokens
from domain.tokens.signer import Purpose
from tests.events_support import person
from tests.integration.test_dedupe_merge import _apply
from tests.jobs_support import create_requisition

pytestmark = pytest.mark.usefixtures("clean_state")

BY = "rec@corp.test"


async def _chain(clock) -> tuple[int, int, int]:
    """a@ merged into b@, then b@ merged into c@: returns (a, b, c)."""
    a, b, c = (await person("a@example.com"), await person("b@example.com"),
               await person("c@example.com"))
    await merging.merge(b, a, by=BY, now=clock.now())
    await merging.merge(c, b, by=BY, now=clock.now())
    return a, b, c


async def _sign_in_by_magic_link(email: str, clock) -> int:
    await identity.request_magic_link(email=email, next_path="", clock=clock, queue=None)
    [sent] = await fetch("SELECT person, to_address, template, context FROM outbound_emails")
    assert (sent["template"], sent["to_address"]) == ("magic_link", email)
    context = json.loads(sent["context"]) if isinstance(sent["context"], str) \
        else sent["context"]
    assert sent["person"] == context["person_id"]
    link = (await magic_link_context("magic_link", context, clock=clock))["sign_in_url"]
    token = link.rsplit("/", 1)[1]
    assert await identity.check_magic_link(token, clock=clock) == sent["person"]
    person_id, _ = await identity.redeem_magic_link(token, clock=clock)
    return person_id


async def test_a_magic_link_for_a_merged_address_signs_in_the_surviving_record(clock):
    kept, merged = await person("ann@example.com"), await person("ann2@example.com")
    await merging.merge(kept, merged, by=BY, now=clock.now())
    assert await _sign_in_by_magic_link("ann2@example.com", clock) == kept
    logins = await fetch("SELECT person FROM candidate_logins")
    assert logins == [{"person": kept}]


async def test_merges_of_merges_are_followed_to_the_live_record(clock):
    a, _, c = await _chain(clock)
    assert await _sign_in_by_magic_link("a@example.com", clock) == c
    assert await people.live_id(a) == c


async def test_a_link_sent_before_the_merge_signs_in_the_surviving_record(clock):
    kept, merged = await person("ann@example.com"), await person("ann2@example.com")
    token = await tokens.issue(purpose=Purpose.MAGIC_LINK,
                               subject=identity.person_subject(merged), clock=clock)
    await merging.merge(kept, merged, by=BY, now=clock.now())
    assert await identity.check_magic_link(token, clock=clock) == kept
    assert (await identity.redeem_magic_link(token, clock=clock))[0] == kept


async def test_social_sign_in_with_a_merged_address_links_the_surviving_record(clock):
    _, _, c = await _chain(clock)
    signed_in = await link_or_create(
        provider="oidc", issuer="https://accounts.google.example", subject="sub-1",
        email="A@example.com", email_verified=True, full_name="Ann", now=clock.now())
    assert signed_in == c
    assert await fetch("SELECT person FROM social_identities") == [{"person": c}]
    again = await link_or_create(
        provider="oidc", issuer="https://accounts.google.example", subject="sub-1",
        email="a@example.com", email_verified=True, full_name="Ann", now=clock.now())
    assert again == c


async def test_an_identity_left_on_a_merged_record_signs_in_the_surviving_one(clock):
    kept, merged = await person("ann@example.com"), await person("ann2@example.com")
    await merging.merge(kept, merged, by=BY, now=clock.now())
    # As if linked to the merged record (a row the merge did not move).
    await fetch("INSERT INTO social_identities (person, provider, issuer, subject, email, "
                "created_at) VALUES ($1, 'oidc', 'https://idp.example', 'sub-9', "
                "'ann2@example.com', now())", merged)
    signed_in = await link_or_create(
        provider="oidc", issuer="https://idp.example", subject="sub-9",
        email="ann2@example.com", email_verified=True, full_name="Ann", now=clock.now())
    assert signed_in == kept


async def test_joining_a_community_with_a_merged_address_joins_the_surviving_record(
        clock, community):
    _, _, c = await _chain(clock)
    [text] = await fetch("SELECT id FROM consent_texts WHERE purpose = 'community_emails'")
    await communities.request_membership(
        JoinRequest(slug="engineering", email="a@example.com", full_name="Ann",
                    interests=("backend",), consent_text_id=text["id"]),
        clock=clock, queue=None)
    assert await fetch("SELECT person FROM community_memberships") == [{"person": c}]
    assert await fetch("SELECT DISTINCT person FROM consent_records") == [{"person": c}]
    sent = await fetch("SELECT person, to_address FROM outbound_emails")
    assert sent == [{"person": c, "to_address": "a@example.com"}]


async def test_applying_with_an_address_merged_twice_applies_as_the_live_record(clock):
    await create_requisition("backend")
    _, _, c = await _chain(clock)
    applied = await _apply("backend", "a@example.com", clock)
    owner = await fetch("SELECT person FROM applications WHERE id = $1",
                        applied.application_id)
    assert owner == [{"person": c}]


async def test_find_or_create_returns_the_live_record_with_the_address_given(clock):
    _, _, c = await _chain(clock)
    found = await people.find_or_create(email="a@example.com", full_name="X", source="t",
                                        now=clock.now())
    assert (found["id"], found["email"], found["created"]) == (c, "a@example.com", False)
