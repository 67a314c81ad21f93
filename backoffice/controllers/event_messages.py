"""Messaging an event's registrants, and the prepared follow-ups after the event."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backoffice.event_pages import CAN_HOST, event_context
from domain.errors import Invalid
from domain.events import messaging
from web_common import page


async def _compose(request: Request, event_id: int, values: dict, errors: dict,
                   status_code: int = 200, notice: str = "") -> Template:
    context = await event_context(request, event_id, "message")
    counts = await messaging.audience_counts(event_id)
    audiences = [(key, f"{label} ({counts[key]})")
                 for key, (label, _) in messaging.AUDIENCES.items()]
    return page(request, "backoffice/events/message.html", status_code=status_code,
                **context, values=values, errors=errors, audiences=audiences,
                sent=await messaging.sent_messages(event_id), notice=notice)


@get("/events/{event_id:int}/message", name="backoffice.events.message", guards=CAN_HOST,
     include_in_schema=False)
async def compose(request: Request, event_id: FromPath[int], follow_up: FromQuery[str] = "",
                  sent: FromQuery[int] = -1) -> Template:
    context = await event_context(request, event_id, "message")
    values = {"audience": "registered", "subject": "", "body": ""}
    if follow_up in messaging.FOLLOW_UPS:
        subject, body = messaging.follow_up(follow_up, context["event"])
        values = {"audience": follow_up, "subject": subject, "body": body}
    notice = f"Message queued for {sent} people." if sent >= 0 else ""
    return await _compose(request, event_id, values, {}, notice=notice)


@post("/events/{event_id:int}/message", name="backoffice.events.message_send", guards=CAN_HOST,
      include_in_schema=False)
async def send(request: Request, event_id: FromPath[int]) -> Template | Redirect:
    context = await event_context(request, event_id, "message")
    form = await request.form()
    values = {"audience": str(form.get("audience", ""))[:20],
              "subject": str(form.get("subject", ""))[:400],
              "body": str(form.get("body", ""))[:20_000]}
    try:
        result = await messaging.send_message(event_id, **values, by=context["current_staff"],
                                              clock=request.app.state.clock,
                                              queue=request.app.state.queue)
    except Invalid as exc:
        return await _compose(request, event_id, values, exc.errors, status_code=422)
    return Redirect(f"/backoffice/events/{event_id}/message?sent={result['sent']}",
                    status_code=303)


ROUTES = [compose, send]
