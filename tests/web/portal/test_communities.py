"""Join a talent community with double opt-in, through HTTP like a browser."""

import re

from domain.db import fetch

LINK = re.compile(r"http://testserver(/confirm/[A-Za-z0-9_.\-]+)")


async def join(browser, *, name="Ann Smith", email="ann@example.com", consent=True,
               interests=("backend",)):
    page = await browser.get("/communities/engineering")
    text_id = re.search(r'name="consent_text_id" value="(\d+)"', page.text).group(1)
    data = [("full_name", name), ("email", email), ("consent_text_id", text_id)]
    data += [("interests", value) for value in interests]
    if consent:
        data.append(("consent", "yes"))
    return await browser.submit("/communities/engineering/join", data)


async def confirmation_path(mail, worker_burst, to="ann@example.com") -> str:
    await worker_burst()
    messages = mail.find(to=to, subject_contains="Confirm")
    assert messages, "no confirmation email reached the sink"
    return LINK.search(messages[0].text_body).group(1)


async def test_home_lists_public_communities(browser, community):
    response = await browser.get("/")
    assert response.status_code == 200
    assert "Engineering" in response.text


async def test_unknown_community_is_a_404_page(browser, community):
    response = await browser.get("/communities/nope")
    assert response.status_code == 404
    assert "talent community" in response.text


async def test_join_confirm_journey(browser, community, mail, worker_burst):
    response = await join(browser)
    assert response.status_code == 303
    check = await browser.get(response.headers["location"])
    assert "ann@example.com" in check.text

    path = await confirmation_path(mail, worker_burst)
    shown = await browser.get(path)
    assert shown.status_code == 200 and "Engineering" in shown.text
    state = await fetch("SELECT status FROM community_memberships")
    assert state[0]["status"] == "pending", "GET must not confirm (mail scanners prefetch)"

    confirmed = await browser.submit(path, {})
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == "/communities/engineering/welcome"
    rows = await fetch("SELECT status FROM community_memberships")
    assert rows[0]["status"] == "confirmed"
    ledger = await fetch("SELECT action, method, ip FROM consent_records ORDER BY id")
    assert [(r["action"], r["method"]) for r in ledger] == [
        ("requested", "web_form"), ("given", "double_opt_in")]
    assert ledger[1]["ip"] == "203.0.113.7"


async def test_used_link_gets_an_explanation(browser, community, mail, worker_burst):
    await join(browser)
    path = await confirmation_path(mail, worker_burst)
    await browser.get(path)
    await browser.submit(path, {})
    again = await browser.get(path)
    assert again.status_code == 409
    assert "already" in again.text.lower()
    resubmitted = await browser.submit(path, {})
    assert resubmitted.status_code == 409


async def test_forged_link_gets_an_explanation_and_changes_nothing(browser, community, mail,
                                                                   worker_burst):
    await join(browser)
    path = await confirmation_path(mail, worker_burst)
    forged = path[:-2] + ("xx" if not path.endswith("xx") else "yy")
    page = await browser.get(forged)
    assert page.status_code == 400
    response = await browser.submit(forged, {})
    assert response.status_code == 400
    rows = await fetch("SELECT status FROM community_memberships")
    assert rows[0]["status"] == "pending"


async def test_expired_link_gets_an_explanation(browser, community, mail, worker_burst):
    await join(browser)
    path = await confirmation_path(mail, worker_burst)
    await fetch("UPDATE issued_tokens SET expires_at = now() - interval '1 second'")
    page = await browser.get(path)
    assert page.status_code == 410
    assert "/communities/engineering" in page.text
    response = await browser.submit(path, {})
    assert response.status_code == 410
    rows = await fetch("SELECT status FROM community_memberships")
    assert rows[0]["status"] == "pending"


async def test_invalid_input_re_renders_with_field_errors_and_saves_nothing(browser, community):
    response = await join(browser, name="", email="not-an-email", consent=False,
                          interests=("backend", "astrology"))
    assert response.status_code == 422
    for message in ("Enter your name", "valid email", "Tick the box", "Choose interests"):
        assert message in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'value="not-an-email"' in response.text
    for table in ("people", "community_memberships", "consent_records", "outbound_emails"):
        count = await fetch(f"SELECT count(*) AS n FROM {table}")  # noqa: S608 - fixed names
        assert count[0]["n"] == 0, table


async def test_rejoining_as_a_member_looks_the_same_and_sends_a_reminder(
        browser, community, mail, worker_burst):
    await join(browser)
    path = await confirmation_path(mail, worker_burst)
    await browser.get(path)
    await browser.submit(path, {})
    again = await join(browser, name="Someone Else")
    assert again.status_code == 303  # identical response: no membership enumeration
    await worker_burst()
    assert mail.find(to="ann@example.com", subject_contains="already")
    people = await fetch("SELECT full_name FROM people")
    assert [p["full_name"] for p in people] == ["Ann Smith"], "a form must not rename people"


async def test_double_submit_creates_one_person_one_membership_one_email(
        browser, community, mail, worker_burst):
    first = await join(browser, email="Bob@Example.com")
    second = await join(browser, email="bob@example.com ")
    assert first.status_code == second.status_code == 303
    await worker_burst()
    assert (await fetch("SELECT count(*) AS n FROM people"))[0]["n"] == 1
    assert (await fetch("SELECT count(*) AS n FROM community_memberships"))[0]["n"] == 1
    assert len(mail.find(to="bob@example.com")) == 1
