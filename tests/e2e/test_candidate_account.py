"""Candidate account journeys in a real browser: magic-link sign-in read from the mail sink,
sign out everywhere."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from domain.db import fetch

pytestmark = pytest.mark.e2e


async def known_person(email: str) -> None:
    await fetch(
        "INSERT INTO people (email, full_name, source, created_at, updated_at) "
        "VALUES ($1, 'Noor Haddad', 'test', now(), now())", email)


def sign_in_link(text_body: str, base_url: str) -> str:
    match = re.search(re.escape(base_url) + r"/account/magic/[A-Za-z0-9_.\-]+", text_body)
    assert match, text_body
    return match.group(0)


async def sign_in_by_email(page, live_server, wait_for_email, email: str) -> None:
    await page.goto("/")
    await page.get_by_role("link", name="Sign in").click()
    await page.get_by_role("textbox", name="Email address").fill(email)
    await page.get_by_role("button", name="Email me a sign-in link").click()
    await expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    message = (await wait_for_email(email, "sign-in link"))[0]
    await page.goto(sign_in_link(message.text_body, live_server.base_url))
    await expect(page.get_by_role("heading", name="Sign in to your account")).to_be_visible()
    await page.get_by_role("button", name="Sign me in").click()
    await expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()


async def test_magic_link_sign_in_and_sign_out_everywhere(pages, live_server, wait_for_email):
    await known_person("noor@example.com")
    laptop, phone = await pages.new(), await pages.new()
    await sign_in_by_email(laptop, live_server, wait_for_email, "noor@example.com")
    await expect(laptop.get_by_role("link", name="Your account", exact=True)).to_be_visible()
    # A second device signs in with a second link (the first one's dedupe key is freed so
    # the request within the same minute sends a new email).
    await fetch("UPDATE outbound_emails SET dedupe_key = dedupe_key || ':used'")
    await phone.goto("/account/sign-in")
    await phone.get_by_role("textbox", name="Email address").fill("noor@example.com")
    await phone.get_by_role("button", name="Email me a sign-in link").click()
    messages = await wait_for_email("noor@example.com", "sign-in link", count=2)
    await phone.goto(sign_in_link(messages[0].text_body, live_server.base_url))
    await phone.get_by_role("button", name="Sign me in").click()
    await expect(phone.get_by_text("Signed in as noor@example.com")).to_be_visible()

    await laptop.get_by_role("button", name="Sign out everywhere").click()
    await expect(laptop.get_by_text("You're signed out on every device.")).to_be_visible()
    await phone.goto("/account")
    await expect(phone.get_by_role("heading", name="Sign in")).to_be_visible()
    logins = await fetch("SELECT session_epoch FROM candidate_logins")
    assert logins[0]["session_epoch"] == 1


async def test_a_used_link_explains_itself(page, live_server, wait_for_email):
    await known_person("noor@example.com")
    await sign_in_by_email(page, live_server, wait_for_email, "noor@example.com")
    message = (await wait_for_email("noor@example.com", "sign-in link"))[0]
    await page.goto(sign_in_link(message.text_body, live_server.base_url))
    await expect(page.get_by_role("heading", name="This sign-in link was already used")) \
        .to_be_visible()
