"""Linking social sign-in accounts to people, on PostgreSQL, including under concurrency."""

import asyncio

import pytest

from domain.db import fetch
from domain.errors import Invalid
from domain.identity.social import UnverifiedEmail, link_or_create

GOOGLE, OKTA = "https://accounts.google.example", "https://acme.okta.example"


async def link(clock, *, issuer=GOOGLE, subject="sub-1", email="ann@example.com",
               verified=True, provider="oidc", name="Ann Smith") -> int:
    return await link_or_create(provider=provider, issuer=issuer, subject=subject,
                                email=email, email_verified=verified, full_name=name,
                                now=clock.now())


async def people() -> list[dict]:
    return await fetch("SELECT id, email, full_name, source FROM people ORDER BY id")


async def identities() -> list[dict]:
    return await fetch("SELECT person, provider, issuer, subject, email, last_used_at "
                       "FROM social_identities ORDER BY id")


async def known_person(email="ann@example.com") -> int:
    rows = await fetch("INSERT INTO people (email, full_name, source, created_at, updated_at) "
                       "VALUES ($1, 'Ann Known', 'test', now(), now()) RETURNING id", email)
    return rows[0]["id"]


async def test_a_new_verified_email_creates_the_person_and_the_identity(clock):
    person_id = await link(clock, email="Ann@Example.COM")
    assert await people() == [{"id": person_id, "email": "ann@example.com",
                                "full_name": "Ann Smith", "source": "social"}]
    [identity] = await identities()
    assert (identity["person"], identity["issuer"], identity["subject"]) == \
        (person_id, GOOGLE, "sub-1")
    audit = await fetch("SELECT action, subject FROM audit_entries")
    assert audit == [{"action": "candidate.social_linked", "subject": f"person:{person_id}"}]


async def test_a_verified_email_links_to_the_existing_person_without_a_duplicate(clock):
    existing = await known_person()
    assert await link(clock) == existing
    assert len(await people()) == 1
    assert (await people())[0]["full_name"] == "Ann Known", "a provider must not rename"


@pytest.mark.parametrize(("email", "verified"), [
    ("ann@example.com", False), ("ann@example.com", "true"), (None, True), ("", True),
    ("not-an-address", True), (["ann@example.com"], True),
])
async def test_unverified_or_missing_email_is_refused_and_nothing_is_written(clock, email,
                                                                              verified):
    await known_person()
    with pytest.raises(UnverifiedEmail):
        await link(clock, email=email, verified=verified)
    assert len(await people()) == 1 and await identities() == []


async def test_same_issuer_new_subject_links_only_with_a_verified_email(clock):
    first = await link(clock, subject="sub-1")
    with pytest.raises(UnverifiedEmail):
        await link(clock, subject="sub-2", verified=False)
    assert await link(clock, subject="sub-2") == first
    assert len(await people()) == 1
    assert [row["subject"] for row in await identities()] == ["sub-1", "sub-2"]


async def test_two_issuers_with_the_same_verified_email_are_one_person(clock):
    from_google = await link(clock, issuer=GOOGLE, subject="same-sub")
    from_okta = await link(clock, issuer=OKTA, subject="same-sub")
    assert from_google == from_okta and len(await people()) == 1
    assert {(row["issuer"], row["person"]) for row in await identities()} == \
        {(GOOGLE, from_google), (OKTA, from_google)}


async def test_a_known_account_signs_in_by_issuer_and_subject_whatever_its_email(clock):
    person_id = await link(clock)
    clock.advance(days=3)
    # The provider now reports another, unverified address: the account is still Ann's.
    assert await link(clock, email="someone.else@example.com", verified=False) == person_id
    [identity] = await identities()
    assert identity["last_used_at"] == clock.now() and identity["email"] == "ann@example.com"
    assert len(await people()) == 1


async def test_concurrent_first_sign_ins_of_one_account_make_one_person(clock):
    results = await asyncio.gather(*[link(clock) for _ in range(10)])
    assert len(set(results)) == 1
    assert len(await people()) == 1 and len(await identities()) == 1


@pytest.mark.parametrize(("issuer", "subject"), [(GOOGLE, ""), ("", "sub"), (GOOGLE, "s" * 301)])
async def test_unusable_account_keys_are_invalid(clock, issuer, subject):
    with pytest.raises(Invalid):
        await link(clock, issuer=issuer, subject=subject)
    assert await people() == []
