"""One application: the person's CRM history next to the ATS data, and the actions on it
(move, reject, withdraw for the candidate, hire, reopen).

Access goes through the application's requisition (`requisition_context`), so a hiring
manager gets the same 404 for another team's application as for a missing one.
"""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import File, Redirect, Template

from backoffice.controllers.pipeline import as_int, board_page
from backoffice.requisition_pages import CAN_WORK, requisition_context
from domain.accounts.permissions import Permission
from domain.errors import Conflict, Invalid, NotFound
from domain.interviews import queries as interview_queries
from domain.interviews import scorecards
from domain.offers import queries as offer_queries
from domain.people import queries as people
from domain.people import tags
from domain.pipeline import application_view, board, moves, silver
from domain.pipeline.moves import DECISION_KINDS
from domain.profiles import service as profiles
from web_common import client_ip, page

NOTICES = {"moved": "Moved.", "rejected": "Rejected.", "withdrawn": "Recorded as withdrawn.",
           "hired": "Hired.", "reopened": "Reopened at the first stage.",
           "silver": "Rejected, and marked a silver medalist."}


async def _context(request: Request, application_id: int) -> dict:
    requisition_id = await moves.requisition_of(application_id)
    return await requisition_context(request, requisition_id, "pipeline")


async def _detail(request: Request, application_id: int, *, errors: dict | None = None,
                  form: dict | None = None, notice: str = "",
                  status_code: int = 200) -> Template:
    context = await _context(request, application_id)
    application = await application_view.application(application_id)
    person = await people.person_detail(application["person"])
    staff = context["current_staff"]
    if not staff.can(Permission.CANDIDATES_VIEW):
        # The CV download route is for candidate viewers; no link that would answer 403.
        person["cv"] = None
    stages = await board.stages(application["requisition"])
    return page(
        request, "backoffice/pipeline/application.html", status_code=status_code, **context,
        **person, application=application,
        history=await application_view.history(application_id),
        others=await application_view.other_applications(application["person"],
                                                         application_id),
        summary=await application_view.engagement_summary(
            application["person"], request.app.state.clock.now()),
        open_stages=[s for s in stages if s["kind"] not in DECISION_KINDS
                     and s["id"] != application["stage"]],
        company_reasons=await board.reasons("company"),
        candidate_reasons=await board.reasons("candidate"),
        # What rejecting would do: the silver-medalist sentence and its checkbox.
        silver=await silver.candidates(application["requisition"], [application_id])
        if application["status"] == "active" else [],
        # After a refused reject, keep the recruiter's untick instead of re-ticking.
        silver_ticked=(form or {}).get("silver"),
        # Interviews and scorecards sections (scorecards hide colleagues' until one submits).
        interviews=await interview_queries.for_application(application_id),
        scorecards=await scorecards.view(application_id, staff),
        offers=await offer_queries.for_application(application_id),
        person_tags=await tags.tags_of(application["person"]),
        errors=errors or {}, form=form or {}, notice=notice)


@get("/applications/{application_id:int}", name="backoffice.applications.detail",
     guards=CAN_WORK, include_in_schema=False)
async def detail(request: Request, application_id: FromPath[int],
                 done: FromQuery[str] = "") -> Template:
    return await _detail(request, application_id, notice=NOTICES.get(done, ""))


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _done(application_id: int, what: str) -> Redirect:
    return Redirect(f"/backoffice/applications/{application_id}?done={what}", status_code=303)


@post("/applications/{application_id:int}/move", name="backoffice.applications.move",
      guards=CAN_WORK, include_in_schema=False)
async def move(request: Request, application_id: FromPath[int]) -> Response | Template:
    """From the application page, a board card's "Move to…" form, or a board drop
    (fetch, JSON): `from_stage` is the stage the mover saw, so stale moves are refused."""
    context = await _context(request, application_id)
    form = await request.form()
    to_stage = as_int(form.get("to_stage")) or 0
    try:
        await moves.move(application_id, to_stage, by=context["current_staff"].email,
                         clock=request.app.state.clock,
                         expected_from=as_int(form.get("from_stage")),
                         queue=request.app.state.queue)
    except (Invalid, Conflict) as exc:
        if _wants_json(request):
            raise  # problem+json with the message, shown by the board script
        if form.get("return_to") == "board":
            return await board_page(request, context["requisition"]["id"], error=str(exc),
                                    status_code=409 if isinstance(exc, Conflict) else 422)
        return await _detail(request, application_id,
                             status_code=409 if isinstance(exc, Conflict) else 422,
                             errors={"__all__": str(exc), **getattr(exc, "errors", {})})
    if _wants_json(request):
        return Response({"moved": application_id, "stage": to_stage}, status_code=200)
    if form.get("return_to") == "board":
        return Redirect(f"/backoffice/requisitions/{context['requisition']['id']}/board",
                        status_code=303)
    return _done(application_id, "moved")


async def _decide(request: Request, application_id: int, what: str) -> Template | Redirect:
    context = await _context(request, application_id)
    form = await request.form()
    values = {key: str(form.get(key, ""))[:1000] for key in ("reason", "note")}
    values["notify"] = "yes" if form.get("notify") == "yes" else "no"
    by, clock = context["current_staff"].email, request.app.state.clock
    marked: list[int] = []
    ticked = [n for n in map(as_int, form.getall("silver", [])) if n]
    try:
        if what == "rejected":
            marked = await silver.reject_one(application_id, as_int(values["reason"]),
                                             by=by, note=values["note"], clock=clock,
                                             ticked=ticked, notify=values["notify"] == "yes",
                                             queue=request.app.state.queue)
        elif what == "withdrawn":
            await moves.withdraw_for_candidate(application_id, as_int(values["reason"]),
                                               by=by, note=values["note"], clock=clock)
        elif what == "hired":
            await moves.hire(application_id, by=by, clock=clock)
        else:
            await moves.reopen(application_id, by=by, note=values["note"], clock=clock,
                               queue=request.app.state.queue)
    except (Invalid, Conflict) as exc:
        # Field errors are named after the form they came from, so each form shows its own.
        errors = {f"{what}-{key}": message
                  for key, message in (getattr(exc, "errors", {}) or {}).items()}
        return await _detail(request, application_id, errors={"__all__": str(exc), **errors},
                             form={"action": what, **values, "silver": ticked},
                             status_code=422 if isinstance(exc, Invalid) else 409)
    return _done(application_id, "silver" if marked else what)


@post("/applications/{application_id:int}/reject", name="backoffice.applications.reject",
      guards=CAN_WORK, include_in_schema=False)
async def reject(request: Request, application_id: FromPath[int]) -> Template | Redirect:
    return await _decide(request, application_id, "rejected")


@post("/applications/{application_id:int}/withdraw",
      name="backoffice.applications.withdraw", guards=CAN_WORK, include_in_schema=False)
async def withdraw(request: Request, application_id: FromPath[int]) -> Template | Redirect:
    return await _decide(request, application_id, "withdrawn")


@post("/applications/{application_id:int}/hire", name="backoffice.applications.hire",
      guards=CAN_WORK, include_in_schema=False)
async def hire(request: Request, application_id: FromPath[int]) -> Template | Redirect:
    return await _decide(request, application_id, "hired")


@post("/applications/{application_id:int}/reopen", name="backoffice.applications.reopen",
      guards=CAN_WORK, include_in_schema=False)
async def reopen(request: Request, application_id: FromPath[int]) -> Template | Redirect:
    return await _decide(request, application_id, "reopened")


@get("/applications/{application_id:int}/cv", name="backoffice.applications.cv",
     guards=CAN_WORK, include_in_schema=False)
async def cv(request: Request, application_id: FromPath[int]) -> File:
    """The CV sent with this application, for anyone who may work on its requisition
    (hiring managers included, who cannot browse candidates); audited like every CV."""
    context = await _context(request, application_id)
    application = await application_view.application(application_id)
    if not application["cv_file"]:
        raise NotFound("No CV was sent with this application.")
    download = await profiles.cv_for_staff(cv_id=application["cv_file"],
                                           actor=context["current_staff"].email,
                                           ip=client_ip(request), clock=request.app.state.clock)
    return File(path=download.path, filename=download.display_name,
                media_type=download.content_type, content_disposition_type="attachment",
                headers={"x-content-type-options": "nosniff",
                         "cache-control": "private, no-store"})


ROUTES = [detail, move, reject, withdraw, hire, reopen, cv]
