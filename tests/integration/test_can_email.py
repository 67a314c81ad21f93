"""consent.can_email on PostgreSQL: the check the campaign sender makes at claim time."""

from datetime import timedelta

from domain.consent import service as consent
from domain.db import execute, fetch
from domain.people import service as people
from domain.privacy import suppression

PURPOSE, SCOPE = "community_emails", "engineering"


async def person(clock, email="ann@example.com") -> int:
    row = await people.find_or_create(email=email, full_name="Ann Smith", source="test",
                                      now=clock.now())
    return row["id"]


async def text_id() -> int:
    return (await fetch("SELECT id FROM consent_texts"))[0]["id"]


async def entry(person_id, action, at, *, scope=SCOPE, method="double_opt_in"):
    await consent.record(person_id=person_id, purpose=PURPOSE, scope=scope,
                         text_id=await text_id(), action=action, method=method, at=at)


async def can(person_id, clock, scope=SCOPE) -> bool:
    return await consent.can_email(person_id, PURPOSE, scope, at=clock.now())


async def test_only_confirmed_consent_allows_email(clock):
    ann = await person(clock)
    assert not await can(ann, clock)
    await entry(ann, "requested", clock.now())
    assert not await can(ann, clock), "an unconfirmed double opt-in is not consent"
    clock.advance(minutes=5)
    await entry(ann, "given", clock.now())
    assert await can(ann, clock)
    assert not await can(ann, clock, scope="sales"), "consent is per scope"


async def test_withdrawal_and_expiry_stop_email(clock):
    ann, bob = await person(clock), await person(clock, "bob@example.com")
    for who in (ann, bob):
        await entry(who, "given", clock.now())
    clock.advance(minutes=1)
    await entry(ann, "withdrawn", clock.now(), method="preference_centre")
    await entry(bob, "expired", clock.now(), method="policy")
    assert not await can(ann, clock)
    assert not await can(bob, clock)


async def test_consent_past_its_policy_date_stops_email_before_the_task_runs(clock):
    ann = await person(clock)
    await entry(ann, "given", clock.now())
    clock.advance(days=365 * 2 - 1)
    assert await can(ann, clock)
    clock.advance(days=2)
    assert not await can(ann, clock)
    await execute("UPDATE consent_policies SET expiry_months = 36 WHERE purpose = $1", PURPOSE)
    assert await can(ann, clock), "the policy is read at check time"


async def test_the_answer_is_as_of_the_given_moment(clock):
    ann = await person(clock)
    before = clock.now()
    clock.advance(hours=1)
    await entry(ann, "given", clock.now())
    assert not await consent.can_email(ann, PURPOSE, SCOPE, at=before)
    assert await consent.can_email(ann, PURPOSE, SCOPE, at=clock.now())


async def test_a_pause_stops_email_until_it_ends(clock):
    ann = await person(clock)
    await entry(ann, "given", clock.now())
    await execute(
        "INSERT INTO contact_preferences (person, cadence, channels, paused_until, updated_at) "
        "VALUES ($1, 'every_update', '{email}', $2, $3)",
        ann, clock.now() + timedelta(weeks=2), clock.now())
    assert not await can(ann, clock)
    clock.advance(weeks=2)
    assert await can(ann, clock)


async def test_email_must_be_among_the_chosen_channels(clock):
    ann = await person(clock)
    await entry(ann, "given", clock.now())
    await execute(
        "INSERT INTO contact_preferences (person, cadence, channels, updated_at) "
        "VALUES ($1, 'weekly_digest', '{sms}', $2)", ann, clock.now())
    assert not await can(ann, clock)
    await execute("UPDATE contact_preferences SET channels = '{}' WHERE person = $1", ann)
    assert await can(ann, clock), "no channel recorded means the default, email"


async def test_a_suppressed_address_is_never_emailed(clock):
    ann, bob = await person(clock), await person(clock, "bob@example.com")
    for who in (ann, bob):
        await entry(who, "given", clock.now())
    await suppression.suppress("Ann@Example.com", reason="hard_bounce", now=clock.now())
    assert not await can(ann, clock)
    assert await can(bob, clock)
    assert await consent.suppressed_emails(["ann@example.com", "bob@example.com"]) == {
        "ann@example.com"}


async def test_unknown_people_cannot_be_emailed(clock):
    assert not await consent.can_email(999_999, PURPOSE, SCOPE, at=clock.now())
