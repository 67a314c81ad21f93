"""Hosting events: the list, create, edit, publish, call off, co-hosts.

Every route about one event goes through `event_context` (ownership check); handlers
only parse input and pick the page.
"""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backoffice.auth import require_staff
from backoffice.event_forms import form_values, new_event_values, raw_event, with_blank_question
from backoffice.event_pages import CAN_HOST, event_context
from domain.db import fetch
from domain.errors import Conflict, Invalid
from domain.events import access, hosting, queries, roi, rules
from domain.events.drafts import QUESTION_KINDS, ZONES, parse_draft
from domain.events.registrations import status_counts
from web_common import page

SHOW = {"upcoming": "Upcoming", "past": "Past", "cancelled": "Cancelled"}


async def _communities() -> list[tuple[str, str]]:
    rows = await fetch("SELECT id, name FROM talent_communities ORDER BY name")
    return [(str(row["id"]), row["name"]) for row in rows]


@get("/events", name="backoffice.events.index", guards=CAN_HOST, include_in_schema=False)
async def index(request: Request, show: FromQuery[str] = "upcoming") -> Template:
    staff = await require_staff(request)
    show = show if show in SHOW else "upcoming"
    rows = await queries.events_for_staff(staff.id, every_event=access.sees_all(staff),
                                          show=show, now=request.app.state.clock.now())
    return page(request, "backoffice/events/index.html", events=rows, show=show, shows=SHOW,
                sees_all=access.sees_all(staff), current_staff=staff)


async def _form_page(request: Request, values: dict, errors: dict, *, event: dict | None,
                     status: int = 200) -> Template:
    return page(request, "backoffice/events/form.html", status_code=status, values=values,
                errors=errors, event=event, zones=[(zone, zone) for zone in ZONES],
                kinds=[("in_person", "In person"), ("virtual", "Virtual"), ("hybrid", "Hybrid")],
                question_kinds=list(QUESTION_KINDS.items()), communities=await _communities(),
                current_staff=await require_staff(request))


@get("/events/new", name="backoffice.events.new", guards=CAN_HOST, include_in_schema=False)
async def new(request: Request) -> Template:
    values = with_blank_question(new_event_values(request.app.state.clock.now()))
    return await _form_page(request, values, {}, event=None)


async def _checked(request: Request) -> tuple[dict, object, dict]:
    form = await request.form()
    raw = raw_event(form)
    known = {int(value) for value, _ in await _communities()}
    draft, errors = parse_draft(raw, known_communities=known)
    return raw, draft, {**errors, "_add": "yes"} if form.get("add_question") else errors


@post("/events/new", name="backoffice.events.create", guards=CAN_HOST, include_in_schema=False)
async def create(request: Request) -> Template | Redirect:
    raw, draft, errors = await _checked(request)
    if errors or draft is None:
        return await _form_again(request, raw, errors, event=None)
    event = await hosting.create_event(draft, by=await require_staff(request),
                                       clock=request.app.state.clock)
    return Redirect(f"/backoffice/events/{event['id']}", status_code=303)


async def _form_again(request: Request, raw: dict, errors: dict, *,
                      event: dict | None) -> Template:
    """Re-render: with one more question row on "Add another question" (not an error),
    else with the per-field errors (422)."""
    adding = errors.pop("_add", None)
    if adding:
        return await _form_page(request, with_blank_question(raw), {}, event=event)
    return await _form_page(request, with_blank_question(raw, extra=0 if raw["questions"]
                                                         else 1),
                            errors, event=event, status=422)


@get("/events/{event_id:int}", name="backoffice.events.detail", guards=CAN_HOST,
     include_in_schema=False)
async def detail(request: Request, event_id: FromPath[int], notice: FromQuery[str] = "",
                 ) -> Template:
    context = await event_context(request, event_id, "overview")
    event = context["event"]
    return page(request, "backoffice/events/overview.html", **context,
                counts=await status_counts(event_id), hosts=await hosting.hosts(event_id),
                remaining=rules.remaining_seats(event["capacity"], event["taken"]),
                notice=_NOTICES.get(notice, ""), errors={},
                now=request.app.state.clock.now(), **await _roi(event_id))


async def _roi(event_id: int) -> dict:
    return {"funnel": await roi.funnel(event_id)}


_NOTICES = {
    "created": "Event created as a draft. Publish it when it is ready.",
    "saved": "Changes saved.",
    "saved_notified": "Changes saved. Everyone with a seat gets an updated invitation.",
    "published": "Published: the event is on the careers site.",
    "cancelled": "The event is called off; registrants are being told.",
    "cohost_added": "Co-host added.",
    "cohost_removed": "Co-host removed.",
}


@get("/events/{event_id:int}/edit", name="backoffice.events.edit", guards=CAN_HOST,
     include_in_schema=False)
async def edit(request: Request, event_id: FromPath[int]) -> Template:
    context = await event_context(request, event_id, "overview")
    values = with_blank_question(form_values(context["event"]))
    return await _form_page(request, values, {}, event=context["event"])


@post("/events/{event_id:int}/edit", name="backoffice.events.update", guards=CAN_HOST,
      include_in_schema=False)
async def update(request: Request, event_id: FromPath[int]) -> Template | Redirect:
    context = await event_context(request, event_id, "overview")
    raw, draft, errors = await _checked(request)
    if errors or draft is None:
        return await _form_again(request, raw, errors, event=context["event"])
    try:
        result = await hosting.update_event(event_id, draft, by=context["current_staff"],
                                            clock=request.app.state.clock,
                                            queue=request.app.state.queue)
    except Invalid as exc:
        return await _form_again(request, raw, dict(exc.errors), event=context["event"])
    notice = "saved_notified" if result["moved"] and context["event"]["status"] == "published" \
        else "saved"
    return Redirect(f"/backoffice/events/{event_id}?notice={notice}", status_code=303)


@post("/events/{event_id:int}/publish", name="backoffice.events.publish", guards=CAN_HOST,
      include_in_schema=False)
async def publish(request: Request, event_id: FromPath[int]) -> Template | Redirect:
    context = await event_context(request, event_id, "overview")
    try:
        await hosting.publish(event_id, by=context["current_staff"],
                              clock=request.app.state.clock)
    except Conflict as exc:
        return await _overview_error(request, event_id, str(exc))
    return Redirect(f"/backoffice/events/{event_id}?notice=published", status_code=303)


async def _overview_error(request: Request, event_id: int, message: str) -> Template:
    context = await event_context(request, event_id, "overview")
    event = context["event"]
    return page(request, "backoffice/events/overview.html", status_code=409, **context,
                counts=await status_counts(event_id), hosts=await hosting.hosts(event_id),
                remaining=rules.remaining_seats(event["capacity"], event["taken"]),
                errors={"__all__": message}, now=request.app.state.clock.now(),
                **await _roi(event_id))


@post("/events/{event_id:int}/call-off", name="backoffice.events.call_off", guards=CAN_HOST,
      include_in_schema=False)
async def call_off(request: Request, event_id: FromPath[int]) -> Redirect:
    context = await event_context(request, event_id, "overview")
    form = await request.form()
    await hosting.call_off(event_id, by=context["current_staff"],
                           reason=str(form.get("reason", ""))[:1000],
                           clock=request.app.state.clock, queue=request.app.state.queue)
    return Redirect(f"/backoffice/events/{event_id}?notice=cancelled", status_code=303)


@post("/events/{event_id:int}/cohosts", name="backoffice.events.cohost_add", guards=CAN_HOST,
      include_in_schema=False)
async def cohost_add(request: Request, event_id: FromPath[int]) -> Template | Redirect:
    context = await event_context(request, event_id, "overview")
    form = await request.form()
    try:
        await hosting.add_cohost(event_id, str(form.get("email", ""))[:320],
                                 by=context["current_staff"], clock=request.app.state.clock)
    except Invalid as exc:
        return await _overview_error(request, event_id, str(exc))
    return Redirect(f"/backoffice/events/{event_id}?notice=cohost_added", status_code=303)


@post("/events/{event_id:int}/cohosts/{staff_id:int}/remove",
      name="backoffice.events.cohost_remove", guards=CAN_HOST, include_in_schema=False)
async def cohost_remove(request: Request, event_id: FromPath[int],
                        staff_id: FromPath[int]) -> Redirect:
    context = await event_context(request, event_id, "overview")
    await hosting.remove_cohost(event_id, staff_id, by=context["current_staff"],
                                clock=request.app.state.clock)
    return Redirect(f"/backoffice/events/{event_id}?notice=cohost_removed", status_code=303)


ROUTES = [index, new, create, detail, edit, update, publish, call_off, cohost_add,
          cohost_remove]
