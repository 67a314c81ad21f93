"""Rows the demo's campaigns and sequence share: who may be emailed (the consent test the
sender makes), send rows, and the tracking hits and engagement events behind an email's
opens, clicks, bounces and replies."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from domain.consent.rules import COMMUNITY_EMAILS

RECRUITER, MARKETER = "recruiter@demo.local", "marketing@demo.local"
MAX_RECIPIENTS = 300
FOOTER = ('<p>{{ recruiter_signature }}</p><p><a href="{{ preferences_url }}">Email '
          'preferences</a> · <a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
          '<p>{{ postal_address }}</p>')


@dataclass
class Rows:
    """Tracking hits, engagement events and replies, gathered before one insert each."""

    events: list[tuple] = field(default_factory=list)
    hits: list[tuple] = field(default_factory=list)
    replies: list[tuple] = field(default_factory=list)


async def audience(conn: Any, at: datetime, given_before: datetime) -> tuple[str, list[dict]]:
    """The community whose email consent most demo people gave, and those people whose
    decisive consent at `at` is given (no later than `given_before`, so it also held at
    every moment between the two) and not expired: the sender's own test."""
    scope = await conn.fetchval(
        "SELECT scope FROM consent_records WHERE purpose = $1 AND action = 'given' "
        "GROUP BY scope ORDER BY count(*) DESC, scope LIMIT 1", COMMUNITY_EMAILS)
    rows = await conn.fetch(
        "SELECT p.id, p.email FROM people p "
        "JOIN LATERAL (SELECT r.action, r.occurred_at FROM consent_records r "
        " WHERE r.person = p.id AND r.purpose = $1 AND r.scope = $2 "
        " AND r.action IN ('given', 'withdrawn', 'expired') AND r.occurred_at <= $3 "
        " ORDER BY r.occurred_at DESC, r.id DESC LIMIT 1) d ON true "
        "LEFT JOIN consent_policies pol ON pol.purpose = $1 "
        "WHERE p.source = 'demo' AND p.merged_into IS NULL AND d.action = 'given' "
        "AND d.occurred_at <= $5 AND (pol.expiry_months IS NULL "
        " OR d.occurred_at + make_interval(months => pol.expiry_months) > $3) "
        "ORDER BY p.id LIMIT $4", COMMUNITY_EMAILS, scope or "", at, MAX_RECIPIENTS,
        given_before)
    return scope or "", [dict(row) for row in rows]


def send_row(*, campaign: int | None, enrollment: int | None, step: str, person: int,
              at: datetime, outcome: dict) -> tuple:
    state = outcome.get("state", "sent")
    sent = at if state == "sent" else None
    return (campaign, enrollment, step, person, state, outcome.get("reason", ""), at, at,
            sent, f"<demo.{secrets.token_hex(8)}@talentloop.local>" if sent else "",
            secrets.token_urlsafe(12) if sent else "", outcome.get("opened_at"),
            outcome.get("opens", 0), outcome.get("clicked_at"), outcome.get("clicks", 0),
            outcome.get("replied_at"), outcome.get("bounced_at"),
            outcome.get("bounce_kind", ""), outcome.get("unsubscribed_at"))


async def insert_sends(conn: Any, rows: list[tuple]) -> list[int]:
    found = await conn.fetch(
        "INSERT INTO marketing_sends (campaign, enrollment, step_key, person, state, reason, "
        "created_at, claimed_at, sent_at, message_id, reply_token, opened_at, opens, "
        "clicked_at, clicks, replied_at, bounced_at, bounce_kind, unsubscribed_at) "
        "SELECT * FROM unnest($1::int[], $2::bigint[], $3::text[], $4::int[], $5::text[], "
        "$6::text[], $7::timestamptz[], $8::timestamptz[], $9::timestamptz[], $10::text[], "
        "$11::text[], $12::timestamptz[], $13::int[], $14::timestamptz[], $15::int[], "
        "$16::timestamptz[], $17::timestamptz[], $18::text[], $19::timestamptz[]) "
        "RETURNING id", *map(list, zip(*rows, strict=True)))
    return [row["id"] for row in found]


def hits(rows: Rows, send_id: int, person: int, story: dict, link_ids: list[int],
          sent_at: datetime | None) -> None:
    payload = f'{{"send": {send_id}}}'
    if sent_at is None:
        return
    if story.get("bounced_at"):
        rows.events.append((person, "email_bounced", story["bounced_at"], payload))
    if story.get("scanned") and link_ids:
        # A mail security scanner following the first link seconds after delivery.
        rows.hits.append((send_id, "click", link_ids[0], "prefetch",
                          sent_at + timedelta(seconds=3), f"demo-s-{send_id}"))
        rows.events.append((person, "email_clicked_automatically",
                            sent_at + timedelta(seconds=3), payload))
    if story.get("opened_at"):
        flag = "proxy" if story.get("proxy") else ""
        for n in range(story.get("opens", 1)):
            at = story["opened_at"] + timedelta(hours=n)
            rows.hits.append((send_id, "open", None, flag, at, f"demo-o-{send_id}-{n}"))
        rows.events.append((person, "email_opened" if not flag else
                            "email_opened_automatically", story["opened_at"], payload))
    if story.get("clicked_at"):
        for n in range(story.get("clicks", 1)):
            rows.hits.append((send_id, "click", link_ids[story["link"]], "",
                              story["clicked_at"] + timedelta(minutes=n),
                              f"demo-c-{send_id}-{n}"))
        rows.events.append((person, "email_clicked", story["clicked_at"], payload))
    if story.get("replied_at"):
        rows.events.append((person, "replied", story["replied_at"], payload))
        rows.replies.append((send_id, person, "Re: October news",
                             "Thanks! I'd love to hear more about the platform team.",
                             story["replied_at"]))
