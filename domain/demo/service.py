"""Demo data for a fresh installation: communities, staff accounts, and a few thousand
people with believable memberships, consent ledgers, engagement and sent emails.

Everything is generated in memory from one `random.Random(seed)` (same seed, same data)
and written with COPY in one transaction, so a failure leaves nothing half-seeded.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from domain.accounts import service as accounts
from domain.bootstrap import ensure_reference_data
from domain.consent import service as consent
from domain.consent.rules import COMMUNITY_EMAILS
from domain.db import connection, transaction
from domain.demo import campaigns as demo_campaigns
from domain.demo import data, jobs_writer, marketing, talent
from domain.demo import events as demo_events
from domain.demo import jobs as demo_jobs
from domain.demo.jobs_data import JOBS
from domain.engagement import scoring
from domain.pipeline.rules import JOB_PROCESSING
from domain.ports import Clock

COMPANY = "Acme"
SOURCE = "demo"
EMAIL_DOMAIN = "example.com"  # reserved (RFC 2606): demo mail can never reach anyone
STAFF = (
    ("recruiter@demo.local", "Riley Recruiter", ["recruiter"]),
    ("admin@demo.local", "Avery Admin", ["admin"]),
    ("hiring.manager@demo.local", "Morgan Manager", ["hiring_manager"]),
    ("host@demo.local", "Emery Host", ["event_host"]),
    ("marketing@demo.local", "Marley Marketing", ["marketing"]),
)
STAFF_EMAILS = [email for email, _, _ in STAFF]


@dataclass(frozen=True)
class SeedSummary:
    """The demo data present after the call; `created` says whether this call wrote it."""

    created: bool
    people: int = 0
    memberships: int = 0
    consent_records: int = 0
    engagement_events: int = 0
    emails: int = 0
    events: int = 0
    event_registrations: int = 0
    requisitions: int = 0
    applications: int = 0
    staff_emails: list[str] = field(default_factory=list)
    profiles: int = 0
    tags: int = 0
    silver_medalists: int = 0
    pools: int = 0
    segments: int = 0


async def seed_demo(
    *, clock: Clock, people: int = 2000, seed: int = 42, staff_password: str
) -> SeedSummary:
    """Seed the demo once; later calls change nothing and report what is there."""
    now = clock.now()
    async with transaction(), connection() as conn:
        # Two processes starting at once (web + worker) must not both seed.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('talentloop.demo_seed'))")
        await ensure_reference_data(clock=clock, company_name=COMPANY)
        if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM people WHERE source = $1)", SOURCE):
            return await _existing_summary(conn)
        await _ensure_staff(conn, staff_password, clock)
        communities = await _ensure_communities(conn, now)
        text = await consent.current_text(COMMUNITY_EMAILS)
        taken = {r["email"] for r in await conn.fetch(
            "SELECT email FROM people WHERE email LIKE $1", f"%@{EMAIL_DOMAIN}")}
        plan = Generator(seed=seed, now=now, communities=communities, taken=taken).build(people)
        hosted = demo_events.plan_events(
            seed=seed, now=now, people=plan.attendees,
            community_ids={c.slug: c.id for c in communities},
            taken_slugs=await demo_events.taken_slugs(conn))
        plan.events.extend(hosted.engagement)
        jobs = demo_jobs.plan_jobs(
            seed=seed, now=now, stages=await jobs_writer.template_stages(conn),
            people=[demo_jobs.Applicant(p.created, frozenset(p.communities))
                    for p in plan.attendees])
        person_ids = await _write(conn, plan, text["id"])
        await demo_events.write(conn, hosted, person_ids)
        job_text = await consent.current_text(JOB_PROCESSING)
        await jobs_writer.write(conn, jobs, person_ids, job_text["id"])
        # Campaigns and the welcome sequence: they read the consent ledger written above,
        # and come before the scores and saved segments that read what they add.
        mailed = await demo_campaigns.write(conn, now=now, seed=seed)
        # Scores now, so segments on engagement work from the first page view (the worker
        # would otherwise fill them within five minutes).
        await scoring.refresh(person_ids, now=now)
        # Profiles, tags, silver medalists, pools and saved segments; after the scores,
        # which segments on engagement read (profiles and pools do not change scores).
        written = await talent.write(conn, seed=seed, now=now, people=talent.people_of(
            plan.people, plan.memberships, {c.id: c.slug for c in communities}, person_ids))
        await marketing.write(conn, now=now)
        return SeedSummary(
            True, len(plan.people), len(plan.memberships),
            len(plan.consents) + len(jobs.applications) + mailed["consent_records"],
            len(plan.events) + jobs_writer.timeline_count(jobs) + written.events
            + mailed["engagement_events"],
            len(plan.emails), len(hosted.events), len(hosted.registrations), len(jobs.jobs),
            len(jobs.applications), await _staff_present(conn),
            **await talent.counts(conn, SOURCE),
        )


async def _existing_summary(conn: Any) -> SeedSummary:
    row = await conn.fetchrow(
        "WITH demo AS (SELECT id FROM people WHERE source = $1) SELECT "
        "(SELECT count(*) FROM demo) AS people, "
        "(SELECT count(*) FROM community_memberships WHERE person IN (SELECT id FROM demo)) "
        "AS memberships, "
        "(SELECT count(*) FROM consent_records WHERE person IN (SELECT id FROM demo)) "
        "AS consent_records, "
        "(SELECT count(*) FROM engagement_events WHERE person IN (SELECT id FROM demo)) "
        "AS engagement_events, "
        "(SELECT count(*) FROM outbound_emails WHERE dedupe_key LIKE 'demo:%') AS emails, "
        "(SELECT count(DISTINCT h.event) FROM event_hosts h JOIN staff_users s "
        " ON s.id = h.staff WHERE s.email = $2 AND h.role = 'owner') AS events, "
        "(SELECT count(*) FROM event_registrations WHERE person IN (SELECT id FROM demo)) "
        "AS event_registrations, "
        "(SELECT count(*) FROM requisitions WHERE slug = ANY($3)) AS requisitions, "
        "(SELECT count(*) FROM applications WHERE person IN (SELECT id FROM demo)) "
        "AS applications",
        SOURCE, demo_events.HOST, [job.slug for job in JOBS],
    )
    return SeedSummary(False, **dict(row), staff_emails=await _staff_present(conn),
                       **await talent.counts(conn, SOURCE))


async def _staff_present(conn: Any) -> list[str]:
    rows = await conn.fetch("SELECT email FROM staff_users WHERE email = ANY($1)", STAFF_EMAILS)
    present = {row["email"] for row in rows}
    return [email for email in STAFF_EMAILS if email in present]


async def _ensure_staff(conn: Any, password: str, clock: Clock) -> None:
    existing = set(await _staff_present(conn))
    for email, full_name, roles in STAFF:
        if email not in existing:
            await _create_staff(conn, email, full_name, roles, password, clock)


async def _create_staff(
    conn: Any, email: str, full_name: str, roles: list[str], password: str, clock: Clock
) -> None:
    await accounts.create_user(
        email=email, full_name=full_name, roles=roles, password=password, clock=clock
    )


async def _ensure_communities(conn: Any, now: datetime) -> list[Community]:
    created_at = now - timedelta(days=760)
    await conn.executemany(
        "INSERT INTO talent_communities (slug, name, description, is_public, interest_options, "
        "created_at) VALUES ($1, $2, $3, true, $4, $5) ON CONFLICT (slug) DO NOTHING",
        [(c["slug"], c["name"], c["description"], c["interests"], created_at)
         for c in data.COMMUNITIES],
    )
    rows = await conn.fetch(
        "SELECT id, slug, name, interest_options FROM talent_communities WHERE slug = ANY($1)",
        [c["slug"] for c in data.COMMUNITIES],
    )
    by_slug = {row["slug"]: row for row in rows}
    return [
        Community(r["id"], r["slug"], r["name"], tuple(r["interest_options"] or ()))
        for r in (by_slug[c["slug"]] for c in data.COMMUNITIES)
    ]


async def _reserve_ids(conn: Any, table: str, count: int) -> list[int]:
    rows = await conn.fetch(
        "SELECT nextval(pg_get_serial_sequence($1, 'id')) AS id FROM generate_series(1, $2)",
        table, count,
    )
    return [row["id"] for row in rows]


async def _write(conn: Any, plan: Plan, text_id: int) -> list[int]:
    """Writes the people and their history; returns the people's ids, in plan order."""
    person_ids = await _reserve_ids(conn, "people", len(plan.people))
    email_ids = await _reserve_ids(conn, "outbound_emails", len(plan.emails))
    await _copy(conn, "people", ("id", "email", "full_name", "source", "created_at",
                                 "updated_at"),
                [(person_ids[i], email, name, SOURCE, created, updated)
                 for i, (email, name, created, updated) in enumerate(plan.people)])
    await _copy(conn, "community_memberships", ("person", "community", "status", "interests",
                                                "requested_at", "confirmed_at", "left_at"),
                [(person_ids[p], *rest) for p, *rest in plan.memberships])
    await _copy(conn, "consent_records", ("person", "purpose", "scope", "consent_text",
                                          "action", "method", "occurred_at", "ip", "user_agent"),
                [(person_ids[p], COMMUNITY_EMAILS, scope, text_id, *rest)
                 for p, scope, *rest in plan.consents])
    await _copy(conn, "outbound_emails", _EMAIL_COLUMNS,
                [_email_row(email_ids[i], person_ids, plan.people, row)
                 for i, row in enumerate(plan.emails)])
    await _copy(conn, "engagement_events", ("person", "type", "occurred_at", "source",
                                            "payload"),
                [_event_row(person_ids, email_ids, row) for row in plan.events])
    return person_ids


_EMAIL_COLUMNS = (
    "id", "person", "to_address", "template", "context", "kind", "state", "dedupe_key",
    "subject", "message_id", "attempts", "created_at", "claimed_at", "sent_at",
)


def _email_row(email_id: int, person_ids: list[int], people: list[tuple], row: tuple) -> tuple:
    person, template, kind, dedupe_key, subject, created_at, sent_at = row
    return (
        email_id, person_ids[person], people[person][0], template, "{}", kind, "sent",
        dedupe_key, subject, f"<demo.tl{email_id}@talentloop.local>", 1, created_at,
        sent_at - timedelta(seconds=1), sent_at,
    )


def _event_row(person_ids: list[int], email_ids: list[int], row: tuple) -> tuple:
    person, kind, occurred_at, source, payload, email = row
    if email is not None:
        # Same shape mail.service.mark_sent records for a real send.
        payload = {"email_id": email_ids[email], **payload}
    return (person_ids[person], kind, occurred_at, source, json.dumps(payload))


async def _copy(conn: Any, table: str, columns: tuple[str, ...], records: list[tuple]) -> None:
    if records:
        await conn.copy_records_to_table(table, records=records, columns=list(columns))


# --- generation: pure, in memory, driven by one random.Random -----------------------------

HISTORY_SECONDS = 730 * 24 * 3600
NEWSLETTER_HISTORY = timedelta(days=365)
# consent action -> (how it is recorded, the engagement event that goes with it)
STEPS = {
    "requested": ("web_form", "community_join_requested"),
    "given": ("double_opt_in", "community_joined"),
    "withdrawn": ("preference_centre", "community_left"),
}


class Community(NamedTuple):
    id: int
    slug: str
    name: str
    interests: tuple[str, ...]


@dataclass
class Plan:
    """Rows to write; people are referred to by index (ids are reserved when writing)."""

    people: list[tuple] = field(default_factory=list)  # email, name, created, updated
    # person, community id, status, interests, requested, confirmed, left
    memberships: list[tuple] = field(default_factory=list)
    consents: list[tuple] = field(default_factory=list)  # person, scope, action, method, at, ip, ua
    # person, template, kind, dedupe key, subject, created, sent
    emails: list[tuple] = field(default_factory=list)
    # person, type, at, source, payload, index of the email it reports (or None)
    events: list[tuple] = field(default_factory=list)
    # What the event planner needs about each person (same order as `people`).
    attendees: list[demo_events.Person] = field(default_factory=list)


class Generator:
    def __init__(self, *, seed: int, now: datetime, communities: list[Community],
                 taken: set[str]) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
        self.now = now
        self.communities = communities
        self.taken = set(taken)
        self.plan = Plan()
        self.issues = {c.slug: self._issues(i, c) for i, c in enumerate(communities)}

    def build(self, count: int) -> Plan:
        for _ in range(count):
            self._person()
        return self.plan

    def _between(self, start: datetime, end: datetime) -> datetime:
        span = int((end - start).total_seconds())
        return start + timedelta(seconds=self.rng.randint(1, max(1, span - 1)))

    def _event(self, person: int, kind: str, at: datetime, source: str, payload: dict) -> None:
        self.plan.events.append((person, kind, at, source, payload, None))

    def _person(self) -> None:
        idx, rng = len(self.plan.people), self.rng
        tier = rng.choices(data.TIERS, data.TIER_WEIGHTS)[0]
        first, last = data.person_name(rng)
        # The power skews sign-ups toward the recent past, as a growing community looks.
        age = max(7200, int(HISTORY_SECONDS * rng.random() ** 1.5))
        created = self.now - timedelta(seconds=age)
        email = self._email(first, last)
        joined = rng.sample(self.communities, rng.choices(range(4), tier.joins)[0])
        for n, community in enumerate(joined):
            # The first join request is what brought them in; later ones come any time after.
            requested = created if n == 0 else self._between(created, self.now - timedelta(hours=1))
            self._membership(idx, community, requested, tier)
        updated = self._actions(idx, created, tier, [c.slug for c in joined])
        self.plan.people.append((email, f"{first} {last}", created, updated))
        self.plan.attendees.append(demo_events.Person(
            created, data.TIERS.index(tier), [c.slug for c in joined]))

    def _email(self, first: str, last: str) -> str:
        local = data.email_local(self.rng, first, last)
        address, k = f"{local}@{EMAIL_DOMAIN}", 1
        while address in self.taken:
            k += 1
            address = f"{local}.{k}@{EMAIL_DOMAIN}"
        self.taken.add(address)
        return address

    def _membership(self, idx: int, community: Community, requested: datetime,
                    tier: data.Tier) -> None:
        status = self.rng.choices(*data.STATUSES)[0]
        self._step(idx, community.slug, "requested", requested)
        self._confirm_email(idx, community, requested)
        confirmed = left = None
        if status != "pending":
            confirmed = requested + self._opt_in_delay(requested)
            self._step(idx, community.slug, "given", confirmed)
        if confirmed is not None and status == "left":
            left = self._between(confirmed, self.now)
            self._step(idx, community.slug, "withdrawn", left)
        options = list(community.interests)
        interests = self.rng.sample(options, min(len(options), self.rng.randint(1, 3)))
        self.plan.memberships.append(
            (idx, community.id, status, interests, requested, confirmed, left))
        if confirmed is not None:
            self._newsletters(idx, community, confirmed, left or self.now, tier)

    def _step(self, idx: int, slug: str, action: str, at: datetime) -> None:
        method, event = STEPS[action]
        ip = self.rng.choice(data.IP_PREFIXES) + str(self.rng.randint(1, 254))
        agent = self.rng.choice(data.USER_AGENTS)
        self.plan.consents.append((idx, slug, action, method, at, ip, agent))
        self._event(idx, event, at, "portal", {"community": slug})

    def _opt_in_delay(self, requested: datetime) -> timedelta:
        # Most people click the link within the hour, a few come back days later.
        seconds = 60 * min(self.rng.lognormvariate(math.log(30), 1.8), 6 * 24 * 60)
        room = (self.now - requested).total_seconds() / 2
        return timedelta(seconds=int(max(180, min(seconds, room))))

    def _send(self, idx: int, template: str, kind: str, key: str, subject: str,
              created: datetime, sent: datetime) -> None:
        self.plan.events.append(
            (idx, "email_sent", sent, template, {"subject": subject}, len(self.plan.emails)))
        self.plan.emails.append((idx, template, kind, key, subject, created, sent))

    def _confirm_email(self, idx: int, community: Community, requested: datetime) -> None:
        subject = f"Confirm you want to join the {COMPANY} {community.name} community"
        sent = requested + timedelta(seconds=self.rng.randint(5, 90))
        key = f"demo:community_confirm:{community.slug}:{idx}"
        self._send(idx, "community_confirm", "transactional", key, subject, requested, sent)

    def _issues(self, index: int, community: Community) -> list[tuple[datetime, str]]:
        """A quarterly newsletter per community over the last year, each on its own day."""
        now = self.now.astimezone(UTC)
        since = now - NEWSLETTER_HISTORY
        month = since.replace(day=1, hour=9, minute=0, second=0, microsecond=0)
        headlines = data.NEWSLETTER_HEADLINES.get(community.slug, ("News from the community",))
        issues: list[tuple[datetime, str]] = []
        while month < now:
            at = month.replace(day=4 + 3 * index % 24)
            headline = headlines[len(issues) % len(headlines)]
            if since < at < now:
                issues.append((at, f"{headline} | {COMPANY} {community.name}, {at:%B %Y}"))
            month = (month + timedelta(days=92)).replace(day=1)
        return issues

    def _newsletters(self, idx: int, community: Community, start: datetime, end: datetime,
                     tier: data.Tier) -> None:
        for scheduled, subject in self.issues[community.slug]:
            sent = scheduled + timedelta(seconds=self.rng.randint(1, 900))
            if not start < scheduled < sent < end:
                continue
            key = f"demo:newsletter:{community.slug}:{scheduled:%Y-%m}:{idx}"
            self._send(idx, "community_newsletter", "marketing", key, subject, scheduled, sent)
            if self.rng.random() < tier.opens:
                self._opened(idx, sent, subject)

    def _opened(self, idx: int, sent: datetime, subject: str) -> None:
        opened = sent + timedelta(minutes=min(self.rng.lognormvariate(math.log(90), 1.5), 7200))
        if opened < self.now:
            self._event(idx, "email_opened", opened, "community_newsletter", {"subject": subject})
        clicked = opened + timedelta(seconds=self.rng.randint(5, 600))
        if self.rng.random() < 0.35 and clicked < self.now:
            payload = {"subject": subject, "path": self.rng.choice(data.PAGES)}
            self._event(idx, "email_clicked", clicked, "community_newsletter", payload)

    def _actions(self, idx: int, created: datetime, tier: data.Tier, slugs: list[str]) -> datetime:
        """What they did on the portal; returns when their profile last changed."""
        updated = created
        every = [c.slug for c in self.communities]
        for _ in range(self.rng.randint(*tier.actions)):
            kind = self.rng.choices(*data.ACTIONS)[0]
            at = self._between(created, self.now)
            source, payload = data.action_payload(self.rng, kind, slugs or every)
            self._event(idx, kind, at, source, payload)
            if kind == "profile_updated":
                updated = max(updated, at)
        return updated
