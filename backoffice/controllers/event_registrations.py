"""An event's registrants: search and filter, CSV export, add by hand, cancel by hand."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Stream, Template

from backoffice.event_pages import CAN_HOST, event_context
from domain.errors import Invalid, NotFound
from domain.events import registrations
from domain.events import service as events
from domain.people.rules import InvalidEmail, clean_name, normalise_email
from web_common import page

STATUS_LABELS = {"registered": "Registered", "offered": "Offered a seat",
                 "waitlisted": "Waiting", "attended": "Attended", "no_show": "No-show",
                 "cancelled": "Cancelled"}


def _next_url(event_id: int, q: str, status: str, after: int | None) -> str | None:
    if after is None:
        return None
    params = {key: value for key, value in (("q", q), ("status", status)) if value}
    return f"/backoffice/events/{event_id}/registrations?" + urlencode({**params,
                                                                         "after": after})


async def _list_page(request: Request, event_id: int, *, q: str, status: str, after: int,
                     add_form: dict | None = None, errors: dict | None = None,
                     status_code: int = 200, notice: str = "") -> Template:
    context = await event_context(request, event_id, "registrations")
    result = await registrations.page(event_id, q=q[:200], status=status, after=after)
    values = {"rows": result.rows, "next_url": _next_url(event_id, q, status,
                                                         result.next_after)}
    if request.headers.get("hx-request") == "true" and after:
        return page(request, "backoffice/events/_registration_rows.html", **context, **values)
    return page(request, "backoffice/events/registrations.html", status_code=status_code,
                **context, **values, q=q, status=status, statuses=STATUS_LABELS,
                counts=await registrations.status_counts(event_id),
                add_form=add_form or {}, errors=errors or {}, notice=notice)


@get("/events/{event_id:int}/registrations", name="backoffice.events.registrations",
     guards=CAN_HOST, include_in_schema=False)
async def index(request: Request, event_id: FromPath[int], q: FromQuery[str] = "",
                status: FromQuery[str] = "", after: FromQuery[int] = 0,
                notice: FromQuery[str] = "") -> Template:
    status = status if status in STATUS_LABELS else ""
    return await _list_page(request, event_id, q=q, status=status, after=after,
                            notice=_NOTICES.get(notice, ""))


_NOTICES = {"added": "Added. They get the confirmation (or waiting-list) email.",
            "cancelled": "Registration cancelled; the seat goes to the next person waiting."}


@get("/events/{event_id:int}/registrations.csv", name="backoffice.events.registrations_csv",
     guards=CAN_HOST, include_in_schema=False)
async def export(request: Request, event_id: FromPath[int], q: FromQuery[str] = "",
                 status: FromQuery[str] = "") -> Stream:
    context = await event_context(request, event_id, "registrations")
    status = status if status in STATUS_LABELS else ""
    filename = f"{context['event']['slug']}-registrations.csv"
    return Stream(registrations.export_csv(event_id, q=q[:200], status=status),
                  media_type="text/csv; charset=utf-8",
                  headers={"content-disposition": f'attachment; filename="{filename}"'})


@post("/events/{event_id:int}/registrations", name="backoffice.events.registration_add",
      guards=CAN_HOST, include_in_schema=False)
async def add(request: Request, event_id: FromPath[int]) -> Template | Redirect:
    context = await event_context(request, event_id, "registrations")
    form = await request.form()
    values = {"full_name": str(form.get("full_name", ""))[:300],
              "email": str(form.get("email", ""))[:400]}
    errors: dict[str, str] = {}
    name = clean_name(values["full_name"], max_length=201)
    if not name or len(name) > 200:
        errors["full_name"] = "Enter their name (at most 200 characters)."
    try:
        email = normalise_email(values["email"])
    except InvalidEmail as exc:
        errors["email"] = str(exc)
    if not errors:
        try:
            await events.register_guest(context["event"]["slug"], email=email, full_name=name,
                                        clock=request.app.state.clock,
                                        queue=request.app.state.queue, source="manual")
        except Invalid as exc:
            errors["__all__"] = str(exc)
    if errors:
        return await _list_page(request, event_id, q="", status="", after=0, add_form=values,
                                errors=errors, status_code=422)
    return Redirect(f"/backoffice/events/{event_id}/registrations?notice=added",
                    status_code=303)


@post("/events/{event_id:int}/registrations/{registration_id:int}/cancel",
      name="backoffice.events.registration_cancel", guards=CAN_HOST, include_in_schema=False)
async def cancel(request: Request, event_id: FromPath[int],
                 registration_id: FromPath[int]) -> Redirect:
    await event_context(request, event_id, "registrations")
    if not await registrations.belongs_to(registration_id, event_id):
        raise NotFound("There is no such registration for this event.")
    await events.cancel(registration_id, clock=request.app.state.clock,
                        queue=request.app.state.queue)
    return Redirect(f"/backoffice/events/{event_id}/registrations?notice=cancelled",
                    status_code=303)


ROUTES = [index, export, add, cancel]
