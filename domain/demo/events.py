"""Demo recruiting events: past ones with attendance taken, upcoming ones filling up, one
full with a waiting list and an open seat offer, one online, one draft.

Registrations are not invented row by row: each event replays the registration service's
rules (domain.events.service) over a timeline of sign-ups, cancellations and offer
answers, then the door (domain.events.attendance) and closing attendance for past events.
So `taken`, statuses, waitlist order and the people's timelines agree the way the product
leaves them. Pure until `write`, which uses COPY like the rest of the seed.
"""

from __future__ import annotations

import heapq
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.demo.data import EVENT_ANSWERS, EVENTS, EventSpec
from domain.events.rules import SEAT_STATUSES

HOST = "host@demo.local"
CO_HOST = "recruiter@demo.local"
# How keen each engagement tier (domain.demo.data.TIERS, in order) is on events.
TIER_KEENNESS = (0.15, 1.0, 3.0, 6.0)
AUTO_CLOSE_AFTER = {"in_person": timedelta(hours=6), "virtual": timedelta(hours=48),
                    "hybrid": timedelta(hours=48)}


@dataclass
class Registration:
    event: int  # index into EventsPlan.events
    person: int  # index into the seed's people
    created: datetime
    source: str
    answers: dict[str, str]
    status: str = "registered"
    updated: datetime | None = None
    offer_expires: datetime | None = None
    cancelled: datetime | None = None
    checked_in: datetime | None = None
    checked_in_by: str = ""
    joined: datetime | None = None
    minutes: int | None = None


@dataclass
class EventsPlan:
    events: list[dict[str, Any]] = field(default_factory=list)  # events table columns
    hosts: list[tuple[int, str, str]] = field(default_factory=list)  # event, email, role
    registrations: list[Registration] = field(default_factory=list)
    # person, type, at, source, payload, None: the shape of the seed's engagement rows
    engagement: list[tuple] = field(default_factory=list)


class Person:
    """What the planner needs to know about a seeded person."""

    __slots__ = ("communities", "created", "keenness")

    def __init__(self, created: datetime, tier: int, communities: Sequence[str]) -> None:
        self.created, self.keenness, self.communities = created, TIER_KEENNESS[tier], \
            set(communities)


def plan_events(*, seed: int, now: datetime, people: list[Person], community_ids: dict[str, int],
                taken_slugs: set[str]) -> EventsPlan:
    rng = random.Random(f"{seed}:events")  # noqa: S311 - reproducible demo data
    plan = EventsPlan()
    for spec in EVENTS:
        index = len(plan.events)
        event = _event_row(spec, now, community_ids, _free_slug(spec.slug, taken_slugs))
        plan.events.append(event)
        plan.hosts.append((index, HOST, "owner"))
        if spec.co_host:
            plan.hosts.append((index, CO_HOST, "co_host"))
        if event["status"] == "published":
            _Replay(rng, plan, index, spec, now).run(people)
        event["taken"] = sum(r.status in SEAT_STATUSES for r in plan.registrations
                             if r.event == index)
    return plan


def _free_slug(slug: str, taken: set[str]) -> str:
    candidate, number = slug, 1
    while candidate in taken:
        number += 1
        candidate = f"{slug}-{number}"
    taken.add(candidate)
    return candidate


def _event_row(spec: EventSpec, now: datetime, community_ids: dict[str, int],
               slug: str) -> dict[str, Any]:
    zone = ZoneInfo(spec.time_zone)
    day = (now.astimezone(zone) + timedelta(days=spec.days_from_now)).date()
    starts = datetime.combine(day, time.fromisoformat(spec.starts), tzinfo=zone)
    ends = starts + timedelta(hours=spec.hours)
    created = starts - timedelta(days=spec.lead_days + 2)
    deadline = starts - timedelta(hours=spec.deadline_hours) if spec.deadline_hours else None
    return {
        "slug": slug, "title": spec.title, "description": spec.description, "kind": spec.kind,
        "starts_at": starts, "ends_at": ends, "time_zone": spec.time_zone,
        "venue": spec.venue, "join_url": spec.join_url, "capacity": spec.capacity, "taken": 0,
        "registration_deadline": deadline, "status": spec.status,
        "offer_hours": spec.offer_hours, "questions": [dict(q) for q in spec.questions],
        "communities": [community_ids[s] for s in spec.communities if s in community_ids],
        "habitual_no_shows_waitlisted": False, "sequence": 0, "attendance_closed_at": None,
        "created_at": created, "updated_at": created + timedelta(days=2),
    }


class _Replay:
    """One event's registrations, replayed in time order under the service's rules."""

    def __init__(self, rng: random.Random, plan: EventsPlan, index: int, spec: EventSpec,
                 now: datetime) -> None:
        self.rng, self.plan, self.index, self.spec, self.now = rng, plan, index, spec, now
        self.event = plan.events[index]
        self.regs: list[Registration] = []
        self.waiting: list[Registration] = []
        self.taken = 0
        self.actions: list[tuple[datetime, int, str, Registration]] = []

    def run(self, people: list[Person]) -> None:
        opens = self.event["updated_at"]  # published two days after it was created
        closes = min(self.event["registration_deadline"] or self.event["starts_at"], self.now)
        for person in self._registrants(people, closes):
            start = max(people[person].created + timedelta(minutes=5), opens)
            if start < closes:
                self._sign_up(person, _between(self.rng, start, closes))
        self._schedule_cancellations()
        self._play(until=min(self.event["starts_at"], self.now))
        self.plan.registrations.extend(self.regs)
        if self.event["ends_at"] < self.now:
            self._take_attendance(people)

    # -- who and when -------------------------------------------------------------------

    def _registrants(self, people: list[Person], closes: datetime) -> list[int]:
        """Weighted sampling without replacement (Efraimidis-Spirakis): keen people and
        members of the communities the event is promoted to sign up more."""
        promoted = set(self.spec.communities)
        keys = []
        for index, person in enumerate(people):
            if person.created >= closes - timedelta(hours=2):
                continue
            weight = person.keenness * (3.0 if person.communities & promoted else 1.0)
            keys.append((self.rng.random() ** (1.0 / weight), index))
        keys.sort(reverse=True)
        return [index for _, index in keys[:self.spec.registrations]]

    def _sign_up(self, person: int, at: datetime) -> None:
        source = self.rng.choices(("guest", "portal", "manual"), (50, 45, 5))[0]
        reg = Registration(self.index, person, at, source, self._answers(), updated=at)
        self.regs.append(reg)
        self._schedule(at, "register", reg)

    def _answers(self) -> dict[str, str]:
        answers = {}
        for question in self.spec.questions:
            if question["kind"] == "choice":
                answer = self.rng.choice(question["choices"])
            elif question["kind"] == "yes_no":
                answer = self.rng.choices(("yes", "no"), (1, 3))[0]
            else:
                answer = self.rng.choice(EVENT_ANSWERS)
            if question["required"] or self.rng.random() < 0.35:
                answers[question["key"]] = answer
        return answers

    def _schedule_cancellations(self) -> None:
        until = min(self.event["starts_at"], self.now)
        for reg in self.regs:
            if self.rng.random() < self.spec.cancel_rate and reg.created < until:
                self._schedule(_between(self.rng, reg.created, until), "cancel", reg)
        cancelling = {id(reg) for _, _, action, reg in self.actions if action == "cancel"}
        staying = [reg for reg in self.regs if id(reg) not in cancelling]
        if self.spec.late_cancel_hours and staying:
            # The earliest sign-up gives up their seat a few hours ago: the first person on
            # the waiting list has an offer still open.
            first = min(staying, key=lambda r: r.created)
            self._schedule(self.now - timedelta(hours=self.spec.late_cancel_hours), "cancel",
                           first)

    def _schedule(self, at: datetime, action: str, reg: Registration) -> None:
        heapq.heappush(self.actions, (at, len(self.actions), action, reg))

    # -- the service's rules ------------------------------------------------------------

    def _play(self, *, until: datetime) -> None:
        while self.actions and self.actions[0][0] < until:
            at, _, action, reg = heapq.heappop(self.actions)
            getattr(self, f"_{action}")(reg, at)

    def _has_seat(self) -> bool:
        return self.event["capacity"] is None or self.taken < self.event["capacity"]

    def _register(self, reg: Registration, at: datetime) -> None:
        if self._has_seat():
            self.taken += 1
            self._record(reg, "event_registered", at)
        else:
            reg.status = "waitlisted"
            self.waiting.append(reg)
            self._record(reg, "event_waitlisted", at)

    def _cancel(self, reg: Registration, at: datetime) -> None:
        if reg.status not in ("registered", "offered", "waitlisted"):
            return
        self._release(reg, at)
        self._record(reg, "event_cancelled", at)
        self._fill(at)

    def _release(self, reg: Registration, at: datetime) -> None:
        if reg.status == "waitlisted":
            self.waiting.remove(reg)
        else:
            self.taken -= 1
        reg.status, reg.cancelled, reg.offer_expires, reg.updated = "cancelled", at, None, at

    def _fill(self, at: datetime) -> None:
        """Free seats go to the waiting list in order, as expiring offers."""
        hours = self.event["offer_hours"]
        while self.waiting and self._has_seat():
            reg = self.waiting.pop(0)
            self.taken += 1
            reg.status, reg.offer_expires, reg.updated = "offered", at + timedelta(hours=hours), at
            self._record(reg, "event_offered", at)
            answer_after = timedelta(hours=self.rng.uniform(4, hours * 1.25))
            if self.rng.random() < 0.8 and answer_after < timedelta(hours=hours):
                self._schedule(at + answer_after, "accept", reg)
            else:
                self._schedule(reg.offer_expires, "expire", reg)

    def _accept(self, reg: Registration, at: datetime) -> None:
        if reg.status == "offered" and reg.offer_expires and at < reg.offer_expires:
            reg.status, reg.offer_expires, reg.updated = "registered", None, at
            self._record(reg, "event_registered", at)

    def _expire(self, reg: Registration, at: datetime) -> None:
        if reg.status == "offered":
            self._release(reg, at)  # the offer lapses quietly; the seat passes on
            self._fill(at)

    # -- after the event ----------------------------------------------------------------

    def _take_attendance(self, people: list[Person]) -> None:
        starts, ends = self.event["starts_at"], self.event["ends_at"]
        if self.event["kind"] == "virtual":
            self._import_report(starts, ends)
        else:
            self._check_in(starts)
            self._walk_ins(people, starts)
        closed = ends + AUTO_CLOSE_AFTER[self.event["kind"]] + timedelta(minutes=5)
        self.event["attendance_closed_at"] = closed
        for reg in self.regs:
            if reg.status == "registered":
                reg.status, reg.updated = "no_show", closed
                self._record(reg, "event_no_show", closed)
            elif reg.status in ("offered", "waitlisted"):
                reg.status, reg.cancelled, reg.offer_expires, reg.updated = \
                    "cancelled", closed, None, closed

    def _check_in(self, starts: datetime) -> None:
        for reg in self.regs:
            if reg.status == "registered" and self.rng.random() < self.spec.attend_rate:
                at = starts + timedelta(minutes=self.rng.randint(-20, 60))
                self._attended(reg, at)

    def _attended(self, reg: Registration, at: datetime) -> None:
        reg.status, reg.checked_in, reg.updated = "attended", at, at
        reg.checked_in_by = CO_HOST if self.spec.co_host and self.rng.random() < 0.4 else HOST
        self._record(reg, "event_attended", at)

    def _walk_ins(self, people: list[Person], starts: datetime) -> None:
        registered = {reg.person for reg in self.regs}
        pool = [i for i, p in enumerate(people)
                if i not in registered and p.created < starts - timedelta(days=1)]
        for person in self.rng.sample(pool, min(self.spec.walk_ins, len(pool))):
            if not self._has_seat():
                return
            at = starts + timedelta(minutes=self.rng.randint(0, 45))
            reg = Registration(self.index, person, at, "walk_in", {})
            self.taken += 1
            self._attended(reg, at)
            self.regs.append(reg)
            self.plan.registrations.append(reg)

    def _import_report(self, starts: datetime, ends: datetime) -> None:
        """The meeting tool's report, imported the next morning."""
        imported = ends + timedelta(hours=20)
        length = int((ends - starts).total_seconds() // 60)
        for reg in self.regs:
            if reg.status == "registered" and self.rng.random() < self.spec.attend_rate:
                reg.status, reg.updated = "attended", imported
                reg.joined = starts + timedelta(minutes=self.rng.randint(-5, 15))
                reg.minutes = self.rng.randint(min(10, length), length)
                self._record(reg, "event_attended", imported)

    def _record(self, reg: Registration, kind: str, at: datetime) -> None:
        self.plan.engagement.append(
            (reg.person, kind, at, "events", {"event": self.event["slug"]}, None))


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = max(1, int((end - start).total_seconds()))
    return start + timedelta(seconds=rng.randint(0, span - 1))


# -- writing --------------------------------------------------------------------------------

_EVENT_COLUMNS = (
    "id", "slug", "title", "description", "kind", "starts_at", "ends_at", "time_zone", "venue",
    "join_url", "capacity", "taken", "registration_deadline", "status", "offer_hours",
    "questions", "communities", "habitual_no_shows_waitlisted", "sequence",
    "attendance_closed_at", "created_at", "updated_at",
)
_REGISTRATION_COLUMNS = (
    "event", "person", "status", "position", "offer_expires_at", "answers", "source",
    "checked_in_at", "checked_in_by", "joined_at", "attended_minutes", "created_at",
    "updated_at", "cancelled_at",
)


async def taken_slugs(conn: Any) -> set[str]:
    return {row["slug"] for row in await conn.fetch("SELECT slug FROM events")}


async def write(conn: Any, plan: EventsPlan, person_ids: list[int]) -> None:
    event_ids = await _next_values(conn, "events_id_seq", len(plan.events))
    # Waitlist order is the position sequence's order, as for real sign-ups.
    positions = await _next_values(conn, "event_registration_position_seq",
                                   len(plan.registrations))
    staff = {row["email"]: row["id"] for row in await conn.fetch(
        "SELECT id, email FROM staff_users WHERE email = ANY($1)", [HOST, CO_HOST])}
    events = [tuple(_event_value(event, name, event_ids[i]) for name in _EVENT_COLUMNS)
              for i, event in enumerate(plan.events)]
    await conn.copy_records_to_table("events", records=events, columns=list(_EVENT_COLUMNS))
    hosts = [(event_ids[e], staff[email], role, plan.events[e]["created_at"])
             for e, email, role in plan.hosts if email in staff]
    await conn.copy_records_to_table("event_hosts", records=hosts,
                                     columns=["event", "staff", "role", "created_at"])
    in_order = sorted(plan.registrations, key=lambda r: (r.created, r.event, r.person))
    rows = [_registration_row(reg, event_ids, person_ids, position)
            for reg, position in zip(in_order, positions, strict=True)]
    await conn.copy_records_to_table("event_registrations", records=rows,
                                     columns=list(_REGISTRATION_COLUMNS))


async def _next_values(conn: Any, sequence: str, count: int) -> list[int]:
    rows = await conn.fetch("SELECT nextval($1::regclass) AS n FROM generate_series(1, $2)",
                            sequence, count)
    return [row["n"] for row in rows]


def _event_value(event: dict[str, Any], name: str, event_id: int) -> Any:
    if name == "id":
        return event_id
    return json.dumps(event["questions"]) if name == "questions" else event[name]


def _registration_row(reg: Registration, event_ids: list[int], person_ids: list[int],
                      position: int) -> tuple:
    return (event_ids[reg.event], person_ids[reg.person], reg.status, position,
            reg.offer_expires, json.dumps(reg.answers), reg.source, reg.checked_in,
            reg.checked_in_by, reg.joined, reg.minutes, reg.created, reg.updated or reg.created,
            reg.cancelled)
