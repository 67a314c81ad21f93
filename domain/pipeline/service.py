"""Applying to a job and withdrawing, on the candidate's side.

An application is one row per (requisition, person): the person row is locked before the
check, so a double submit (or two tabs) waits and then finds the first application
instead of writing a second one, and never uploads the CV twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from domain.consent import service as consent
from domain.db import fetch, transaction
from domain.dedupe import service as dedupe
from domain.engagement import service as engagement
from domain.errors import Conflict, Invalid, NotFound
from domain.integrations import webhooks
from domain.mail import service as mail
from domain.people import service as people
from domain.pipeline import rules, transitions
from domain.pipeline.transitions import Change
from domain.ports import Clock, TaskQueue
from domain.profiles import queries as profile_queries
from domain.profiles import service as profiles


@dataclass(frozen=True)
class CvUpload:
    filename: str
    data: bytes


@dataclass(frozen=True)
class Applicant:
    """Who applies: a signed-in candidate (`person_id`, address proven) or a guest."""

    email: str
    full_name: str
    person_id: int | None = None


@dataclass(frozen=True)
class ApplyRequest:
    slug: str
    applicant: Applicant
    answers: dict[str, str]
    consent_text_id: int
    cv: CvUpload | None = None
    touch: dict[str, str] = field(default_factory=dict)  # first-touch utm_* / referral code
    ip: str = ""
    user_agent: str = ""
    phone: str = ""  # E.164 (people.rules.normalise_phone), '' when not given
    linkedin: str = ""  # people.rules.normalise_linkedin, '' when not given


@dataclass(frozen=True)
class Applied:
    application_id: int
    created: bool  # False: this person had already applied; nothing was written


async def apply(request: ApplyRequest, *, clock: Clock, queue: TaskQueue | None) -> Applied:
    """Invalid (errors by field) for a bad answer or CV, with nothing written; NotFound
    when the requisition is not open."""
    now = clock.now()
    async with transaction():
        requisition = await _open_requisition(request.slug)
        await _check_consent_text(request.consent_text_id)
        screening = rules.screen(requisition["screening_questions"] or [], request.answers)
        if screening.errors:
            raise Invalid(errors=screening.errors)
        person = await _person(request, now)
        existing = await _existing(requisition["id"], person["id"])
        if existing is not None:
            return Applied(existing, created=False)
        cv_id = await _cv(person, request, clock)
        application_id = await _insert(requisition, person["id"], request, screening, cv_id,
                                       now)
        await _record_consent(person["id"], requisition["slug"], request, now)
        await webhooks.emit("application.created", {
            "application_id": application_id, "requisition_id": requisition["id"],
            "person_id": person["id"]}, person=person["id"], now=now, queue=queue)
        await engagement.record(person_id=person["id"], type="application_submitted",
                                occurred_at=now, source=f"requisition:{requisition['id']}",
                                payload={"requisition": requisition["title"]})
        await mail.queue_email(
            person_id=person["id"], to=person["email"], template="application_received",
            context={"application_id": application_id},
            dedupe_key=f"application_received:{application_id}", now=now, queue=queue)
        # Hints only: a recruiter confirms a merge; nothing is merged on the candidate's word.
        await dedupe.suggest_for(person["id"], now)
    return Applied(application_id, created=True)


async def _open_requisition(slug: str) -> dict:
    # FOR SHARE: a close that commits while we write waits for this application.
    rows = await fetch("SELECT id, slug, title, screening_questions FROM requisitions "
                       "WHERE slug = $1 AND status = 'open' FOR SHARE", slug)
    if not rows:
        raise NotFound("This job is not accepting applications.")
    row = rows[0]
    if isinstance(row["screening_questions"], str):
        row["screening_questions"] = json.loads(row["screening_questions"])
    return row


async def _person(request: ApplyRequest, now: datetime) -> dict:
    applicant = request.applicant
    if applicant.person_id is not None:
        rows = await fetch("SELECT id, email FROM people WHERE id = $1 FOR UPDATE",
                           applicant.person_id)
        if not rows:
            raise NotFound("There is no such person.")
        person = rows[0]
    else:
        # `source` is set only when this creates the person: an existing record keeps its
        # own.
        person = await people.find_or_create(email=applicant.email,
                                             full_name=applicant.full_name,
                                             source=rules.source_label(request.touch), now=now)
        await fetch("SELECT id FROM people WHERE id = $1 FOR UPDATE", person["id"])
    live = await people.live_id(person["id"])
    if live != person["id"]:
        # A record merged into another: the application belongs to the kept person, and
        # its confirmation goes to the address the applicant used.
        rows = await fetch("SELECT id FROM people WHERE id = $1 FOR UPDATE", live)
        person = {"id": rows[0]["id"], "email": person["email"], "created": False}
    await people.add_hints(person["id"], phone=request.phone, linkedin=request.linkedin,
                           now=now)
    return person


async def _existing(requisition_id: int, person_id: int) -> int | None:
    rows = await fetch("SELECT id FROM applications WHERE requisition = $1 AND person = $2",
                       requisition_id, person_id)
    return rows[0]["id"] if rows else None


async def _cv(person: dict, request: ApplyRequest, clock: Clock) -> int:
    signed_in = request.applicant.person_id is not None
    if request.cv is not None:
        # The profile's own upload path: the same content checks, storage and history. A
        # guest typing an existing person's address proves nothing: their file goes with
        # this application only and never replaces the CV that person chose.
        row = await profiles.upload_cv(person["id"], filename=request.cv.filename,
                                       data=request.cv.data, clock=clock,
                                       make_current=signed_in or bool(person.get("created")))
        return int(row["id"])
    current = await profile_queries.current_cv(person["id"]) if signed_in else None
    if current is None:
        raise Invalid(errors={"cv": "Choose your CV (a PDF or Word file) to upload."})
    return int(current["id"])


async def _insert(requisition: dict, person_id: int, request: ApplyRequest,
                  screening: rules.Screening, cv_id: int, now: datetime) -> int:
    touch = request.touch
    rows = await fetch(
        "INSERT INTO applications (requisition, person, stage, status, source, utm_source, "
        "utm_medium, utm_campaign, referral_code, answers, knockout, consent_text, cv_file, "
        "silver_medalist, applied_at, stage_entered_at, last_action_at) "
        "SELECT $1, $2, s.id, 'active', $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, false, "
        "$12, $12, $12 FROM requisition_stages s WHERE s.requisition = $1 AND s.kind = "
        "'applied' ORDER BY s.position LIMIT 1 RETURNING id, stage",
        requisition["id"], person_id, rules.source_label(touch), touch.get("utm_source", ""),
        touch.get("utm_medium", ""), touch.get("utm_campaign", ""),
        touch.get("referral_code", ""), json.dumps(screening.answers), screening.knockout,
        request.consent_text_id, cv_id, now)
    if not rows:
        raise Conflict("This job has no stage for new applications yet.")
    await fetch("INSERT INTO stage_transitions (application, from_stage, to_stage, kind, by, "
                "at, reason) VALUES ($1, NULL, $2, 'applied', $3, $4, '')",
                rows[0]["id"], rows[0]["stage"], f"person:{person_id}", now)
    return int(rows[0]["id"])


async def _check_consent_text(text_id: int) -> None:
    if (await consent.current_text(rules.JOB_PROCESSING))["id"] != text_id:
        # Consent to wording the applicant never saw is no consent: ask again.
        raise Invalid(errors={"consent": "Our consent text has changed. Please read it again."})


async def _record_consent(person_id: int, slug: str, request: ApplyRequest,
                          now: datetime) -> None:
    signed_in = request.applicant.person_id is not None
    await consent.record(person_id=person_id, purpose=rules.JOB_PROCESSING,
                         scope=f"requisition:{slug}", text_id=request.consent_text_id,
                         action="given",
                         method="portal_signed_in" if signed_in else "web_form", at=now,
                         ip=request.ip, user_agent=request.user_agent)


# --- After applying -----------------------------------------------------------------------


async def self_identify(application_id: int, values: dict[str, str], *, clock: Clock) -> None:
    """Store the voluntary answers once (a second submit changes nothing)."""
    answers = rules.self_identification(values)
    await fetch(
        "INSERT INTO eeo_self_identifications (application, gender, race_ethnicity, veteran, "
        "disability, created_at) VALUES ($1, $2, $3, $4, $5, $6) "
        "ON CONFLICT (application) DO NOTHING",
        application_id, answers["gender"], answers["race_ethnicity"], answers["veteran"],
        answers["disability"], clock.now())


async def withdraw(application_id: int, *, person_id: int, clock: Clock) -> None:
    """The candidate withdraws their own application. Anyone else's is not found."""
    async with transaction():
        owner = await fetch("SELECT requisition FROM applications WHERE id = $1 AND person = $2",
                            application_id, person_id)
        if not owner:
            raise NotFound("There is no such application.")
        rows = await transitions.lock(owner[0]["requisition"], [application_id])
        if rows[0]["status"] == "withdrawn":
            return
        if rows[0]["status"] != "active":
            raise Conflict("This application has already been decided.")
        stages = await fetch("SELECT id, name FROM requisition_stages WHERE requisition = $1 "
                             "AND kind = 'withdrawn' ORDER BY position LIMIT 1",
                             owner[0]["requisition"])
        if not stages:
            raise Conflict("This job cannot take withdrawals online; please email us.")
        await transitions.write(rows, Change("withdrawn", stages[0], f"person:{person_id}",
                                             clock.now(), "Withdrawn by the candidate"))
