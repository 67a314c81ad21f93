"""The preference centre services and the consent-expiry sweep on PostgreSQL."""

import time
from datetime import timedelta

import pytest

from domain.consent import service as consent
from domain.db import execute, fetch
from domain.errors import Invalid, NotFound
from domain.mail import contexts
from domain.people import service as people
from domain.preferences import emails as links
from domain.preferences import queries
from domain.preferences import service as preferences
from domain.preferences.emails import LinkProblem
from domain.preferences.service import Evidence

SIGNED_IN = Evidence("portal_signed_in", ip="203.0.113.7", user_agent="pytest")


async def person(clock, email="ann@example.com") -> int:
    row = await people.find_or_create(email=email, full_name="Ann Smith", source="test",
                                      now=clock.now())
    return row["id"]


async def text_id() -> int:
    return (await consent.current_text("community_emails"))["id"]


async def ledger(person_id):
    rows = await fetch("SELECT action, method FROM consent_records WHERE person = $1 "
                       "ORDER BY id", person_id)
    return [(r["action"], r["method"]) for r in rows]


async def membership_status(person_id):
    return (await fetch("SELECT status FROM community_memberships WHERE person = $1",
                        person_id))[0]["status"]


async def events(person_id):
    rows = await fetch("SELECT type FROM engagement_events WHERE person = $1 ORDER BY id",
                       person_id)
    return [r["type"] for r in rows]


async def joined(clock, community, email="ann@example.com") -> int:
    ann = await person(clock, email)
    assert await preferences.join(ann, "engineering", interests=["backend"],
                                  consent_text_id=await text_id(), evidence=SIGNED_IN,
                                  clock=clock)
    return ann


async def test_signed_in_join_records_consent_given_at_once(clock, community):
    ann = await joined(clock, community)
    assert await ledger(ann) == [("given", "portal_signed_in")]
    assert await membership_status(ann) == "confirmed"
    assert await events(ann) == ["community_joined"]
    again = await preferences.join(ann, "engineering", interests=["frontend"],
                                   consent_text_id=await text_id(), evidence=SIGNED_IN,
                                   clock=clock)
    assert again is False
    assert await ledger(ann) == [("given", "portal_signed_in")]
    rows = await fetch("SELECT interests FROM community_memberships")
    assert rows[0]["interests"] == ["frontend"]


async def test_join_refuses_stale_text_unknown_interests_and_private_communities(
        clock, community):
    ann = await person(clock)
    with pytest.raises(Invalid) as stale:
        await preferences.join(ann, "engineering", interests=[], consent_text_id=-1,
                               evidence=SIGNED_IN, clock=clock)
    assert "consent" in stale.value.errors
    with pytest.raises(Invalid):
        await preferences.join(ann, "engineering", interests=["astrology"],
                               consent_text_id=await text_id(), evidence=SIGNED_IN,
                               clock=clock)
    await execute("UPDATE talent_communities SET is_public = false")
    with pytest.raises(NotFound):
        await preferences.join(ann, "engineering", interests=[],
                               consent_text_id=await text_id(), evidence=SIGNED_IN,
                               clock=clock)
    assert await ledger(ann) == []
    assert await fetch("SELECT id FROM community_memberships") == []


async def test_leaving_withdraws_consent_once(clock, community):
    ann = await joined(clock, community)
    clock.advance(minutes=1)
    await preferences.leave(ann, "engineering", clock=clock)
    await preferences.leave(ann, "engineering", clock=clock)
    assert await ledger(ann) == [("given", "portal_signed_in"),
                                 ("withdrawn", "preference_centre")]
    assert await membership_status(ann) == "left"
    assert await events(ann) == ["community_joined", "community_left"]
    assert not await consent.can_email(ann, "community_emails", "engineering", at=clock.now())


async def test_leaving_cancels_a_pending_double_opt_in(clock, community):
    ann = await person(clock)
    await execute("INSERT INTO community_memberships (person, community, status, requested_at) "
                  "VALUES ($1, $2, 'pending', $3)", ann, community["id"], clock.now())
    await consent.record(person_id=ann, purpose="community_emails", scope="engineering",
                         text_id=await text_id(), action="requested", method="web_form",
                         at=clock.now())
    await preferences.leave(ann, "engineering", clock=clock)
    assert await ledger(ann) == [("requested", "web_form"), ("withdrawn", "preference_centre")]
    assert await membership_status(ann) == "left"


async def test_rejoining_and_renewing_take_one_call_with_the_current_text(clock, community):
    ann = await joined(clock, community)
    await preferences.leave(ann, "engineering", clock=clock)
    with pytest.raises(Invalid):
        await preferences.give_consent(ann, "community_emails", "engineering",
                                       consent_text_id=-1, evidence=SIGNED_IN, clock=clock)
    link = Evidence("preference_link")
    await preferences.give_consent(ann, "community_emails", "engineering",
                                   consent_text_id=await text_id(), evidence=link, clock=clock)
    assert await membership_status(ann) == "confirmed"
    await preferences.give_consent(ann, "community_emails", "engineering",
                                   consent_text_id=await text_id(), evidence=link, clock=clock)
    assert (await ledger(ann))[-2:] == [("given", "preference_link")] * 2
    assert (await events(ann))[-2:] == ["community_joined", "consent_renewed"]
    with pytest.raises(NotFound):
        await preferences.give_consent(ann, "community_emails", "sales",
                                       consent_text_id=await text_id(), evidence=link,
                                       clock=clock)


async def test_interests_are_checked_against_the_community(clock, community):
    ann = await joined(clock, community)
    await preferences.set_interests(ann, "engineering", ["frontend", "infrastructure"])
    rows = await fetch("SELECT interests FROM community_memberships")
    assert rows[0]["interests"] == ["frontend", "infrastructure"]
    with pytest.raises(Invalid):
        await preferences.set_interests(ann, "engineering", ["astrology"])
    with pytest.raises(NotFound):
        await preferences.set_interests(ann, "sales", [])


async def test_contact_preferences_pause_keep_and_resume(clock):
    ann = await person(clock)
    assert (await queries.contact_preferences(ann, now=clock.now()))["channels"] == ["email"]
    await preferences.save_contact_preferences(ann, cadence="weekly_digest", channels=["email"],
                                               pause_weeks=3, resume=False, clock=clock)
    prefs = await queries.contact_preferences(ann, now=clock.now())
    assert prefs["cadence"] == "weekly_digest" and prefs["paused"]
    assert prefs["paused_until"] == clock.now() + timedelta(weeks=3)
    await preferences.save_contact_preferences(ann, cadence="monthly_digest", channels=["email"],
                                               pause_weeks=None, resume=False, clock=clock)
    assert (await queries.contact_preferences(ann, now=clock.now()))["paused"], "kept"
    await preferences.save_contact_preferences(ann, cadence="monthly_digest", channels=["email"],
                                               pause_weeks=None, resume=True, clock=clock)
    assert not (await queries.contact_preferences(ann, now=clock.now()))["paused"]
    with pytest.raises(Invalid) as bad:
        await preferences.save_contact_preferences(ann, cadence="hourly", channels=[],
                                                   pause_weeks=27, resume=False, clock=clock)
    assert set(bad.value.errors) == {"cadence", "channels", "pause"}


async def test_the_ledger_view_quotes_the_text_but_never_ip_or_user_agent(clock, community):
    ann = await joined(clock, community)
    history = await queries.consent_history(ann)
    assert history[0]["text_body"].startswith("Yes, I want to join")
    assert history[0]["scope_label"] == "Engineering"
    assert not {"ip", "user_agent"} & set(history[0])
    overview = await queries.consent_overview(history, now=clock.now())
    assert overview[0]["can_withdraw"] and not overview[0]["can_give"]
    assert overview[0]["expires_at"] == clock.now().replace(year=clock.now().year + 2)


async def test_preference_links_name_one_person_and_resist_forgery(clock, monkeypatch):
    ann = await person(clock)
    token = links.preferences_url(ann, clock).rsplit("/", 1)[1]
    assert await links.person_from_link(token) == ann
    with pytest.raises(LinkProblem) as forged:
        await links.person_from_link(token[:-3] + ("aaa" if token[-3:] != "aaa" else "bbb"))
    assert forged.value.kind == "invalid"
    unsubscribe_token = links.unsubscribe_url(ann, "community_emails", "x").rsplit("/", 1)[1]
    with pytest.raises(LinkProblem):  # a token for another purpose never verifies
        await links.person_from_link(unsubscribe_token)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 365 * 86400)
    assert await links.person_from_link(token) == ann
    monkeypatch.setattr(time, "time", lambda: now + 401 * 86400)
    with pytest.raises(LinkProblem) as expired:
        await links.person_from_link(token)
    assert expired.value.kind == "expired"


async def test_unsubscribe_withdraws_once(clock, community):
    ann = await joined(clock, community)
    token = links.unsubscribe_url(ann, "community_emails", "engineering").rsplit("/", 1)[1]
    preview = await links.unsubscribe_preview(token)
    assert preview["scope_label"] == "Engineering"
    assert await ledger(ann) == [("given", "portal_signed_in")], "a preview changes nothing"
    for _ in range(3):
        await links.unsubscribe(token, method="one_click_unsubscribe", clock=clock)
    assert await ledger(ann) == [("given", "portal_signed_in"),
                                 ("withdrawn", "one_click_unsubscribe")]
    assert (await events(ann)).count("unsubscribed") == 1
    assert await membership_status(ann) == "left"


async def reminders():
    return await fetch("SELECT to_address, template, kind, context FROM outbound_emails "
                       "WHERE template = 'reconsent_request'")


async def test_the_sweep_reminds_once_then_expires(clock, community):
    ann = await joined(clock, community)
    clock.advance(days=365 * 2 - 40)
    assert await preferences.sweep_consent_expiry(clock=clock, queue=None) == {
        "expired": 0, "reminded": 0}
    clock.advance(days=15)
    assert (await preferences.sweep_consent_expiry(clock=clock, queue=None))["reminded"] == 1
    assert (await preferences.sweep_consent_expiry(clock=clock, queue=None))["reminded"] == 0
    sent = await reminders()
    assert len(sent) == 1 and sent[0]["kind"] == "transactional"
    context = await contexts.build("reconsent_request", {"record_id": 1}, clock=clock)
    assert context["renew_url"].startswith("http://testserver/preferences/")
    assert context["scope_label"] == "Engineering"

    clock.advance(days=30)
    assert (await preferences.sweep_consent_expiry(clock=clock, queue=None))["expired"] == 1
    assert (await preferences.sweep_consent_expiry(clock=clock, queue=None))["expired"] == 0
    assert (await ledger(ann))[-1] == ("expired", "policy")
    assert await membership_status(ann) == "left"
    assert not await consent.can_email(ann, "community_emails", "engineering", at=clock.now())
    with pytest.raises(LookupError):  # a reminder still queued now has nothing to renew
        await contexts.build("reconsent_request", {"record_id": 1}, clock=clock)


async def test_renewal_restarts_the_clock_and_earns_a_new_reminder_later(clock, community):
    ann = await joined(clock, community)
    clock.advance(days=365 * 2 - 10)
    await preferences.sweep_consent_expiry(clock=clock, queue=None)
    await preferences.give_consent(ann, "community_emails", "engineering",
                                   consent_text_id=await text_id(),
                                   evidence=Evidence("preference_link"), clock=clock)
    clock.advance(days=20)
    assert await preferences.sweep_consent_expiry(clock=clock, queue=None) == {
        "expired": 0, "reminded": 0}
    assert await consent.can_email(ann, "community_emails", "engineering", at=clock.now())
    clock.advance(days=365 * 2 - 30)
    assert (await preferences.sweep_consent_expiry(clock=clock, queue=None))["reminded"] == 1
    assert len(await reminders()) == 2


async def test_suppressed_and_withdrawn_people_get_no_reminder(clock, community):
    from domain.privacy import suppression

    ann = await joined(clock, community)
    bob = await joined(clock, community, email="bob@example.com")
    await suppression.suppress("ann@example.com", reason="erased", now=clock.now())
    await preferences.leave(bob, "engineering", clock=clock)
    clock.advance(days=365 * 2 - 10)
    assert (await preferences.sweep_consent_expiry(clock=clock, queue=None))["reminded"] == 0
    assert ann and await reminders() == []


async def test_the_sweep_works_through_batches(clock, community):
    for index in range(7):
        await joined(clock, community, email=f"p{index}@example.com")
    clock.advance(days=365 * 2 - 10)
    counts = await preferences.sweep_consent_expiry(clock=clock, queue=None, batch=3)
    assert counts["reminded"] == 7
    clock.advance(days=11)
    counts = await preferences.sweep_consent_expiry(clock=clock, queue=None, batch=3)
    assert counts["expired"] == 7
