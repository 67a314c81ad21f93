"""Demo campaigns and a nurture sequence, inserted directly (a few hundred rows, fast):

- "October community newsletter": finished three weeks ago, a few hundred sends with
  realistic opens (some only by privacy proxies), clicks on tracked links, replies,
  bounces (hard and soft), unsubscribes (withdrawn in the consent ledger), skips;
- "Winter meetup invitation": submitted, scheduled, awaiting a second person's approval;
- "Welcome series": a live sequence (email, wait 3 days, opened? → second email or a
  recruiter call) with enrolments waiting, branched, completed, paused on a reply.

Only people whose consent for the community's emails was given (and not expired) when
the email went out get a send, as the real sender checks; unsubscribers withdraw it.
The sequence is in domain.demo.nurture, the rows both share in domain.demo.campaign_rows.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from domain.campaigns import templates as marketing
from domain.consent import service as consent
from domain.consent.rules import COMMUNITY_EMAILS
from domain.demo import nurture
from domain.demo.campaign_rows import (
    FOOTER,
    MARKETER,
    RECRUITER,
    Rows,
    audience,
    hits,
    insert_sends,
    send_row,
)

LINKS = ("https://careers.example.com/jobs", "https://careers.example.com/events",
         "https://careers.example.com/blog/platform-team")
_NEWSLETTER = ("<h1>Hi {{ first_name }},</h1><p>October in {{ community }}: two meetups, a "
               'new platform team and <a href="' + LINKS[0] + '">roles that fit you</a>. '
               'See the <a href="' + LINKS[1] + '">events</a> or read '
               '<a href="' + LINKS[2] + '">how the platform team works</a>.</p>' + FOOTER)


def _outcome(rng: random.Random, at: datetime) -> dict:
    """One recipient's story: a weighted draw of what happened after the send."""
    later = at + timedelta(minutes=rng.randint(5, 60 * 48))
    roll = rng.random()
    if roll < 0.03:
        return {"state": "skipped", "reason": "frequency_cap"}
    if roll < 0.035:
        return {"state": "failed"}
    if roll < 0.055:
        return {"bounced_at": later, "bounce_kind": "hard"}
    if roll < 0.07:
        return {"bounced_at": later, "bounce_kind": "soft"}
    story: dict = {"scanned": rng.random() < 0.04}
    if rng.random() < 0.48:
        story |= {"opened_at": later, "opens": rng.randint(1, 4),
                  "proxy": rng.random() < 0.3}
        if rng.random() < 0.3:
            click = later + timedelta(minutes=rng.randint(1, 30))
            story |= {"clicked_at": click, "clicks": rng.randint(1, 3),
                      "link": rng.randrange(len(LINKS)), "proxy": False}
        if rng.random() < 0.05:
            story["replied_at"] = later + timedelta(hours=rng.randint(1, 30))
    if rng.random() < 0.012:
        story["unsubscribed_at"] = later + timedelta(minutes=3)
    return story


async def _campaign(conn: Any, values: dict) -> int:
    names = list(values)
    marks = ", ".join(f"${n}" for n in range(1, len(names) + 1))
    return int(await conn.fetchval(
        f"INSERT INTO campaigns ({', '.join(names)}) VALUES ({marks}) RETURNING id",  # noqa: S608  # nosec B608 # names are this module's keys
        *values.values()))


def _content(name: str, html_body: str) -> dict:
    draft = marketing.parse({"name": name, "description": "", "purpose": COMMUNITY_EMAILS,
                             "subject": "{{ community }}: October news for {{ first_name }}",
                             "html_body": html_body})
    return {"subject": draft.subject, "html_body": draft.html_body}


async def _finished_campaign(conn: Any, *, now: datetime, seed: int) -> int:
    started = now - timedelta(days=21, hours=3)
    # Consent valid from the first send to the last (an hour and a half later).
    scope, people = await audience(conn, started + timedelta(hours=2), started)
    if not people:
        return 0
    content = _content("October community newsletter", _NEWSLETTER)
    campaign = await _campaign(conn, {
        "name": "October community newsletter", "purpose": COMMUNITY_EMAILS,
        "consent_scope": scope, **content, "audience_kind": "community",
        "audience_ref": scope, "state": "finished", "revision": 1, "approved_revision": 1,
        "send_at": started, "created_by": RECRUITER, "created_at": started - timedelta(days=2),
        "updated_by": RECRUITER, "updated_at": started - timedelta(days=2),
        "submitted_by": RECRUITER, "submitted_at": started - timedelta(days=2),
        "approved_by": MARKETER, "approved_at": started - timedelta(days=1),
        "started_at": started, "finished_at": started + timedelta(hours=2),
        "audience_done": True, "recipients": len(people),
        "audience_cursor": people[-1]["id"]})
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data
    stories = []
    for n, person in enumerate(people):
        at = started + timedelta(seconds=n * 20)
        stories.append((person["id"], at, _outcome(rng, at)))
    ids = await insert_sends(conn, [
        send_row(campaign=campaign, enrollment=None, step="", person=p, at=at, outcome=o)
        for p, at, o in stories])
    await _tracking(conn, f"campaign:{campaign}:1", list(zip(ids, stories, strict=True)))
    await _unsubscribe(conn, scope, stories)
    return campaign


async def _tracking(conn: Any, content_key: str, sends: list[tuple]) -> None:
    """Tracked links with their click totals, the hits behind the rollups, the engagement
    events they made, and the replies on the people's timelines."""
    link_ids = [await conn.fetchval(
        "INSERT INTO tracked_links (content_key, url, position) VALUES ($1, $2, $3) "
        "ON CONFLICT (content_key, url) DO UPDATE SET position = EXCLUDED.position "
        "RETURNING id", content_key, url, position) for position, url in enumerate(LINKS)]
    rows = Rows()
    for send_id, (person, at, story) in sends:
        hits(rows, send_id, person, story, link_ids,
              at if story.get("state", "sent") == "sent" else None)
    await conn.executemany(
        "INSERT INTO tracking_events (send, kind, link, flag, occurred_at, hit_id) "
        "VALUES ($1, $2, $3, $4, $5, $6)", rows.hits)
    await conn.executemany(
        "INSERT INTO engagement_events (person, type, occurred_at, source, payload) "
        "VALUES ($1, $2, $3, 'email', $4::jsonb)", rows.events)
    await conn.executemany(
        "INSERT INTO inbound_messages (kind, send, person, source, from_address, subject, "
        "body_text, received_at) SELECT 'reply', $1, $2, 'smtp', p.email, $3, $4, $5 "
        "FROM people p WHERE p.id = $2", rows.replies)
    await conn.execute(
        "UPDATE tracked_links l SET clicks = c.clicks, unique_clicks = c.people FROM ("
        " SELECT link, count(*) AS clicks, count(DISTINCT send) AS people "
        " FROM tracking_events WHERE kind = 'click' AND flag = '' AND link = ANY($1) "
        " GROUP BY link) c WHERE l.id = c.link", link_ids)


async def _unsubscribe(conn: Any, scope: str, stories: list[tuple]) -> None:
    """The ledger says what the send rows say: unsubscribers withdrew consent then."""
    for person, _, story in stories:
        if story.get("unsubscribed_at"):
            await consent.withdraw(person_id=person, purpose=COMMUNITY_EMAILS, scope=scope,
                                   method="one_click_unsubscribe",
                                   now=story["unsubscribed_at"])
            await conn.execute(
                "INSERT INTO engagement_events (person, type, occurred_at, source, payload) "
                "VALUES ($1, 'unsubscribed', $2, 'email', '{}')", person,
                story["unsubscribed_at"])


async def _submitted_campaign(conn: Any, *, now: datetime, scope: str) -> int:
    html_body = ("<p>Hi {{ first_name }},</p><p>Join us for <strong>{{ event_title }}"
                 "</strong>: talks, demos and a warm drink.</p>" + FOOTER)
    content = _content("Winter meetup invitation", html_body)
    content["subject"] = "You're invited: {{ event_title }}"
    created = now - timedelta(hours=5)
    return await _campaign(conn, {
        "name": "Winter meetup invitation", "purpose": COMMUNITY_EMAILS,
        "consent_scope": scope, **content, "merge_values": '{"event_title": "Winter meetup"}',
        "audience_kind": "community", "audience_ref": scope, "state": "submitted",
        "revision": 1, "send_at": now + timedelta(days=3), "zone_mode": "recipient",
        "window_days": [1, 2, 3, 4, 5], "window_start": 9, "window_end": 17,
        "created_by": RECRUITER, "created_at": created, "updated_by": RECRUITER,
        "updated_at": created, "submitted_by": RECRUITER,
        "submitted_at": created + timedelta(minutes=20)})


_COUNTS = ("SELECT (SELECT count(*) FROM consent_records) AS consent_records, "
           "(SELECT count(*) FROM engagement_events) AS engagement_events")


async def write(conn: Any, *, now: datetime, seed: int = 42) -> dict[str, int]:
    """Seed the demo campaigns and sequence once (nothing when a demo campaign exists);
    returns how many consent records and engagement events that added."""
    if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM campaigns WHERE created_by = $1 "
                           "AND name = 'October community newsletter')", RECRUITER):
        return {"consent_records": 0, "engagement_events": 0}
    before = await conn.fetchrow(_COUNTS)
    await _write(conn, now=now, seed=seed)
    after = await conn.fetchrow(_COUNTS)
    return {name: after[name] - before[name]
            for name in ("consent_records", "engagement_events")}


async def _write(conn: Any, *, now: datetime, seed: int) -> None:
    # The seeded history is the past: the live sequence enrols people who join from now
    # on, not every member the demo made up (the entry scan reads events after this).
    await conn.execute(
        "INSERT INTO scoring_watermarks (name, last_event_id, updated_at) "
        "SELECT 'sequences:events', coalesce(max(id), 0), $1 FROM engagement_events "
        "ON CONFLICT (name) DO UPDATE SET last_event_id = GREATEST("
        "scoring_watermarks.last_event_id, EXCLUDED.last_event_id)", now)
    finished = await _finished_campaign(conn, now=now, seed=seed)
    scope = await conn.fetchval("SELECT consent_scope FROM campaigns WHERE id = $1", finished)
    await _submitted_campaign(conn, now=now, scope=scope or "")
    await nurture.write(conn, now=now, seed=seed)
