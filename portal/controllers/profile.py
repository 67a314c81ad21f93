"""The candidate's profile and CV: edit the profile, upload, replace and download the CV."""

from __future__ import annotations

from functools import lru_cache

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import File, Redirect, Template

from domain.errors import Invalid
from domain.profiles import files, queries, rules
from domain.profiles import service as profiles
from domain.profiles.service import CvDownload
from portal.auth import Candidate, current_candidate, require_candidate
from portal.forms import ProfileForm
from web_common import page
from web_ratelimit import rate_limited

GUARDS = [require_candidate]
# A little above the 10 MB file limit, so a 10.5 MB file gets the form's own message
# (the multipart envelope adds a few hundred bytes); beyond it, the 413 page below.
CV_BODY_LIMIT = 11 * 1024 * 1024
NOTICE_KEY = "profile_notice"


@lru_cache(maxsize=1)
def _choices() -> dict:
    return {
        "country_options": sorted(rules.COUNTRIES.items(), key=lambda item: item[1]),
        "time_zone_options": [(zone, zone.replace("_", " ")) for zone in rules.time_zones()],
        "job_function_options": list(rules.JOB_FUNCTIONS),
        "seniority_options": list(rules.SENIORITIES),
        "work_mode_options": list(rules.WORK_MODES),
        "open_status_options": list(rules.OPEN_STATUSES),
    }


async def _me(request: Request) -> Candidate:
    candidate = await current_candidate(request)
    assert candidate is not None  # the guard let us in
    return candidate


async def _page(request: Request, person_id: int, form: ProfileForm, *, status: int = 200,
                cv_errors: dict | None = None, notice: str | None = None) -> Template:
    saved = await queries.profile_for_edit(person_id)
    return page(
        request, "portal/account/profile.html", status_code=status, form=form.values(),
        errors=form.errors, cv_errors=cv_errors or {}, notice=notice,
        open_status_at=saved.get("open_status_at"), cv=await queries.current_cv(person_id),
        cv_history=await queries.cv_history(person_id), max_cv_mb=files.MAX_CV_BYTES >> 20,
        **_choices(),
    )


@get("/account/profile", name="portal.profile.edit", guards=GUARDS, include_in_schema=False)
async def edit(request: Request) -> Template:
    me = await _me(request)
    notice = request.session.pop(NOTICE_KEY, None) if request.session else None
    form = ProfileForm.from_profile(await queries.profile_for_edit(me.person_id))
    return await _page(request, me.person_id, form, notice=notice)


@post("/account/profile", name="portal.profile.save", guards=GUARDS, include_in_schema=False)
async def save(request: Request) -> Template | Redirect:
    me = await _me(request)
    form = ProfileForm.from_form(await request.form())
    update = form.validate(skill_index=await profiles.skill_index())
    if update is None:
        return await _page(request, me.person_id, form, status=422)
    changed = await profiles.update_profile(me.person_id, update, clock=request.app.state.clock)
    request.session[NOTICE_KEY] = "Saved." if changed else "Saved. Nothing had changed."
    return Redirect("/account/profile", status_code=303)


def _too_large(request: Request, _: Exception) -> Response:
    # Raised while the body streams in (before the handler runs), so the page cannot be
    # rebuilt here: a plain explanation, with the way back.
    response = page(request, "errors/error.html", status_code=413,
                    title="That file is too large",
                    detail=f"Your CV must be {files.MAX_CV_BYTES >> 20} MB or smaller. "
                           "Go back and choose a smaller file.",
                    side="portal", current_staff=None, error_status=413)
    response.media_type = "text/html"
    return response


@post("/account/profile/cv", name="portal.profile.upload_cv",
      guards=[*GUARDS, rate_limited("cv-upload", limit=20, window_seconds=600)],
      include_in_schema=False, request_max_body_size=CV_BODY_LIMIT,
      exception_handlers={413: _too_large})
async def upload_cv(request: Request) -> Template | Redirect:
    me = await _me(request)
    upload = (await request.form()).get("cv")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Invalid(errors={"cv": "Choose a PDF or Word file to upload."})
        # One byte past the limit is enough to know it is too large.
        data = await upload.read(files.MAX_CV_BYTES + 1)
        await profiles.upload_cv(me.person_id, filename=upload.filename, data=data,
                                 clock=request.app.state.clock)
    except Invalid as exc:
        form = ProfileForm.from_profile(await queries.profile_for_edit(me.person_id))
        return await _page(request, me.person_id, form, status=422, cv_errors=exc.errors)
    request.session[NOTICE_KEY] = "Your CV was uploaded."
    return Redirect("/account/profile", status_code=303)


def attachment(cv: CvDownload) -> File:
    """A CV as a download, never rendered by the browser, and never cached on the way."""
    return File(path=cv.path, filename=cv.display_name, media_type=cv.content_type,
                content_disposition_type="attachment",
                headers={"x-content-type-options": "nosniff", "cache-control": "private, no-store"})


@get("/account/profile/cv/{cv_id:int}", name="portal.profile.download_cv", guards=GUARDS,
     include_in_schema=False)
async def download_cv(request: Request, cv_id: FromPath[int]) -> File:
    me = await _me(request)
    return attachment(await profiles.cv_for_owner(person_id=me.person_id, cv_id=cv_id))


@get("/account/profile/skills", name="portal.profile.skills", guards=GUARDS,
     include_in_schema=False)
async def skill_suggestions(request: Request, q: FromQuery[str] = "",
                            skills: FromQuery[str] = "") -> Template:
    """htmx fragment: known skills for what is being typed (the last entry of the list)."""
    text = (q or skills.replace(";", ",").replace("\n", ",").rsplit(",", 1)[-1]).strip()[:80]
    suggestions = await queries.suggest_skills(text) if len(text) >= 2 else []
    return page(request, "portal/account/_skill_suggestions.html", query=text,
                suggestions=suggestions)


ROUTES = [edit, save, upload_cv, download_cv, skill_suggestions]
