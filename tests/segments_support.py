"""Segments under test: a small varied population written straight to the tables, and a
pure-Python evaluator of segment definitions over it — the oracle the SQL compiler is
held to (same definition, same answer, person for person)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from domain.db import fetch
from domain.segments.compiler import POSITIVE_OF, Catalog
from domain.segments.definition import STAGE_KINDS, Condition, Group

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SKILLS = ("python", "machine-learning", "pytorch", "postgresql", "react", "figma",
          "salesforce", "kubernetes")
FUNCTIONS = ("engineering", "data", "design", "sales")
SENIORITIES = ("junior", "mid", "senior", "lead")
COUNTRIES = ("DE", "FR", "US", "GB")
ZONES = ("Europe/Berlin", "Europe/Paris", "America/New_York")
MODES = ("remote", "hybrid", "onsite")
SOURCES = ("portal", "import", "referral")
TAGS = ("Relocating", "python meetup", "VIP")
COMMUNITIES = ("engineering", "design")
EVENTS = ("meetup-a", "meetup-b")


@dataclass
class Person:
    id: int
    source: str
    created_at: datetime
    profile: dict | None
    score: int | None = None
    band: str | None = None
    last_engaged_at: datetime | None = None
    communities: set[str] = field(default_factory=set)
    consent: dict[tuple[str, str], list[tuple[datetime, int, str]]] = field(default_factory=dict)
    registrations: list[tuple[str, str, datetime]] = field(default_factory=list)
    content_views: list[datetime] = field(default_factory=list)
    applications: list[dict] = field(default_factory=list)
    tags: set[str] = field(default_factory=set)
    pools: set[int] = field(default_factory=set)


async def build_population(size: int = 60, seed: int = 7) -> dict:
    """People with a bit of everything, deterministic for a seed. Returns ids of the
    reference rows the definitions may name."""
    rng = random.Random(seed)
    communities = {}
    for slug in COMMUNITIES:
        communities[slug] = (await fetch(
            "INSERT INTO talent_communities (slug, name, description, is_public, created_at) "
            "VALUES ($1, $1, '', true, $2) ON CONFLICT (slug) DO UPDATE SET slug = EXCLUDED.slug "
            "RETURNING id", slug, NOW))[0]["id"]
    events = {}
    for index, slug in enumerate(EVENTS):
        starts = NOW - timedelta(days=10 + 100 * index)
        events[slug] = (await fetch(
            "INSERT INTO events (slug, title, description, kind, starts_at, ends_at, time_zone, "
            "venue, join_url, capacity, taken, status, created_at, updated_at) VALUES "
            "($1, $1, '', 'in_person', $2, $3, 'UTC', 'Here', '', 100, 0, 'published', $4, $4) "
            "RETURNING id", slug, starts, starts + timedelta(hours=2), NOW))[0]["id"]
    requisitions = [row["id"] for row in await fetch(
        "SELECT id FROM requisitions ORDER BY id")]
    reasons = [row["id"] for row in await fetch(
        "SELECT id FROM rejection_reasons ORDER BY id LIMIT 3")]
    pool = (await fetch("INSERT INTO talent_pools (name, created_at, updated_at) "
                        "VALUES ('Test pool', $1, $1) RETURNING id", NOW))[0]["id"]
    for n in range(size):
        await _person(rng, n, communities, events, requisitions, reasons, pool)
    return {"communities": communities, "events": events, "requisitions": requisitions,
            "reasons": reasons, "pool": pool}


async def _person(rng, n, communities, events, requisitions, reasons, pool) -> None:
    created = NOW - timedelta(days=rng.randint(0, 900), minutes=n)
    person = (await fetch(
        "INSERT INTO people (email, full_name, source, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $4) RETURNING id", f"p{n}@example.com", f"Person {n}",
        rng.choice(SOURCES), created))[0]["id"]
    if rng.random() < 0.85:
        await fetch(
            "INSERT INTO profiles (person, skills, job_function, seniority, country, time_zone, "
            "work_modes, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", person,
            rng.sample(SKILLS, rng.randint(0, 4)), rng.choice(("", *FUNCTIONS)),
            rng.choice(("", *SENIORITIES)), rng.choice(("", *COUNTRIES)),
            rng.choice(("", *ZONES)), rng.sample(MODES, rng.randint(0, 2)), NOW)
    if rng.random() < 0.7:
        score = rng.randint(0, 100)
        band = "hot" if score >= 60 else "warm" if score >= 25 else "cold"
        await fetch("INSERT INTO engagement_scores (person, score, band, last_engaged_at, "
                    "computed_at) VALUES ($1, $2, $3, $4, $5)", person, score, band,
                    NOW - timedelta(days=rng.randint(0, 400)), NOW)
    for community in communities.values():
        if rng.random() < 0.4:
            await fetch("INSERT INTO community_memberships (person, community, status, "
                        "interests, requested_at) VALUES ($1, $2, $3, '{}', $4)", person,
                        community, rng.choice(("confirmed", "pending", "left")), NOW)
    for purpose in ("community_emails", "event_emails"):
        moment = NOW - timedelta(days=200)
        for _ in range(rng.randint(0, 3)):
            moment += timedelta(days=rng.randint(0, 30))
            await fetch("INSERT INTO consent_records (person, purpose, scope, action, method, "
                        "occurred_at, ip, user_agent) VALUES ($1, $2, $3, $4, 'test', $5, '', '')",
                        person, purpose, rng.choice(("", "engineering")),
                        rng.choice(("given", "withdrawn", "requested", "expired")), moment)
    for event in events.values():
        if rng.random() < 0.4:
            await fetch("INSERT INTO event_registrations (event, person, status, position, "
                        "answers, source, created_at, updated_at) VALUES "
                        "($1, $2, $3, 0, '{}', '', $4, $4)", event, person,
                        rng.choice(("registered", "attended", "no_show", "cancelled",
                                    "waitlisted")), NOW)
    for _ in range(rng.randint(0, 2)):
        await fetch("INSERT INTO engagement_events (person, type, occurred_at, source, payload) "
                    "VALUES ($1, 'content_viewed', $2, 'blog', '{}')", person,
                    NOW - timedelta(days=rng.randint(0, 200)))
    if requisitions and rng.random() < 0.4:
        requisition = rng.choice(requisitions)
        stages = await fetch("SELECT id, kind FROM requisition_stages WHERE requisition = $1 "
                             "ORDER BY position", requisition)
        reached = rng.randint(0, 4)
        path = [s for s in stages if s["kind"] in ("applied", *STAGE_KINDS)][:reached + 1]
        rejected = rng.random() < 0.3
        application = (await fetch(
            "INSERT INTO applications (requisition, person, stage, status, source, answers, "
            "rejection_reason, silver_medalist, applied_at, stage_entered_at, last_action_at) "
            "VALUES ($1, $2, $3, $4, 'portal', '{}', $5, $6, $7, $7, $7) RETURNING id",
            requisition, person, path[-1]["id"], "rejected" if rejected else "active",
            rng.choice(reasons) if rejected and reasons else None,
            rejected and rng.random() < 0.5, NOW))[0]["id"]
        for previous, stage in zip([None, *path], path, strict=False):
            await fetch("INSERT INTO stage_transitions (application, from_stage, to_stage, kind, "
                        "by, at, reason) VALUES ($1, $2, $3, 'moved', 'test', $4, '')",
                        application, previous["id"] if previous else None, stage["id"], NOW)
    for tag in TAGS:
        if rng.random() < 0.3:
            await fetch("INSERT INTO person_tags (person, tag, added_by, added_at) "
                        "VALUES ($1, $2, 'test', $3)", person, tag, NOW)
    if rng.random() < 0.3:
        await fetch("INSERT INTO pool_members (pool, person, stage, source, added_at, "
                    "stage_changed_at) VALUES ($1, $2, 'lead', 'manual', $3, $3)", pool,
                    person, NOW)


async def load_people() -> dict[int, Person]:
    """Everything the evaluator reads, straight from the tables."""
    people = {row["id"]: Person(row["id"], row["source"], row["created_at"], None)
              for row in await fetch("SELECT id, source, created_at FROM people "
                                     "WHERE merged_into IS NULL "
                                     "AND email NOT LIKE 'erased-%@invalid'")}
    for row in await fetch("SELECT * FROM profiles"):
        if row["person"] in people:
            people[row["person"]].profile = row
    for row in await fetch("SELECT * FROM engagement_scores"):
        if row["person"] in people:
            p = people[row["person"]]
            p.score, p.band, p.last_engaged_at = row["score"], row["band"], row["last_engaged_at"]
    for row in await fetch("SELECT m.person, c.slug FROM community_memberships m JOIN "
                           "talent_communities c ON c.id = m.community "
                           "WHERE m.status = 'confirmed'"):
        if row["person"] in people:
            people[row["person"]].communities.add(row["slug"])
    for row in await fetch("SELECT * FROM consent_records"):
        if row["person"] in people:
            people[row["person"]].consent.setdefault((row["purpose"], row["scope"]), []).append(
                (row["occurred_at"], row["id"], row["action"]))
    for row in await fetch("SELECT r.person, r.status, e.slug, e.starts_at FROM "
                           "event_registrations r JOIN events e ON e.id = r.event"):
        if row["person"] in people:
            people[row["person"]].registrations.append(
                (row["slug"], row["status"], row["starts_at"]))
    for row in await fetch("SELECT person, occurred_at FROM engagement_events "
                           "WHERE type = 'content_viewed'"):
        if row["person"] in people:
            people[row["person"]].content_views.append(row["occurred_at"])
    kinds = await fetch("SELECT t.application, s.kind FROM stage_transitions t "
                        "JOIN requisition_stages s ON s.id = t.to_stage")
    reached: dict[int, set[str]] = {}
    for row in kinds:
        reached.setdefault(row["application"], set()).add(row["kind"])
    for row in await fetch("SELECT * FROM applications"):
        if row["person"] in people:
            people[row["person"]].applications.append(
                {**row, "kinds": reached.get(row["id"], set())})
    for row in await fetch("SELECT person, tag FROM person_tags"):
        if row["person"] in people:
            people[row["person"]].tags.add(row["tag"].lower())
    for row in await fetch("SELECT person, pool FROM pool_members"):
        if row["person"] in people:
            people[row["person"]].pools.add(row["pool"])
    return people


def matches(group: Group, person: Person, catalog: Catalog, now: datetime) -> bool:
    results = (matches(item, person, catalog, now) if isinstance(item, Group)
               else _condition(item, person, catalog, now) for item in group.items)
    return all(results) if group.match == "all" else any(results)


def _condition(cond: Condition, person: Person, catalog: Catalog, now: datetime) -> bool:
    op = POSITIVE_OF.get(cond.op, cond.op)
    result = _positive(cond, op, person, catalog, now)
    return not result if cond.op in POSITIVE_OF else result


def _positive(cond: Condition, op: str, p: Person, catalog: Catalog, now: datetime) -> bool:
    f, v, profile = cond.field, cond.value, p.profile or {}
    if f == "skills":
        have = set(profile.get("skills") or [])
        groups = [set(catalog.with_children(s)) if cond.children else {s} for s in v]
        if op == "any":
            return any(have & g for g in groups)
        return all(have & g for g in groups)
    if f in ("job_function", "seniority", "country", "time_zone"):
        return p.profile is not None and profile[f] in v
    if f == "work_mode":
        return bool(set(profile.get("work_modes") or []) & set(v))
    if f == "community":
        return bool(p.communities & set(v))
    if f == "consent":
        return any(_latest_decisive(entries) == "given"
                   for (purpose, _), entries in p.consent.items() if purpose == v)
    if f == "engagement_score":
        return v[0] <= (p.score or 0) <= v[1]
    if f == "engagement_band":
        return (p.band or "cold") in v
    if f == "last_engaged":
        return p.last_engaged_at is not None and p.last_engaged_at >= now - timedelta(days=v)
    if f == "event":
        slugs, days = v
        wanted = {"registered": lambda s: s != "cancelled", "attended": lambda s: s == "attended",
                  "no_show": lambda s: s == "no_show"}[op]
        return any(wanted(status) and (not slugs or slug in slugs)
                   and (days is None or starts >= now - timedelta(days=days))
                   for slug, status, starts in p.registrations)
    if f == "content_viewed":
        return any(op == "ever" or at >= now - timedelta(days=v) for at in p.content_views)
    if f == "application":
        return any(op == "applied_any" or a["requisition"] in v for a in p.applications)
    if f == "furthest_stage":
        wanted = set(STAGE_KINDS[STAGE_KINDS.index(v):])
        return any(a["kinds"] & wanted for a in p.applications)
    if f == "rejection_reason":
        return any(a["rejection_reason"] in v for a in p.applications)
    if f == "silver_medalist":
        return any(a["silver_medalist"] for a in p.applications)
    if f == "source":
        return p.source in v
    if f == "tag":
        wanted = {t.lower() for t in v}
        return wanted <= p.tags if op == "all" else bool(wanted & p.tags)
    if f == "created":
        if op == "within_days":
            return p.created_at >= now - timedelta(days=v)
        start = datetime.combine(date.fromisoformat(v), time(), tzinfo=UTC)
        return p.created_at >= start if op == "after" else p.created_at < start
    if f == "pool":
        return bool(p.pools & set(v))
    raise AssertionError(f)


def _latest_decisive(entries: list[tuple[datetime, int, str]]) -> str | None:
    decisive = [e for e in entries if e[2] in ("given", "withdrawn", "expired")]
    return max(decisive)[2] if decisive else None


def dumps(definition: dict) -> str:
    return json.dumps(definition, indent=1)
