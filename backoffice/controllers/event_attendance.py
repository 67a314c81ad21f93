"""Attendance of one event: counts, the meeting tool's report (CSV), marking by hand,
closing attendance, and the people behind each number of the event's results (ROI)."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backoffice.event_pages import CAN_HOST, event_context
from domain.errors import Conflict, NotFound
from domain.events import attendance, attendance_close, roi
from domain.events import attendance_queries as views
from domain.events import attendance_rules as rules
from domain.events.attendance_csv import MAX_BYTES, MAX_ROWS
from domain.events.attendance_import import ImportRejected, describe, import_attendance
from web_common import page

NOTICE_KEY = "attendance_notice"
# A little above the file limit so a slightly larger file gets the form's own message
# (the multipart envelope adds a few hundred bytes); beyond it, the 413 page below.
UPLOAD_BODY_LIMIT = MAX_BYTES + 256 * 1024


def _base(event_id: int) -> str:
    return f"/backoffice/events/{event_id}/attendance"


def _flash(request: Request, text: str, *, error: bool = False) -> None:
    request.session[NOTICE_KEY] = {"text": text, "error": error}


async def _page(request: Request, context: dict, *, q: str = "", status_filter: str = "",
                problems: list[str] | None = None, problem_total: int = 0,
                status: int = 200) -> Template:
    event = context["event"]
    roster, total = await views.roster(event["id"], text=q, status=status_filter)
    flash = request.session.pop(NOTICE_KEY, None) if request.session else None
    now = request.app.state.clock.now()
    return page(
        request, "backoffice/events/attendance.html", status_code=status, **context,
        counts=await views.counts(event["id"]), roster=roster, roster_total=total, q=q,
        status_filter=status_filter, problems=problems or [], problem_total=problem_total,
        flash=flash if isinstance(flash, dict) else None,
        can_close=rules.can_close(event["ends_at"], now) and event["status"] == "published",
        closed_at=event["attendance_closed_at"], max_mb=MAX_BYTES // 1024 // 1024,
        max_rows=MAX_ROWS, ends_local=rules.local_moment(event["ends_at"], event["time_zone"]))


@get("/events/{event_id:int}/attendance", name="backoffice.events.attendance",
     guards=CAN_HOST, include_in_schema=False)
async def attendance_page(request: Request, event_id: FromPath[int], q: FromQuery[str] = "",
                          status: FromQuery[str] = "") -> Template:
    context = await event_context(request, event_id, "attendance")
    return await _page(request, context, q=q[:200], status_filter=status[:16])


def _too_large(request: Request, _: Exception) -> Response:
    # Raised while the body streams in, before the handler: a plain page with the way back.
    response = page(request, "errors/error.html", status_code=413,
                    title="That file is too large",
                    detail=f"Attendance files must be {MAX_BYTES // 1024 // 1024} MB or "
                           "smaller. Go back and split the file.",
                    side="backoffice", current_staff=None, error_status=413)
    response.media_type = "text/html"
    return response


@post("/events/{event_id:int}/attendance/import", name="backoffice.events.attendance_import",
      guards=CAN_HOST, include_in_schema=False, request_max_body_size=UPLOAD_BODY_LIMIT,
      exception_handlers={413: _too_large})
async def import_file(request: Request, event_id: FromPath[int]) -> Template | Redirect:
    context = await event_context(request, event_id, "attendance")
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await _page(request, context, status=422, problem_total=1,
                           problems=["Choose the attendance file (CSV) to upload."])
    data = await upload.read(MAX_BYTES + 1)  # one byte past the limit tells it is too large
    try:
        result = await import_attendance(event_id, data, by=context["current_staff"].email,
                                         clock=request.app.state.clock)
    except ImportRejected as exc:
        return await _page(request, context, status=422, problems=exc.problems,
                           problem_total=exc.total)
    _flash(request, describe(result))
    return Redirect(_base(event_id), status_code=303)


def _back(event_id: int, form: dict, registration_id: int) -> str:
    """Back to the same filtered list, at the row that was changed."""
    params = {key: str(form.get(key, ""))[:200] for key in ("q", "status") if form.get(key)}
    query = f"?{urlencode(params)}" if params else ""
    return f"{_base(event_id)}{query}#registration-{registration_id}"


@post("/events/{event_id:int}/attendance/{registration_id:int}/mark",
      name="backoffice.events.attendance_mark", guards=CAN_HOST, include_in_schema=False)
async def mark(request: Request, event_id: FromPath[int],
               registration_id: FromPath[int]) -> Redirect:
    context = await event_context(request, event_id, "attendance")
    await views.registration_in_event(event_id, registration_id)
    form = dict(await request.form())
    result = await attendance.mark(registration_id, attended=form.get("attended") == "yes",
                                   by=context["current_staff"].email,
                                   clock=request.app.state.clock)
    _flash(request, result.message, error=result.outcome == "refused")
    return Redirect(_back(event_id, form, registration_id), status_code=303)


@post("/events/{event_id:int}/attendance/close", name="backoffice.events.attendance_close",
      guards=CAN_HOST, include_in_schema=False)
async def close(request: Request, event_id: FromPath[int]) -> Redirect:
    context = await event_context(request, event_id, "attendance")
    try:
        closed = await attendance_close.close_attendance(
            event_id, clock=request.app.state.clock, by=context["current_staff"].email)
    except Conflict as exc:
        _flash(request, str(exc), error=True)
        return Redirect(_base(event_id), status_code=303)
    if closed.already:
        _flash(request, "Attendance was already closed; nothing changed.")
    else:
        _flash(request, f"Attendance closed: {closed.no_shows} no-shows recorded, "
                        f"{closed.offers_released} unanswered offers released.")
    return Redirect(_base(event_id), status_code=303)


@get("/events/{event_id:int}/roi/{stage:str}", name="backoffice.events.roi_stage",
     guards=CAN_HOST, include_in_schema=False)
async def roi_stage(request: Request, event_id: FromPath[int], stage: FromPath[str]) -> Template:
    context = await event_context(request, event_id, "overview")
    if stage not in roi.STAGE_KEYS:
        raise NotFound("There is no such stage.")
    funnel = await roi.funnel(event_id)
    current = next(found for found in funnel if found.key == stage)
    return page(request, "backoffice/events/attendance_roi.html", **context, funnel=funnel,
                stage=current, shown=roi.PEOPLE_SHOWN)


ROUTES = [attendance_page, import_file, mark, close, roi_stage]
