"""Signed links from event emails. GET only shows a page (mail scanners open links);
the button's POST does the change (QUALITY.md 1.5)."""

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from domain.events import links, queries, ticket_codes
from domain.events import service as events
from portal.event_views import display
from web_common import page


async def _view(token: str) -> dict:
    return await queries.registration_view(links.registration_from_token(token))


@get("/events/registrations/{token:str}", name="portal.events.manage", include_in_schema=False)
async def manage(request: Request, token: FromPath[str]) -> Template:
    view = await _view(token)
    return page(request, "portal/events/manage.html", token=token, registration=view,
                event=display(view["event"]), place=await queries.waitlist_position(view),
                ticket=ticket_codes.ticket(view))


@post("/events/registrations/{token:str}/cancel", name="portal.events.manage_cancel",
      include_in_schema=False)
async def manage_cancel(request: Request, token: FromPath[str]) -> Redirect:
    view = await _view(token)
    await events.cancel(view["id"], clock=request.app.state.clock, queue=request.app.state.queue)
    return Redirect(f"/events/registrations/{token}", status_code=303)


@get("/events/offers/{token:str}", name="portal.events.offer", include_in_schema=False)
async def offer(request: Request, token: FromPath[str]) -> Template:
    view = await _view(token)
    return page(request, "portal/events/offer.html", token=token, registration=view,
                event=display(view["event"]), now=request.app.state.clock.now())


@post("/events/offers/{token:str}/accept", name="portal.events.accept", include_in_schema=False)
async def accept(request: Request, token: FromPath[str]) -> Redirect:
    view = await _view(token)
    await events.accept_offer(view["id"], clock=request.app.state.clock,
                              queue=request.app.state.queue)
    return Redirect(f"/events/registrations/{token}", status_code=303)


ROUTES = [manage, manage_cancel, offer, accept]
