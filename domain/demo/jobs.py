"""Demo requisitions and their pipelines: open roles with applicants in every stage, one on
hold, one closed by a hire, one draft.

Each application replays what the pipeline does (domain.pipeline.service.apply, then
domain.pipeline.moves): an `applied` transition first, then moves one stage at a time in
time order, ending active, rejected with a reason from the managed list, withdrawn by the
candidate, or hired (which takes an opening and closes a requisition once it is filled).
Pure until `domain.demo.jobs_writer.write`, which derives the audit and timeline rows the
pipeline writes from these transitions.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.demo.jobs_data import ANSWERS, JOBS, JobSpec
from domain.pipeline.rules import DECLINED

RECRUITER = "recruiter@demo.local"
HIRING_MANAGER = "hiring.manager@demo.local"
CANDIDATE = "person"  # `by` of a candidate's own action: becomes person:<id> when written
DECIDED_KINDS = ("hired", "rejected", "withdrawn")
ON_HOLD_FOR = timedelta(days=14)
# How far an application got before it stopped (index into the open stages), weighted.
DEPTH_WEIGHTS = (40, 26, 18, 10, 6)
# Where it stands there: still being considered, turned down, or the candidate left.
ENDINGS = (("active", "rejected", "withdrawn"), (52, 40, 8))
COMPANY_REASONS = (("Not enough experience", "Skills mismatch", "Other candidate chosen",
                    "Failed assessment"), (5, 5, 2, 2))
FILLED_REASON = "Position filled"
WITHDRAWN_REASON = "Withdrawn by the candidate"  # what the portal's withdraw records
SOURCES = (("portal", "linkedin", "referral", "indeed"), (55, 20, 15, 10))
# Voluntary self-identification: most applicants answer, with a plausible group mix.
EEO_SHARE = 0.6
EEO_MIX = {
    "gender": (("female", "male", "non_binary", DECLINED), (42, 48, 3, 7)),
    "race_ethnicity": (("hispanic_latino", "white", "black", "native_hawaiian_pacific",
                        "asian", "american_indian_alaska", "two_or_more", DECLINED),
                       (15, 45, 12, 1, 16, 1, 4, 6)),
    "veteran": (("protected_veteran", "not_protected_veteran", DECLINED), (5, 85, 10)),
    "disability": (("yes", "no", DECLINED), (8, 82, 10)),
}


@dataclass(frozen=True)
class Stage:
    name: str
    kind: str


@dataclass(frozen=True)
class Move:
    kind: str  # applied | moved | rejected | withdrawn | hired
    to: int  # index into the requisition's stages
    at: datetime
    by: str
    reason: str = ""  # a company reason's label, or the candidate's withdrawal note


@dataclass
class PlannedApplication:
    job: int  # index into JobsPlan.jobs
    person: int  # index into the seed's people
    source: str
    answers: dict[str, str]
    knockout: bool
    moves: list[Move] = field(default_factory=list)
    eeo: dict[str, str] | None = None

    @property
    def status(self) -> str:
        last = self.moves[-1].kind
        return last if last in DECIDED_KINDS else "active"


@dataclass
class PlannedJob:
    spec: JobSpec
    opened_at: datetime | None
    created_at: datetime
    closed_at: datetime | None = None
    held_at: datetime | None = None
    filled: int = 0


@dataclass
class JobsPlan:
    stages: list[Stage]
    jobs: list[PlannedJob] = field(default_factory=list)
    applications: list[PlannedApplication] = field(default_factory=list)


@dataclass(frozen=True)
class Applicant:
    """What the planner needs to know about a seeded person."""

    created: datetime
    communities: frozenset[str]


def plan_jobs(*, seed: int, now: datetime, people: Sequence[Applicant],
              stages: Sequence[Stage]) -> JobsPlan:
    """`stages` are the Standard template's, in position order (each job gets a copy)."""
    planner = _Planner(random.Random(f"{seed}:jobs"), now, people, list(stages))  # noqa: S311
    for spec in JOBS:
        planner.job(spec)
    return planner.plan


class _Planner:
    def __init__(self, rng: random.Random, now: datetime, people: Sequence[Applicant],
                 stages: list[Stage]) -> None:
        self.rng, self.now, self.people = rng, now, people
        self.plan = JobsPlan(stages)
        kinds = [stage.kind for stage in stages]
        self.open = [i for i, kind in enumerate(kinds) if kind not in DECIDED_KINDS]
        self.decided = {kind: kinds.index(kind) for kind in DECIDED_KINDS}

    def _at(self, start: datetime, end: datetime) -> datetime:
        span = max(2, int((end - start).total_seconds()))
        return start + timedelta(seconds=self.rng.randint(1, span - 1))

    def _gap(self) -> timedelta:
        # A stage takes a few days, sometimes a couple of weeks.
        return timedelta(hours=self.rng.randint(20, 24 * 12))

    def job(self, spec: JobSpec) -> None:
        created = self.now - timedelta(days=spec.opened_days_ago + 6, hours=3)
        opened = None if spec.status == "draft" else \
            self.now - timedelta(days=spec.opened_days_ago)
        job = PlannedJob(spec, opened, created)
        index = len(self.plan.jobs)
        self.plan.jobs.append(job)
        if opened is None:
            return
        end = self.now - timedelta(hours=1)
        if spec.status == "on_hold":
            job.held_at = end = self.now - ON_HOLD_FOR
        # Hires applied early: people already known when the role opened.
        veterans = self._applicants(spec, opened, spec.hires, set())
        hires = [self._hire(index, person, opened) for person in veterans]
        job.filled = len(hires)
        if spec.status == "closed":
            # Filled: the hire closed it, and nobody applied or moved after that. (A tiny
            # demo may have nobody old enough to have been hired: closed when it ended.)
            job.closed_at = end = hires[-1].moves[-1].at if hires else end
        for person in self._applicants(spec, end, spec.applicants - len(hires), set(veterans)):
            self._application(index, person, opened, end)
        if spec.status == "closed":
            self._close_remaining(index, end)

    def _applicants(self, spec: JobSpec, end: datetime, count: int,
                    taken: set[int]) -> list[int]:
        latest = end - timedelta(days=3)
        pool = [i for i, p in enumerate(self.people) if p.created < latest and i not in taken]
        weights = [4 if spec.community in self.people[i].communities else 1 for i in pool]
        picked: dict[int, None] = {}
        while len(picked) < min(count, len(pool)):  # bounded by the pool's size
            picked.setdefault(self.rng.choices(pool, weights)[0], None)
        return list(picked)

    def _new(self, job: int, person: int, applied: datetime) -> PlannedApplication:
        spec = self.plan.jobs[job].spec
        answers = {q["key"]: self.rng.choices(*ANSWERS[q["key"]])[0] for q in spec.questions}
        knockout = any(q["knockout"] is not None and answers[q["key"]] == q["knockout"]
                       for q in spec.questions)
        eeo = {name: self.rng.choices(*mix)[0] for name, mix in EEO_MIX.items()} \
            if self.rng.random() < EEO_SHARE else None
        app = PlannedApplication(job, person, self.rng.choices(*SOURCES)[0], answers,
                                 knockout, eeo=eeo)
        app.moves.append(Move("applied", self.open[0], applied, CANDIDATE))
        self.plan.applications.append(app)
        return app

    def _mover(self, job: int, to: int) -> str:
        # On their teams the hiring manager moves people into and through the interviews.
        if self.plan.jobs[job].spec.hiring_manager and \
                self.plan.stages[to].kind in ("interview", "offer") and self.rng.random() < 0.6:
            return HIRING_MANAGER
        return RECRUITER

    def _hire(self, job: int, person: int, opened: datetime) -> PlannedApplication:
        applied = opened + timedelta(hours=self.rng.randint(6, 72))
        app = self._new(job, person, applied)
        at = applied
        for to in self.open[1:]:
            at += timedelta(hours=self.rng.randint(48, 130))
            app.moves.append(Move("moved", to, at, self._mover(job, to)))
        at += timedelta(hours=self.rng.randint(24, 72))
        app.moves.append(Move("hired", self.decided["hired"], at, RECRUITER))
        return app

    def _application(self, job: int, person: int, opened: datetime, end: datetime) -> None:
        start = max(opened, self.people[person].created + timedelta(hours=1))
        app = self._new(job, person, self._at(start, end - timedelta(hours=2)))
        depth = self.rng.choices(range(len(self.open)), DEPTH_WEIGHTS[:len(self.open)])[0]
        at = app.moves[0].at
        for to in self.open[1:depth + 1]:
            step = at + self._gap()
            if step >= end:
                break
            at = step
            app.moves.append(Move("moved", to, at, self._mover(job, to)))
        ending = self.rng.choices(*ENDINGS)[0]
        decided = at + self._gap()
        if ending == "active" or decided >= end:
            return
        if ending == "rejected":
            reason = self.rng.choices(*COMPANY_REASONS)[0]
            app.moves.append(Move("rejected", self.decided["rejected"], decided, RECRUITER,
                                  reason))
        else:
            app.moves.append(Move("withdrawn", self.decided["withdrawn"], decided, CANDIDATE,
                                  WITHDRAWN_REASON))

    def _close_remaining(self, job: int, closed: datetime) -> None:
        """Everyone still in the running when the role was filled is told so."""
        at = closed + timedelta(hours=2)
        for app in self.plan.applications:
            if app.job == job and app.status == "active":
                app.moves.append(Move("rejected", self.decided["rejected"], at, RECRUITER,
                                      FILLED_REASON))
