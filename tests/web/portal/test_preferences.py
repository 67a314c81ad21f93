"""The preference centre and consent history through HTTP, signed in and by signed link."""

import re
import time

import pytest

from domain.db import execute, fetch
from domain.people import service as people
from domain.preferences import emails as links

TEXT_ID = re.compile(r'name="consent_text_id" value="(\d+)"')


@pytest.fixture
async def communities(community):
    await execute(
        "INSERT INTO talent_communities (slug, name, description, is_public, interest_options, "
        "created_at) VALUES ('sales', 'Sales', 'Sell with us.', true, ARRAY['enterprise'], now())")
    return community


async def join(browser, slug="engineering", interests=("backend",), consent=True):
    page = await browser.get("/account/preferences")
    data = [("consent_text_id", TEXT_ID.search(page.text).group(1))]
    data += [("interests", value) for value in interests]
    if consent:
        data.append(("consent", "yes"))
    return await browser.submit(f"/account/preferences/communities/{slug}/join", data)


async def ledger(person_id):
    rows = await fetch("SELECT action, method, scope FROM consent_records WHERE person = $1 "
                       "ORDER BY id", person_id)
    return [(r["action"], r["method"], r["scope"]) for r in rows]


async def statuses(person_id):
    rows = await fetch("SELECT c.slug, m.status FROM community_memberships m JOIN "
                       "talent_communities c ON c.id = m.community WHERE m.person = $1", person_id)
    return {r["slug"]: r["status"] for r in rows}


async def test_signed_out_visitors_are_sent_to_sign_in(browser):
    for path in ("/account/preferences", "/account/consent"):
        response = await browser.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/account/sign-in?next=")


async def test_join_and_leave_several_communities_when_signed_in(candidate, communities):
    page = await candidate.get("/account/preferences")
    assert page.status_code == 200 and "Engineering" in page.text and "Sales" in page.text
    assert (await join(candidate)).status_code == 303
    assert (await join(candidate, "sales", interests=("enterprise",))).status_code == 303
    who = candidate.person_id
    assert await statuses(who) == {"engineering": "confirmed", "sales": "confirmed"}
    assert await ledger(who) == [("given", "portal_signed_in", "engineering"),
                                 ("given", "portal_signed_in", "sales")]
    left = await candidate.submit("/account/preferences/communities/sales/leave", {})
    assert left.status_code == 303 and "updated=left" in left.headers["location"]
    assert (await statuses(who))["sales"] == "left"
    assert (await ledger(who))[-1] == ("withdrawn", "preference_centre", "sales")
    events = await fetch("SELECT type FROM engagement_events WHERE person = $1 ORDER BY id", who)
    assert [e["type"] for e in events] == ["community_joined", "community_joined",
                                           "community_left"]


async def test_joining_needs_the_box_ticked_against_the_current_text(candidate, communities):
    response = await join(candidate, consent=False)
    assert response.status_code == 422 and "Tick the box" in response.text
    page = await candidate.get("/account/preferences")
    stale = [("consent_text_id", "0"), ("consent", "yes")]
    response = await candidate.submit("/account/preferences/communities/engineering/join", stale)
    assert response.status_code == 422 and "consent text has changed" in response.text
    assert "Version 1" in page.text
    assert await ledger(candidate.person_id) == []


async def test_topics_are_saved_per_community(candidate, communities):
    await join(candidate)
    await candidate.get("/account/preferences")
    response = await candidate.submit("/account/preferences/communities/engineering/interests",
                                      [("interests", "frontend"), ("interests", "infrastructure")])
    assert response.status_code == 303
    rows = await fetch("SELECT interests FROM community_memberships")
    assert rows[0]["interests"] == ["frontend", "infrastructure"]
    bad = await candidate.submit("/account/preferences/communities/engineering/interests",
                                 [("interests", "astrology")])
    assert bad.status_code == 422 and "Choose interests from the list" in bad.text


async def test_cadence_channels_and_pause(app, candidate, clock):
    app.state.clock = clock
    await candidate.get("/account/preferences")
    response = await candidate.submit("/account/preferences", [
        ("cadence", "monthly_digest"), ("channels", "email"), ("pause", "4")])
    assert response.status_code == 303
    row = (await fetch("SELECT cadence, channels, paused_until FROM contact_preferences"))[0]
    assert row["cadence"] == "monthly_digest" and row["channels"] == ["email"]
    assert (row["paused_until"] - clock.now()).days == 28
    page = await candidate.get("/account/preferences")
    assert "paused until" in page.text and "Resume now" in page.text
    bad = await candidate.submit("/account/preferences", [
        ("cadence", "hourly"), ("pause", "27")])
    assert bad.status_code == 422
    for message in ("Choose how often", "at least one channel", "Pause for 1 to 26 weeks"):
        assert message in bad.text
    resumed = await candidate.submit("/account/preferences", [
        ("cadence", "monthly_digest"), ("channels", "email"), ("pause", "resume")])
    assert resumed.status_code == 303
    assert (await fetch("SELECT paused_until FROM contact_preferences"))[0]["paused_until"] is None


async def someone(clock, email="ann@example.com") -> int:
    return (await people.find_or_create(email=email, full_name="Ann Smith", source="test",
                                        now=clock.now()))["id"]


def link_path(person_id) -> str:
    return links.preferences_url(person_id).removeprefix("http://testserver")


async def test_a_signed_link_edits_one_persons_preferences_without_signing_in(
        browser, clock, communities):
    ann = await someone(clock)
    path = link_path(ann)
    page = await browser.get(path)
    assert page.status_code == 200 and "ann@example.com" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert f'action="{path}"' in page.text, "the token stays in the path of every form"
    saved = await browser.submit(path, [("cadence", "weekly_digest"), ("channels", "email"),
                                        ("pause", "")])
    assert saved.status_code == 303 and saved.headers["location"].startswith(path)
    assert "tl_portal" not in saved.headers.get("set-cookie", "")
    rows = await fetch("SELECT person, cadence FROM contact_preferences")
    assert [(r["person"], r["cadence"]) for r in rows] == [(ann, "weekly_digest")]
    assert (await browser.get("/account/preferences")).status_code == 303, "not signed in"
    assert (await browser.get("/account")).status_code == 303
    join = await browser.submit("/account/preferences/communities/engineering/join",
                                {"consent": "yes"})
    assert join.status_code == 303 and "/account/sign-in" in join.headers["location"]


async def test_a_link_shows_its_own_person_even_to_someone_signed_in(candidate, clock,
                                                                     communities):
    ann = await someone(clock)
    page = await candidate.get(link_path(ann))
    assert "ann@example.com" in page.text and "cand@example.com" not in page.text


async def test_forged_and_expired_links_change_nothing(browser, clock, communities,
                                                       monkeypatch):
    ann = await someone(clock)
    path = link_path(ann)
    await browser.get("/communities/engineering")  # a CSRF token, like any visitor
    forged = path[:-2] + ("xx" if not path.endswith("xx") else "yy")
    assert (await browser.get(forged)).status_code == 400
    response = await browser.submit(forged, [("cadence", "weekly_digest"), ("channels", "email")])
    assert response.status_code == 400 and "doesn't work" in response.text
    assert await fetch("SELECT id FROM contact_preferences") == []
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 401 * 86400)
    expired = await browser.get(path)
    assert expired.status_code == 410 and "expired" in expired.text


async def test_consent_history_quotes_the_text_and_hides_ip_and_user_agent(candidate,
                                                                          communities):
    await join(candidate)
    page = await candidate.get("/account/consent")
    assert page.status_code == 200
    assert "Version 1" in page.text and "Yes, I want to join this talent community" in page.text
    assert "On our careers site, while signed in" in page.text
    assert "203.0.113.7" not in page.text and "python-httpx" not in page.text


async def test_withdraw_and_give_again_are_one_click_each(candidate, communities):
    await join(candidate)
    page = await candidate.get("/account/consent")
    assert "Withdraw consent" in page.text
    response = await candidate.submit("/account/consent/withdraw",
                                      {"purpose": "community_emails", "scope": "engineering"})
    assert response.status_code == 303
    page = await candidate.get(response.headers["location"])
    assert "I agree: rejoin Engineering" in page.text
    text_id = TEXT_ID.search(page.text).group(1)
    again = await candidate.submit("/account/consent/give", {
        "purpose": "community_emails", "scope": "engineering", "consent_text_id": text_id})
    assert again.status_code == 303
    assert [a for a, _, _ in await ledger(candidate.person_id)] == ["given", "withdrawn",
                                                                   "given"]
    assert (await statuses(candidate.person_id))["engineering"] == "confirmed"
    stale = await candidate.submit("/account/consent/give", {
        "purpose": "community_emails", "scope": "engineering", "consent_text_id": "0"})
    assert stale.status_code == 422 and "consent text has changed" in stale.text


async def test_renewing_by_link_after_a_reminder(browser, app, clock, communities):
    from domain.preferences import service as preferences

    app.state.clock = clock
    ann = await someone(clock)
    await execute("INSERT INTO community_memberships (person, community, status, requested_at) "
                  "VALUES ($1, $2, 'confirmed', $3)", ann, communities["id"], clock.now())
    text_id = (await fetch("SELECT id FROM consent_texts"))[0]["id"]
    await execute("INSERT INTO consent_records (person, purpose, scope, consent_text, action, "
                  "method, occurred_at) VALUES ($1, 'community_emails', 'engineering', $2, "
                  "'given', 'double_opt_in', $3)", ann, text_id, clock.now())
    clock.advance(days=365 * 2 - 7)
    await preferences.sweep_consent_expiry(clock=clock, queue=None)
    page = await browser.get(link_path(ann) + "/consent")
    assert "Renew my consent" in page.text and "Ends on" in page.text
    response = await browser.submit(link_path(ann) + "/consent/give", {
        "purpose": "community_emails", "scope": "engineering", "consent_text_id": str(text_id)})
    assert response.status_code == 303
    assert (await ledger(ann))[-1] == ("given", "preference_link", "engineering")
    clock.advance(days=30)
    assert (await preferences.sweep_consent_expiry(clock=clock, queue=None))["expired"] == 0


async def test_preference_tokens_never_reach_the_access_log(browser, clock, communities, caplog):
    import logging

    path = link_path(await someone(clock))
    token = path.rsplit("/", 1)[1]
    with caplog.at_level(logging.INFO, logger="talentloop.access"):
        await browser.get(path)
        await browser.get(path + "/consent")
    lines = [r.getMessage() for r in caplog.records if r.name == "talentloop.access"]
    assert any("/preferences/{token}" in line for line in lines)
    assert not any(token in line for line in lines)
