"""Check-in at the door, on a phone: search, ticket scan, walk-ins, and ticket links.

Every route starts with `event_context` (hosts reach only their own events). A result is
never an error page: "already checked in at 17:05 by Riley" and "on the waiting list"
are answers the host needs on screen, prominently.
"""

from __future__ import annotations

from litestar import Request, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from backoffice.auth import require_staff
from backoffice.event_pages import CAN_HOST, event_context
from domain.accounts.permissions import Permission
from domain.audit import service as audit
from domain.errors import Conflict, Invalid, NotFound
from domain.events import attendance, tickets
from domain.events import attendance_queries as views
from domain.events import attendance_rules as rules
from domain.events.attendance import CheckInResult, EventFull
from domain.events.links import LinkInvalid
from web_common import page
from web_security import BASE_HEADERS, CONTENT_SECURITY_POLICY

# The check-in page alone may use the camera, and the QR decoder runs in a web worker
# that qr-scanner builds from a blob: URL. Every other page keeps camera=() and no blob:.
SCANNER_HEADERS = {
    "permissions-policy": BASE_HEADERS["permissions-policy"].replace("camera=()",
                                                                     "camera=(self)"),
    "content-security-policy": CONTENT_SECURITY_POLICY + "; worker-src 'self' blob:",
}
BAD_TICKET = ("This ticket is not valid: it was altered, or it is not one of our tickets. "
              "Search for the person by name instead.")


def _staff_email(context: dict) -> str:
    return str(context["current_staff"].email)


def _walk_in_form(data: dict | None = None) -> dict:
    data = data or {}
    return {"full_name": str(data.get("full_name", ""))[:200],
            "email": str(data.get("email", ""))[:320],
            "over_capacity": data.get("over_capacity") == "yes"}


async def _page(request: Request, context: dict, *, q: str = "",
                result: CheckInResult | None = None, form: dict | None = None,
                errors: dict | None = None, status: int = 200) -> Template:
    event = context["event"]
    results = await views.search(event["id"], q)
    response = page(
        request, "backoffice/events/checkin.html", status_code=status, **context, q=q,
        results=results, recent=[] if q else await views.recent_check_ins(event["id"]),
        counts=await views.counts(event["id"]), result=result,
        form=form or _walk_in_form(), errors=errors or {},
        full=rules.is_full(event["capacity"], event["taken"]))
    response.headers.update(SCANNER_HEADERS)
    return response


async def _answer(request: Request, context: dict, result: CheckInResult, *,
                  with_card: bool) -> Template:
    """htmx gets the result panel plus, out of band, the counts and (when the tap came
    from the person's card, so the card is on the page) the card itself."""
    return page(request, "backoffice/events/checkin_result.html", **context, result=result,
                oob=True, with_card=with_card, counts=await views.counts(context["event"]["id"]))


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


@get("/events/{event_id:int}/checkin", name="backoffice.events.checkin", guards=CAN_HOST,
     include_in_schema=False)
async def checkin(request: Request, event_id: FromPath[int], q: FromQuery[str] = "") -> Template:
    context = await event_context(request, event_id, "checkin")
    if _is_htmx(request) and request.headers.get("hx-target") == "checkin-results":
        return page(request, "backoffice/events/checkin_results.html", **context, q=q,
                    results=await views.search(event_id, q), recent=[])
    return await _page(request, context, q=q)


@post("/events/{event_id:int}/checkin/{registration_id:int}",
      name="backoffice.events.checkin_person", guards=CAN_HOST, include_in_schema=False)
async def check_in_person(request: Request, event_id: FromPath[int],
                          registration_id: FromPath[int]) -> Template:
    context = await event_context(request, event_id, "checkin")
    await views.registration_in_event(event_id, registration_id)
    result = await attendance.check_in(registration_id, by=_staff_email(context),
                                       clock=request.app.state.clock)
    if _is_htmx(request):
        return await _answer(request, context, result, with_card=True)
    return await _page(request, context, q=str((await request.form()).get("q", ""))[:200],
                       result=result)


async def _scan(event_id: int, text: str, by: str, clock) -> CheckInResult:
    try:
        registration_id = tickets.registration_from_ticket(tickets.token_from_scan(text))
        view = await views.registration(registration_id)
    except (LinkInvalid, NotFound):
        return CheckInResult("refused", BAD_TICKET, {})
    if view["event"] != event_id:
        # Not named: the host may not manage that other event.
        return CheckInResult("refused", "This ticket is for another event.", {})
    return await attendance.check_in(registration_id, by=by, clock=clock)


@post("/events/{event_id:int}/checkin/scan", name="backoffice.events.checkin_scan",
      guards=CAN_HOST, include_in_schema=False)
async def scan(request: Request, event_id: FromPath[int]) -> Template:
    """A scanned QR code (the camera in the page, or a handheld scanner typing into the
    field): the ticket URL or the bare token."""
    context = await event_context(request, event_id, "checkin")
    text = str((await request.form()).get("ticket", ""))[:2000]
    if not text.strip():
        result = CheckInResult("refused", "Scan a ticket or paste its link first.", {})
    else:
        result = await _scan(event_id, text, _staff_email(context), request.app.state.clock)
    if _is_htmx(request):
        return await _answer(request, context, result, with_card=False)
    return await _page(request, context, result=result)


@post("/events/{event_id:int}/checkin/walk-in", name="backoffice.events.walk_in",
      guards=CAN_HOST, include_in_schema=False)
async def walk_in(request: Request, event_id: FromPath[int]) -> Template:
    context = await event_context(request, event_id, "checkin")
    form = _walk_in_form(dict(await request.form()))
    try:
        result = await attendance.walk_in(
            event_id, email=form["email"], full_name=form["full_name"],
            by=_staff_email(context), admit_over_capacity=form["over_capacity"],
            clock=request.app.state.clock)
    except EventFull as exc:
        message = f"{exc} Tick “Admit over capacity” to let them in anyway."
        return await _refused_walk_in(request, event_id, form, {"over_capacity": message})
    except Invalid as exc:
        return await _refused_walk_in(request, event_id, form, exc.errors)
    except Conflict as exc:
        return await _refused_walk_in(request, event_id, form, {"__all__": str(exc)})
    # A fresh context: the seat count in the header changed.
    context = await event_context(request, event_id, "checkin")
    return await _page(request, context, result=result)


async def _refused_walk_in(request: Request, event_id: int, form: dict,
                           errors: dict) -> Template:
    context = await event_context(request, event_id, "checkin")
    return await _page(request, context, form=form, errors=errors, status=422)


async def _ticket(request: Request, token: str) -> tuple[dict, dict]:
    """The registration a ticket names and its event's context. A forged ticket is a 400
    with an explanation; another host's event is a 404, like one that does not exist."""
    try:
        registration_id = tickets.registration_from_ticket(token)
    except LinkInvalid as exc:
        raise LinkInvalid(BAD_TICKET) from exc
    view = await views.registration(registration_id)
    context = await event_context(request, view["event"], "checkin")
    return view, context


async def _may_host(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """CAN_HOST for ticket URLs: the denial is audited like any other, but with the route
    template as subject, never the path, which holds a live ticket (QUALITY.md S5)."""
    staff = await require_staff(connection)
    if not staff.can(Permission.EVENTS_HOST):
        await audit.record(action="staff.permission_denied",
                           at=connection.app.state.clock.now(), actor=staff.email,
                           subject=f"{tickets.TICKET_PATH}{{token}}",
                           ip=connection.client.host if connection.client else "",
                           detail={"permission": Permission.EVENTS_HOST.value})
        raise PermissionDeniedException("Your role does not allow this page.")


TICKET_GUARDS = [_may_host]


@get("/events/tickets/{token:str}", name="backoffice.events.ticket", guards=TICKET_GUARDS,
     include_in_schema=False)
async def ticket(request: Request, token: FromPath[str]) -> Template:
    """What a phone's camera app opens. Looking changes nothing; the button checks in."""
    view, context = await _ticket(request, token)
    # Anyone not waiting to be checked in gets the reason up front, before any button.
    result = None if view["status"] == "registered" else attendance.explain(view)
    return page(request, "backoffice/events/checkin_ticket.html", **context,
                registration=view, result=result, token=token)


@post("/events/tickets/{token:str}", name="backoffice.events.ticket_check_in",
      guards=TICKET_GUARDS, include_in_schema=False)
async def ticket_check_in(request: Request, token: FromPath[str]) -> Template:
    view, context = await _ticket(request, token)
    result = await attendance.check_in(view["id"], by=_staff_email(context),
                                       clock=request.app.state.clock)
    return page(request, "backoffice/events/checkin_ticket.html", **context,
                registration=result.registration, result=result, token=token)


ROUTES = [checkin, scan, walk_in, check_in_person, ticket, ticket_check_in]
