"""The demo's live nurture sequence, "Welcome series": a welcome email, wait 3 days,
opened it? → a second email, else a recruiter's call; enrolments waiting for the check,
branched and completed, one paused on a reply. Rows as the scheduler writes them."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.consent.rules import COMMUNITY_EMAILS
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
from domain.sequences import rules as sequence_rules


def welcome_steps() -> list[dict]:
    """The welcome series, validated by the sequence editor's own rules."""
    rows = [
        {"key": "welcome", "type": "email", "next": "wait",
         "subject": "Welcome to {{ community or 'our community' }}, {{ first_name }}",
         "html_body": "<p>Hi {{ first_name }}, welcome! Here is what to expect.</p>" + FOOTER},
        {"key": "wait", "type": "wait", "amount": "3", "unit": "days", "window": "",
         "next": "opened"},
        {"key": "opened", "type": "condition", "test": "opened", "step": "welcome",
         "then": "followup", "else": "call"},
        {"key": "followup", "type": "email", "next": "end",
         "subject": "Three things our members like most",
         "html_body": "<p>Hi {{ first_name }}, meetups, mentoring and open roles.</p>"
                      + FOOTER},
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


async def write(conn: Any, *, now: datetime, seed: int) -> int:
    created = now - timedelta(days=30)
    sequence = int(await conn.fetchval(
        "INSERT INTO sequences (name, description, purpose, consent_scope, state, "
        "live_version, owner, created_by, created_at, updated_by, updated_at) VALUES "
        "('Welcome series', 'New community members: a welcome, then a second email or a "
        "recruiter call depending on whether they opened it.', $1, $2, 'live', 1, $3, $4, "
        "$5, $4, $5) RETURNING id", COMMUNITY_EMAILS, "", RECRUITER, MARKETER, created))
    scope, people = await audience(conn, now, now - timedelta(days=13))
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
    ids = await insert_sends(conn, [
        send_row(campaign=None, enrollment=enrolment, step=key, person=e.person, at=at,
                  outcome=e.story if key == "welcome" else {}) for key, at in emails])
    rows = Rows()
    hits(rows, ids[0], e.person, e.story, [], e.entered)
    for n, (_, at) in enumerate(emails[1:], start=1):
        hits(rows, ids[n], e.person, {}, [], at)
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
