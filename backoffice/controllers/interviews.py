"""Interviews for one application: schedule (a fixed time or slots the candidate picks),
reschedule and cancel.

Access goes through the application's requisition (`requisition_context`), so a hiring
manager gets the same 404 for another team's interview as for a missing one.
"""

from __future__ import annotations

import contextlib

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from backoffice.requisition_pages import CAN_WORK, requisition_context
from domain.errors import Conflict, Invalid
from domain.interviews import availability, queries, rules
from domain.interviews import service as interviews
from domain.pipeline import application_view, moves
from web_common import page

_FIELDS = ("title", "duration_minutes", "time_zone", "location", "join_url", "mode",
           "starts_at")


async def _context(request: Request, application_id: int) -> dict:
    requisition_id = await moves.requisition_of(application_id)
    return await requisition_context(request, requisition_id, "pipeline")


def _back(application_id: int) -> Redirect:
    return Redirect(f"/backoffice/applications/{application_id}#interviews", status_code=303)


async def _form_page(request: Request, application_id: int, *, form: dict,
                     errors: dict | None = None, status_code: int = 200) -> Template:
    context = await _context(request, application_id)
    options = await queries.panel_options(context["requisition"]["id"])
    return page(request, "backoffice/interviews/form.html", status_code=status_code,
                **context, application=await application_view.application(application_id),
                panel_options=[(email, f"{row['full_name'] or email} ({email})")
                               for email, row in options.items()],
                durations=[(str(d), f"{d} minutes") for d in rules.DURATIONS],
                zones=[(zone, zone) for zone in rules.TIME_ZONES],
                max_slots=rules.MAX_SLOTS, form=form, errors=errors or {},
                availability=await availability.for_application(application_id),
                zone_picker=True,
                answers=await availability.submitted_windows(application_id,
                                                             form.get("time_zone", "UTC")))


@get("/applications/{application_id:int}/interviews/new",
     name="backoffice.interviews.new", guards=CAN_WORK, include_in_schema=False)
async def new(request: Request, application_id: FromPath[int]) -> Template:
    """`?show_zone=` shows the form, and the candidate's availability, in that zone."""
    staff = (await _context(request, application_id))["current_staff"]
    zone = request.query_params.get("show_zone", "UTC")
    return await _form_page(request, application_id, form={
        "title": "Interview", "duration_minutes": "60",
        "time_zone": zone if zone in rules.TIME_ZONES else "UTC", "mode": "fixed",
        "panelists": [staff.email.lower()], "slots": []})


@post("/applications/{application_id:int}/interviews",
      name="backoffice.interviews.create", guards=CAN_WORK, include_in_schema=False)
async def create(request: Request, application_id: FromPath[int]) -> Template | Redirect:
    context = await _context(request, application_id)
    data = await request.form()
    form: dict = {key: str(data.get(key, ""))[:600] for key in _FIELDS}
    form["panelists"] = [str(v).lower()[:320] for v in data.getall("panelists", [])][:20]
    form["slots"] = [str(v)[:40] for v in data.getall("slots", [])][:rules.MAX_SLOTS + 5]
    clock = request.app.state.clock
    options = await queries.panel_options(context["requisition"]["id"])
    draft, errors = rules.parse_interview(
        form, staff_by_email={email: row["id"] for email, row in options.items()},
        now=clock.now())
    if draft is None:
        return await _form_page(request, application_id, form=form, errors=errors,
                                status_code=422)
    try:
        await interviews.schedule(application_id, draft, by=context["current_staff"],
                                  clock=clock, queue=request.app.state.queue)
    except Invalid as exc:
        return await _form_page(request, application_id, form=form,
                                errors={"__all__": str(exc)}, status_code=422)
    return _back(application_id)


async def _interview_context(request: Request, interview_id: int) -> tuple[dict, dict]:
    _, requisition_id = await queries.requisition_of(interview_id)
    context = await requisition_context(request, requisition_id, "pipeline")
    return context, await queries.interview_view(interview_id)


async def _reschedule_page(request: Request, interview_id: int, *, form: dict,
                           errors: dict | None = None, status_code: int = 200) -> Template:
    context, interview = await _interview_context(request, interview_id)
    return page(request, "backoffice/interviews/reschedule.html", status_code=status_code,
                **context, interview=interview,
                application=await application_view.application(interview["application"]),
                zones=[(zone, zone) for zone in rules.TIME_ZONES], form=form,
                errors=errors or {}, max_slots=rules.MAX_SLOTS,
                availability=await availability.for_application(interview["application"]),
                answers=await availability.submitted_windows(interview["application"],
                                                             form.get("time_zone", "UTC")))


@get("/interviews/{interview_id:int}/reschedule", name="backoffice.interviews.reschedule_form",
     guards=CAN_WORK, include_in_schema=False)
async def reschedule_form(request: Request, interview_id: FromPath[int]) -> Template:
    _, interview = await _interview_context(request, interview_id)
    return await _reschedule_page(request, interview_id, form={
        "time_zone": interview["time_zone"], "starts_at": "", "mode": "fixed", "slots": []})


@post("/interviews/{interview_id:int}/reschedule", name="backoffice.interviews.reschedule",
      guards=CAN_WORK, include_in_schema=False)
async def reschedule(request: Request, interview_id: FromPath[int]) -> Template | Redirect:
    context, interview = await _interview_context(request, interview_id)
    data = await request.form()
    form: dict = {key: str(data.get(key, ""))[:64] for key in ("time_zone", "starts_at", "mode")}
    form["slots"] = [str(v)[:40] for v in data.getall("slots", [])][:rules.MAX_SLOTS + 5]
    clock = request.app.state.clock
    offer = form["mode"] == "slots"
    parsed, errors = (rules.parse_new_slots if offer else rules.parse_new_time)(
        form, now=clock.now())
    if parsed is None:
        return await _reschedule_page(request, interview_id, form=form, errors=errors,
                                      status_code=422)
    change = interviews.reoffer if offer else interviews.reschedule
    try:
        await change(interview_id, *parsed, by=context["current_staff"],
                     clock=clock, queue=request.app.state.queue)
    except Conflict as exc:
        return await _reschedule_page(request, interview_id, form=form,
                                      errors={"__all__": str(exc)}, status_code=409)
    return _back(interview["application"])


@post("/interviews/{interview_id:int}/cancel", name="backoffice.interviews.cancel",
      guards=CAN_WORK, include_in_schema=False)
async def cancel(request: Request, interview_id: FromPath[int]) -> Redirect:
    """Cancelling twice (two tabs) is a Conflict page, never a second CANCEL email."""
    context, interview = await _interview_context(request, interview_id)
    await interviews.cancel(interview_id, by=context["current_staff"],
                            clock=request.app.state.clock, queue=request.app.state.queue)
    return _back(interview["application"])


@post("/applications/{application_id:int}/availability-requests",
      name="backoffice.interviews.request_availability", guards=CAN_WORK,
      include_in_schema=False)
async def request_availability(request: Request, application_id: FromPath[int]) -> Redirect:
    """Asking twice (two tabs) opens one request; the scheduling page shows it."""
    context = await _context(request, application_id)
    # Already asked, or no longer active: the page below says which.
    with contextlib.suppress(Conflict):
        await availability.request_one(application_id, by=context["current_staff"].email,
                                       now=request.app.state.clock.now(),
                                       queue=request.app.state.queue)
    return Redirect(f"/backoffice/applications/{application_id}/interviews/new#availability",
                    status_code=303)


ROUTES = [new, create, reschedule_form, reschedule, cancel, request_availability]
