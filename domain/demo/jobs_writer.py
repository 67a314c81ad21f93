"""Writes the demo's requisitions (domain.demo.jobs) with what the product would have
written along the way: each requisition's copy of the Standard stages and its hiring team;
per application its job_processing consent, stage transitions, the audit entry of every
staff action and the person's timeline events (the same types and payloads as
domain.pipeline.service.apply and domain.pipeline.transitions); self-identification apart.
Requisitions and stages are a handful of INSERTs; everything per application goes by COPY.
"""

from __future__ import annotations

import json
from typing import Any

from domain.demo import data
from domain.demo.jobs import (
    CANDIDATE,
    HIRING_MANAGER,
    RECRUITER,
    JobsPlan,
    PlannedApplication,
    PlannedJob,
    Stage,
)
from domain.pipeline.rules import JOB_PROCESSING
from domain.pipeline.transitions import TIMELINE_TYPES
from domain.requisitions.defaults import STANDARD

_REQUISITION_COLUMNS = (
    "slug", "title", "team", "locations", "remote_policy", "employment_type", "seniority",
    "job_function", "required_skills", "nice_skills", "description", "salary_min",
    "salary_max", "salary_currency", "salary_period", "openings", "filled", "status",
    "close_reason", "screening_questions", "template_name", "opened_at", "closed_at",
    "created_at", "updated_at")
_APPLICATION_COLUMNS = (
    "id", "requisition", "person", "stage", "status", "source", "utm_source", "utm_medium",
    "utm_campaign", "referral_code", "answers", "knockout", "consent_text", "rejection_reason",
    "silver_medalist", "applied_at", "stage_entered_at", "last_action_at", "decided_at")


async def template_stages(conn: Any) -> list[Stage]:
    rows = await conn.fetch(
        "SELECT s.name, s.kind FROM template_stages s JOIN stage_templates t "
        "ON t.id = s.template WHERE t.name = $1 ORDER BY s.position", STANDARD)
    return [Stage(row["name"], row["kind"]) for row in rows]


def timeline_count(plan: JobsPlan) -> int:
    """One timeline event per transition: applying, then every action."""
    return sum(len(app.moves) for app in plan.applications)


async def write(conn: Any, plan: JobsPlan, person_ids: list[int], text_id: int) -> None:
    staff = {row["email"]: row["id"] for row in await conn.fetch(
        "SELECT id, email FROM staff_users WHERE email = ANY($1)", [RECRUITER, HIRING_MANAGER])}
    reasons = {row["label"]: row["id"] for row in await conn.fetch(
        "SELECT id, label FROM rejection_reasons WHERE by = 'company'")}
    taken = {row["slug"] for row in await conn.fetch("SELECT slug FROM requisitions")}
    jobs = [await _requisition(conn, job, taken, staff) for job in plan.jobs]
    ids = await _reserve(conn, len(plan.applications))
    apps = list(zip(ids, plan.applications, strict=True))
    people = [person_ids[app.person] for app in plan.applications]
    await _copy(conn, "applications", _APPLICATION_COLUMNS,
                [_application_row(i, app, jobs, people[n], text_id, reasons)
                 for n, (i, app) in enumerate(apps)])
    await _copy(conn, "stage_transitions", ("application", "from_stage", "to_stage", "kind",
                                            "by", "at", "reason"),
                [row for n, (i, app) in enumerate(apps)
                 for row in _transition_rows(i, app, jobs, people[n])])
    await _copy(conn, "audit_entries", ("occurred_at", "actor", "action", "subject", "ip",
                                        "detail"),
                [row for n, (i, app) in enumerate(apps)
                 for row in _audit_rows(i, app, jobs, people[n], reasons, plan.stages)])
    await _copy(conn, "engagement_events", ("person", "type", "occurred_at", "source",
                                            "payload"),
                [row for n, (_, app) in enumerate(apps)
                 for row in _timeline_rows(app, jobs, people[n], plan)])
    await _copy(conn, "consent_records", ("person", "purpose", "scope", "consent_text",
                                          "action", "method", "occurred_at", "ip",
                                          "user_agent"),
                [_consent_row(app, jobs, people[n], text_id, i) for n, (i, app) in
                 enumerate(apps)])
    await _copy(conn, "eeo_self_identifications", ("application", "gender", "race_ethnicity",
                                                   "veteran", "disability", "created_at"),
                [(i, *app.eeo.values(), app.moves[0].at) for i, app in apps if app.eeo])


class _Job:
    """A written requisition: its id, title and stage ids (in the plan's stage order)."""

    def __init__(self, requisition_id: int, slug: str, job: PlannedJob,
                 stage_ids: list[int]) -> None:
        self.id, self.slug, self.job, self.stage_ids = requisition_id, slug, job, stage_ids

    @property
    def source(self) -> str:
        return f"requisition:{self.id}"


def _free_slug(slug: str, taken: set[str]) -> str:
    free, n = slug, 1
    while free in taken:  # bounded: every pass tries a new suffix
        n += 1
        free = f"{slug}-{n}"
    taken.add(free)
    return free


async def _requisition(conn: Any, job: PlannedJob, taken: set[str],
                       staff: dict[str, int]) -> _Job:
    spec, updated = job.spec, job.closed_at or job.held_at or job.opened_at or job.created_at
    values = {
        "slug": _free_slug(spec.slug, taken), "title": spec.title, "team": spec.team,
        "locations": list(spec.locations), "remote_policy": spec.remote_policy,
        "employment_type": "full_time", "seniority": spec.seniority,
        "job_function": spec.job_function, "required_skills": list(spec.skills),
        "nice_skills": [], "description": spec.description,
        "salary_min": spec.salary[0], "salary_max": spec.salary[1],
        "salary_currency": "GBP" if "London" in spec.locations else "USD"
        if "New York" in spec.locations else "EUR", "salary_period": "year",
        "openings": spec.openings, "filled": job.filled, "status": spec.status,
        "close_reason": "filled" if spec.status == "closed" else "",
        "screening_questions": json.dumps(list(spec.questions)), "template_name": STANDARD,
        "opened_at": job.opened_at, "closed_at": job.closed_at, "created_at": job.created_at,
        "updated_at": updated}
    marks = ", ".join(f"${n}" + ("::jsonb" if name == "screening_questions" else "")
                      for n, name in enumerate(_REQUISITION_COLUMNS, 1))
    requisition_id = await conn.fetchval(
        f"INSERT INTO requisitions ({', '.join(_REQUISITION_COLUMNS)}) "  # noqa: S608  # nosec B608 # constant column list, $n marks
        f"VALUES ({marks}) RETURNING id", *values.values())
    # The requisition's own copy of the template's stages, as create_requisition makes it.
    stages = await conn.fetch(
        "INSERT INTO requisition_stages (requisition, position, name, kind, candidate_label, "
        "late_stage, automation, scorecard_attributes) SELECT $1, s.position, s.name, s.kind, "
        "s.candidate_label, s.late_stage, s.automation, s.scorecard_attributes "
        "FROM template_stages s JOIN stage_templates t ON t.id = s.template WHERE t.name = $2 "
        "RETURNING id, position", requisition_id, STANDARD)
    team = [(RECRUITER, "recruiter")] + ([(HIRING_MANAGER, "hiring_manager")]
                                         if spec.hiring_manager else [])
    await conn.executemany("INSERT INTO requisition_members (requisition, staff, role) "
                           "VALUES ($1, $2, $3)",
                           [(requisition_id, staff[email], role) for email, role in team])
    return _Job(requisition_id, str(values["slug"]), job, [row["id"] for row in sorted(stages,
                                                                  key=lambda r: r["position"])])


async def _reserve(conn: Any, count: int) -> list[int]:
    rows = await conn.fetch("SELECT nextval(pg_get_serial_sequence('applications', 'id')) "
                            "AS id FROM generate_series(1, $1)", count)
    return [row["id"] for row in rows]


def _by(by: str, person_id: int) -> str:
    return f"person:{person_id}" if by == CANDIDATE else by


def _application_row(app_id: int, app: PlannedApplication, jobs: list[_Job], person_id: int,
                     text_id: int, reasons: dict[str, int]) -> tuple:
    job, last = jobs[app.job], app.moves[-1]
    utm = app.source if app.source not in ("portal", "referral") else ""
    referral = f"ref-{person_id % 997}" if app.source == "referral" else ""
    return (app_id, job.id, person_id, job.stage_ids[last.to], app.status, app.source, utm,
            "social" if utm else "", "", referral, json.dumps(app.answers), app.knockout,
            text_id, reasons.get(last.reason) if last.kind == "rejected" else None, False,
            app.moves[0].at, last.at, last.at,
            last.at if app.status != "active" else None)


def _transition_rows(app_id: int, app: PlannedApplication, jobs: list[_Job],
                     person_id: int) -> list[tuple]:
    stage_ids = jobs[app.job].stage_ids
    rows: list[tuple] = []
    before: int | None = None
    for move in app.moves:
        rows.append((app_id, before, stage_ids[move.to], move.kind, _by(move.by, person_id),
                     move.at, move.reason))
        before = stage_ids[move.to]
    return rows


def _audit_rows(app_id: int, app: PlannedApplication, jobs: list[_Job], person_id: int,
                reasons: dict[str, int], stages: list[Stage]) -> list[tuple]:
    """One entry per action after applying, with transitions.write's detail."""
    job, rows = jobs[app.job], []
    for before, move in zip(app.moves, app.moves[1:], strict=False):
        detail = {"requisition": job.id, "from_stage": job.stage_ids[before.to],
                  "to_stage": job.stage_ids[move.to], "to_stage_name": stages[move.to].name,
                  "rejection_reason": reasons.get(move.reason)
                  if move.kind == "rejected" else None, "reason": move.reason}
        rows.append((move.at, _by(move.by, person_id)[:320], f"application.{move.kind}",
                     f"application:{app_id}", "", json.dumps(detail)))
    return rows


def _timeline_rows(app: PlannedApplication, jobs: list[_Job], person_id: int,
                   plan: JobsPlan) -> list[tuple]:
    job = jobs[app.job]
    title = job.job.spec.title
    rows = [(person_id, "application_submitted", app.moves[0].at, job.source,
             json.dumps({"requisition": title}))]
    for move in app.moves[1:]:
        payload = {"requisition": title, "stage": plan.stages[move.to].name}
        if move.kind in ("rejected", "withdrawn") and move.reason:
            payload["reason"] = move.reason
        rows.append((person_id, TIMELINE_TYPES[move.kind], move.at, job.source,
                     json.dumps(payload)))
    return rows


def _consent_row(app: PlannedApplication, jobs: list[_Job], person_id: int, text_id: int,
                 app_id: int) -> tuple:
    # Same ledger entry apply records: job_processing given for this requisition.
    ip = data.IP_PREFIXES[app_id % len(data.IP_PREFIXES)] + str(app_id % 250 + 1)
    agent = data.USER_AGENTS[app_id % len(data.USER_AGENTS)]
    return (person_id, JOB_PROCESSING, f"requisition:{jobs[app.job].slug}", text_id,
            "given", "web_form", app.moves[0].at, ip, agent)


async def _copy(conn: Any, table: str, columns: tuple[str, ...], records: list[tuple]) -> None:
    if records:
        await conn.copy_records_to_table(table, records=records, columns=list(columns))

