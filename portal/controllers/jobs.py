"""The job board, job pages, applying, and the voluntary self-identification step."""

from __future__ import annotations

import time

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect, Template

from domain.consent import service as consent
from domain.errors import Invalid
from domain.pipeline import queries, rules
from domain.pipeline import service as pipeline
from domain.profiles import files
from domain.profiles import queries as profile_queries
from domain.requisitions import board
from portal.auth import Candidate, current_candidate
from portal.controllers.profile import CV_BODY_LIMIT, _too_large
from portal.job_forms import ApplyForm
from portal.job_views import display, json_ld, questions
from web_common import client_ip, page, user_agent
from web_ratelimit import rate_limited

TOUCH_KEY = "job_touch"
SELF_ID_KEY = "self_id"
APPLIED_KEY = "applied_jobs"
# The self-identification step is offered right after applying, for this long only.
SELF_ID_SECONDS = 30 * 60


def remember_source(request: Request) -> None:
    """First touch wins: the utm_* / ref of the first inbound link stay for the session."""
    found = rules.parse_source(request.query_params)
    if found and TOUCH_KEY not in (request.session or {}):
        request.session[TOUCH_KEY] = found


def _filters(request: Request) -> board.BoardFilters:
    params = request.query_params

    def value(name: str, allowed: dict | None = None) -> str:
        raw = " ".join(str(params.get(name, "")).split())[:120]
        return raw if allowed is None or raw in allowed else ""

    return board.BoardFilters(text=value("q"), team=value("team"), location=value("location"),
                              remote=value("remote", board.REMOTE_POLICIES),
                              employment_type=value("type", board.EMPLOYMENT_TYPES))


@get("/jobs", name="portal.jobs.index", include_in_schema=False)
async def index(request: Request) -> Template:
    remember_source(request)
    filters = _filters(request)
    after = board.Cursor.decode(str(request.query_params.get("after", "")))
    jobs, next_cursor = await board.search(filters, after=after)
    return page(request, "portal/jobs/index.html", jobs=[display(job) for job in jobs],
                filters=filters, next_after=next_cursor.encode() if next_cursor else "",
                remote_options=board.REMOTE_POLICIES, type_options=board.EMPLOYMENT_TYPES,
                **await board.filter_options())


def _unavailable(request: Request, job: dict) -> Template:
    # Closed for good is "gone" (410, so search engines drop it); on hold may come back.
    return page(request, "portal/jobs/closed.html", job=job,
                status_code=410 if job["status"] == "closed" else 404)


@get("/jobs/{slug:str}", name="portal.jobs.detail", include_in_schema=False)
async def detail(request: Request, slug: FromPath[str]) -> Template:
    remember_source(request)
    job = await board.posting(slug)
    if job["status"] != "open":
        return _unavailable(request, job)
    return page(request, "portal/jobs/detail.html", job=display(job), json_ld=json_ld(job))


async def _already_applied(request: Request, candidate: Candidate | None, slug: str) -> bool:
    if candidate is not None:
        return await queries.application_id_for(candidate.person_id, slug) is not None
    return slug in (request.session or {}).get(APPLIED_KEY, [])


async def _apply_page(request: Request, job: dict, form: ApplyForm, *, status: int = 200,
                      candidate: Candidate | None) -> Template:
    if await _already_applied(request, candidate, job["slug"]):
        return page(request, "portal/jobs/already.html", job=job, candidate=candidate)
    cv = await profile_queries.current_cv(candidate.person_id) if candidate else None
    return page(request, "portal/jobs/apply.html", status_code=status, job=display(job),
                questions=questions(job), form=form.values(), answers=form.answers,
                errors=form.errors, candidate=candidate, cv=cv,
                consent_text=await consent.current_text(rules.JOB_PROCESSING),
                max_cv_mb=files.MAX_CV_BYTES >> 20)


async def _open_job(request: Request, slug: str) -> dict | Template:
    job = await board.posting(slug)
    return job if job["status"] == "open" else _unavailable(request, job)


@get("/jobs/{slug:str}/apply", name="portal.jobs.apply_form", include_in_schema=False)
async def apply_form(request: Request, slug: FromPath[str]) -> Template:
    remember_source(request)
    job = await _open_job(request, slug)
    if isinstance(job, Template):
        return job
    return await _apply_page(request, job, ApplyForm(),
                             candidate=await current_candidate(request))


async def _cv_upload(request: Request) -> pipeline.CvUpload | None:
    upload = (await request.form()).get("cv")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    # One byte past the limit is enough for the CV checks to know it is too large.
    return pipeline.CvUpload(upload.filename, await upload.read(files.MAX_CV_BYTES + 1))


@post("/jobs/{slug:str}/apply", name="portal.jobs.apply", include_in_schema=False,
      guards=[rate_limited("apply", limit=10, window_seconds=600)],
      request_max_body_size=CV_BODY_LIMIT, exception_handlers={413: _too_large})
async def apply(request: Request, slug: FromPath[str]) -> Template | Redirect:
    job = await _open_job(request, slug)
    if isinstance(job, Template):
        return job
    candidate = await current_candidate(request)
    text = await consent.current_text(rules.JOB_PROCESSING)
    form = ApplyForm.from_form(await request.form(), questions(job))
    cleaned = form.validate(questions=questions(job), consent_text_id=text["id"],
                            guest=candidate is None)
    if cleaned is None:
        return await _apply_page(request, job, form, status=422, candidate=candidate)
    applicant = (pipeline.Applicant(candidate.email, candidate.full_name, candidate.person_id)
                 if candidate else pipeline.Applicant(cleaned[0], cleaned[1]))
    phone, linkedin = form.hints()
    try:
        applied = await pipeline.apply(
            pipeline.ApplyRequest(
                slug=slug, applicant=applicant, answers=form.answers,
                consent_text_id=text["id"], cv=await _cv_upload(request),
                touch=(request.session or {}).get(TOUCH_KEY) or {},
                ip=client_ip(request), user_agent=user_agent(request), phone=phone,
                linkedin=linkedin),
            clock=request.app.state.clock, queue=request.app.state.queue)
    except Invalid as exc:
        form.errors.update(exc.errors or {"cv": str(exc)})
        return await _apply_page(request, job, form, status=422, candidate=candidate)
    _after_apply(request, slug, applied)
    if not applied.created and candidate is not None:
        return Redirect(f"/jobs/{slug}/apply", status_code=303)  # "you already applied"
    return Redirect(f"/jobs/{slug}/applied", status_code=303)


def _after_apply(request: Request, slug: str, applied: pipeline.Applied) -> None:
    request.session[APPLIED_KEY] = [*request.session.get(APPLIED_KEY, [])[-19:], slug]
    if applied.created:
        # Only the person who just applied, in this browser, briefly: the answers are
        # theirs to give and must never be reachable by anyone deciding on the application.
        request.session[SELF_ID_KEY] = {"application": applied.application_id, "slug": slug,
                                        "until": time.time() + SELF_ID_SECONDS}


def _self_id_application(request: Request, slug: str) -> int | None:
    held = (request.session or {}).get(SELF_ID_KEY)
    if not isinstance(held, dict) or held.get("slug") != slug:
        return None
    if float(held.get("until", 0)) < time.time():
        return None
    return int(held["application"])


@get("/jobs/{slug:str}/applied", name="portal.jobs.applied", include_in_schema=False)
async def applied_page(request: Request, slug: FromPath[str]) -> Template | Redirect:
    if slug not in (request.session or {}).get(APPLIED_KEY, []):
        return Redirect(f"/jobs/{slug}", status_code=303)  # thanks only after applying
    job = await board.posting(slug)
    return page(request, "portal/jobs/applied.html", job=job,
                self_id=_self_id_application(request, slug) is not None,
                self_id_done=(request.session or {}).get("self_id_done") == slug,
                candidate=await current_candidate(request))


@get("/jobs/{slug:str}/self-identification", name="portal.jobs.self_id_form",
     include_in_schema=False)
async def self_id_form(request: Request, slug: FromPath[str]) -> Template | Redirect:
    if _self_id_application(request, slug) is None:
        return Redirect(f"/jobs/{slug}/applied", status_code=303)
    return page(request, "portal/jobs/self_id.html", job=await board.posting(slug),
                fields=_eeo_fields())


def _eeo_fields() -> list[tuple[str, str, tuple]]:
    labels = {"gender": "Gender", "race_ethnicity": "Race or ethnicity",
              "veteran": "Veteran status", "disability": "Disability"}
    return [(name, labels[name], options) for name, options in rules.EEO_FIELDS.items()]


@post("/jobs/{slug:str}/self-identification", name="portal.jobs.self_id",
      include_in_schema=False, guards=[rate_limited("self-id", limit=20, window_seconds=600)])
async def self_id(request: Request, slug: FromPath[str]) -> Redirect:
    application_id = _self_id_application(request, slug)
    if application_id is not None:
        data = await request.form()
        await pipeline.self_identify(application_id, {name: str(data.get(name, ""))
                                                      for name in rules.EEO_FIELDS},
                                     clock=request.app.state.clock)
        request.session.pop(SELF_ID_KEY, None)
        request.session["self_id_done"] = slug
    return Redirect(f"/jobs/{slug}/applied", status_code=303)


ROUTES = [index, detail, apply_form, apply, applied_page, self_id_form, self_id]
