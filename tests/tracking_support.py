"""Sent marketing emails for tracking, bounce and reply tests: a campaign, its stored
links and one `sent` send row per person (what the sender leaves behind)."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.campaigns import links
from domain.db import fetch, fetchval

HTML = ('<p>Hello</p><p><a href="https://jobs.example.com/open?ref=mail">Open roles</a> '
        '<a href="https://blog.example.com/post/1">Our blog</a></p>')


async def campaign(*, created_by: str = "riley@test.local", purpose: str = "community_emails",
                   scope: str = "engineering") -> int:
    return int(await fetchval(
        "INSERT INTO campaigns (name, purpose, consent_scope, subject, html_body, "
        "created_by, created_at, updated_at, state) VALUES ('Autumn news', $1, $2, "
        "'Autumn news', $3, $4, now(), now(), 'sending') RETURNING id",
        purpose, scope, HTML, created_by))


async def sent(person_id: int, campaign_id: int, *, at: datetime, token: str = "",
               message_id: str = "") -> int:
    """A `sent` send row with its reply token and Message-ID."""
    token = token or f"reply{person_id}c{campaign_id}"
    message_id = message_id or f"<send-{person_id}-{campaign_id}@acme.example>"
    return int(await fetchval(
        "INSERT INTO marketing_sends (campaign, person, state, created_at, claimed_at, "
        "sent_at, message_id, reply_token) VALUES ($1, $2, 'sent', $3, $3, $3, $4, $5) "
        "RETURNING id", campaign_id, person_id, at, message_id, token))


async def stored_links(campaign_id: int) -> dict[str, int]:
    return await links.register(f"campaign:{campaign_id}:1", HTML)


async def send_row(send_id: int) -> dict:
    return (await fetch("SELECT * FROM marketing_sends WHERE id = $1", send_id))[0]


def later(at: datetime, **delta: float) -> datetime:
    return at + timedelta(**delta)
