"""Demo campaigns and a nurture sequence, inserted directly (a few hundred rows, fast):

- "October community newsletter": finished three weeks ago, a few hundred sends with
  realistic opens (some only by privacy proxies), clicks on tracked links, replies,
  bounces (hard and soft), unsubscribes (withdrawn in the consent ledger), skips;
- "Winter meetup invitation": submitted, scheduled, awaiting a second person's approval;
- "Welcome series": a live sequence (email, wait 3 days, opened? → second email or a
  recruiter call) with enrolments waiting, branched, completed, paused on a reply.

Only people whose consent for the community's emails was given (and not expired) when
the email went out get a send, as the real sender checks; unsubscribers withdraw it.
"""

from __future__ import annotations

import json
import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from domain.campaigns import templates as marketing
from domain.consent import service as consent
from domain.consent.rules import COMMUNITY_EMAILS
from domain.sequences import rules as sequence_rules

RECRUITER, MARKETER = "recruiter@demo.local", "marketing@demo.local"
MAX_RECIPIENTS = 300
LINKS = ("https://careers.example.com/jobs", "https://careers.example.com/events",
         "https://careers.example.com/blog/platform-team")
_FOOTER = ('<p>{{ recruiter_signature }}</p><p><a href="{{ preferences_url }}">Email '
           'preferences</a> · <a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
           '<p>{{ postal_address }}</p>')
_NEWSLETTER = ("<h1>Hi {{ first_name }},</h1><p>October in {{ community }}: two meetups, a "
               'new platform team and <a href="' + LINKS[0] + '">roles that fit you</a>. '
               'See the <a href="' + LINKS[1] + '">events</a> or read '
               '<a href="' + LINKS[2] + '">how the platform team works</a>.</p>' + _FOOTER)


@dataclass
class Rows:
    """What the writer inserts, built in memory first (one statement per table)."""

    sends: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    hits: list[tuple] = field(default_factory=list)
    replies: list[tuple] = field(default_factory=list)
    unsubscribed: list[tuple[int, datetime]] = field(default_factory=list)


async def _audience(conn: Any, at: datetime, given_before: datetime) -> tuple[str, list[dict]]:
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


def _send_row(*, campaign: int | None, enrollment: int | None, step: str, person: int,
              at: datetime, outcome: dict) -> tuple:
    state = outcome.get("state", "sent")
    sent = at if state == "sent" else None
    return (campaign, enrollment, step, person, state, outcome.get("reason", ""), at, at,
            sent, f"<demo.{secrets.token_hex(8)}@talentloop.local>" if sent else "",
            secrets.token_urlsafe(12) if sent else "", outcome.get("opened_at"),
            outcome.get("opens", 0), outcome.get("clicked_at"), outcome.get("clicks", 0),
            outcome.get("replied_at"), outcome.get("bounced_at"),
            outcome.get("bounce_kind", ""), outcome.get("unsubscribed_at"))


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


async def _insert_sends(conn: Any, rows: list[tuple]) -> list[int]:
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


async def _campaign(conn: Any, values: dict) -> int:
    names = list(values)
    marks = ", ".join(f"${n}" for n in range(1, len(names) + 1))
    return int(await conn.fetchval(
        f"INSERT INTO campaigns ({', '.join(names)}) VALUES ({marks}) RETURNING id",  # noqa: S608  # nosec B608 - names are this module's keys
        *values.values()))


def _content(name: str, html_body: str) -> dict:
    draft = marketing.parse({"name": name, "description": "", "purpose": COMMUNITY_EMAILS,
                             "subject": "{{ community }}: October news for {{ first_name }}",
                             "html_body": html_body})
    return {"subject": draft.subject, "html_body": draft.html_body}


async def _finished_campaign(conn: Any, *, now: datetime, seed: int) -> int:
    started = now - timedelta(days=21, hours=3)
    # Consent valid from the first send to the last (an hour and a half later).
    scope, people = await _audience(conn, started + timedelta(hours=2), started)
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
    ids = await _insert_sends(conn, [
        _send_row(campaign=campaign, enrollment=None, step="", person=p, at=at, outcome=o)
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
        _hits(rows, send_id, person, story, link_ids,
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


def _hits(rows: Rows, send_id: int, person: int, story: dict, link_ids: list[int],
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
                 "</strong>: talks, demos and a warm drink.</p>" + _FOOTER)
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


def welcome_steps() -> list[dict]:
    """The welcome series, validated by the sequence editor's own rules."""
    rows = [
        {"key": "welcome", "type": "email", "next": "wait",
         "subject": "Welcome to {{ community or 'our community' }}, {{ first_name }}",
         "html_body": "<p>Hi {{ first_name }}, welcome! Here is what to expect.</p>" + _FOOTER},
        {"key": "wait", "type": "wait", "amount": "3", "unit": "days", "window": "",
         "next": "opened"},
        {"key": "opened", "type": "condition", "test": "opened", "step": "welcome",
         "then": "followup", "else": "call"},
        {"key": "followup", "type": "email", "next": "end",
         "subject": "Three things our members like most",
         "html_body": "<p>Hi {{ first_name }}, meetups, mentoring and open roles.</p>"
                      + _FOOTER},
        {"key": "call", "type": "task", "kind": "call", "title": "Call to say hello",
         "assignee": RECRUITER, "due_days": "2", "next": "end"},
        {"key": "end", "type": "end"},
    ]
    steps, errors = sequence_rules.parse_steps(rows)
    if errors:
        raise ValueError(f"demo welcome series is invalid: {errors}")
    return steps


@dataclass
class Enrolment:
    person: int
    entered: datetime
    story: dict
    state: str = "active"
    step: str = "opened"


def _enrolments(people: list[dict], *, now: datetime, rng: random.Random) -> list[Enrolment]:
    """One enrolment a person, entered between twelve days and a few hours ago: the
    recent ones wait for the 3-day check, the older ones went on to the second email
    (opened) or a recruiter's call (did not), one replied and is paused."""
    found = []
    for n, person in enumerate(people):
        entered = now - timedelta(hours=6 + n * 7)
        opened = min(entered + timedelta(hours=rng.randint(1, 40)), now - timedelta(hours=1))
        story = {"opened_at": opened, "opens": 1,
                 "proxy": rng.random() < 0.25} if rng.random() < 0.5 else {}
        found.append(Enrolment(person["id"], entered, story))
    if found:
        replier = found[len(found) // 3]
        replier.story["replied_at"] = replier.entered + timedelta(hours=2)
    return found


def _runs(e: Enrolment, now: datetime) -> list[tuple[str, str, datetime]]:
    """The steps the enrolment went through (as the scheduler records them), and sets
    where it is now."""
    runs = [("welcome", "email queued", e.entered), ("wait", "waited 3 days", e.entered)]
    checked = e.entered + timedelta(days=3)
    if e.story.get("replied_at"):
        e.state = "paused"
    elif checked <= now:
        branch = "followup" if e.story.get("opened_at") else "call"
        runs += [("opened", f"went to {branch}", checked),
                 (branch, "email queued" if branch == "followup" else "task created",
                  checked), ("end", "completed", checked)]
        e.state, e.step = "completed", "end"
    return runs


async def _sequence(conn: Any, *, now: datetime, seed: int) -> int:
    created = now - timedelta(days=30)
    sequence = int(await conn.fetchval(
        "INSERT INTO sequences (name, description, purpose, consent_scope, state, "
        "live_version, owner, created_by, created_at, updated_by, updated_at) VALUES "
        "('Welcome series', 'New community members: a welcome, then a second email or a "
        "recruiter call depending on whether they opened it.', $1, $2, 'live', 1, $3, $4, "
        "$5, $4, $5) RETURNING id", COMMUNITY_EMAILS, "", RECRUITER, MARKETER, created))
    scope, people = await _audience(conn, now, now - timedelta(days=13))
    await conn.execute("UPDATE sequences SET consent_scope = $2 WHERE id = $1", sequence,
                       scope)
    await conn.execute(
        "INSERT INTO sequence_versions (sequence, version, steps, entry_rules, exit_rules, "
        "created_by, created_at) VALUES ($1, 1, $2::jsonb, $3::jsonb, $4::jsonb, $5, $6)",
        sequence, json.dumps(welcome_steps()),
        json.dumps([{"kind": "community_joined", "community": scope}]),
        json.dumps(sequence_rules.DEFAULT_EXITS), MARKETER, created)
    rng = random.Random(seed + 1)  # noqa: S311 - reproducible demo data
    enrolments = _enrolments(people[-40:], now=now, rng=rng)
    for e in enrolments:
        await _enrol(conn, sequence, e, now)
    return sequence


async def _enrol(conn: Any, sequence: int, e: Enrolment, now: datetime) -> None:
    runs = _runs(e, now)
    done = e.state == "completed"
    enrolment = await conn.fetchval(
        "INSERT INTO sequence_enrollments (sequence, version, person, state, step_key, "
        "due_at, entered_at, entry_reason, paused_reason, exited_at, exit_reason, "
        "updated_at) VALUES ($1, 1, $2, $3, $4, $5, $6, 'joined the community', $7, $8, $9, "
        "$10) RETURNING id", sequence, e.person, e.state, e.step,
        None if done else e.entered + timedelta(days=3), e.entered,
        "replied" if e.state == "paused" else "", runs[-1][2] if done else None,
        "completed" if done else "", runs[-1][2])
    await conn.executemany(
        "INSERT INTO sequence_step_runs (enrollment, step_key, outcome, ran_at) "
        "VALUES ($1, $2, $3, $4)", [(enrolment, *run) for run in runs])
    emails = [(key, at) for key, outcome, at in runs if outcome == "email queued"]
    ids = await _insert_sends(conn, [
        _send_row(campaign=None, enrollment=enrolment, step=key, person=e.person, at=at,
                  outcome=e.story if key == "welcome" else {}) for key, at in emails])
    rows = Rows()
    _hits(rows, ids[0], e.person, e.story, [], e.entered)
    for n, (_, at) in enumerate(emails[1:], start=1):
        _hits(rows, ids[n], e.person, {}, [], at)
    rows.events.append((e.person, "sequence_enrolled", e.entered,
                        f'{{"sequence": {sequence}}}'))
    if done:
        rows.events.append((e.person, "sequence_completed", runs[-1][2],
                            f'{{"sequence": {sequence}}}'))
    await conn.executemany(
        "INSERT INTO tracking_events (send, kind, link, flag, occurred_at, hit_id) "
        "VALUES ($1, $2, $3, $4, $5, $6)", rows.hits)
    await conn.executemany(
        "INSERT INTO engagement_events (person, type, occurred_at, source, payload) "
        "VALUES ($1, $2, $3, 'email', $4::jsonb)", rows.events)
    if any(key == "call" for key, _, _ in runs):
        await conn.execute(
            "INSERT INTO recruiter_tasks (person, kind, title, assignee, enrollment, due_at, "
            "created_at) VALUES ($1, 'call', 'Call to say hello', $2, $3, $4, $5)",
            e.person, RECRUITER, enrolment, runs[-1][2] + timedelta(days=2), runs[-1][2])


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
    await _sequence(conn, now=now, seed=seed)
