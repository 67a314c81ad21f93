"""A signed-in person's own ticket for an event: the QR to show at the door."""

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Template

from domain.events import ticket_codes
from portal.auth import current_candidate, require_candidate
from portal.event_views import display
from web_common import page


@get("/events/{slug:str}/ticket", name="portal.events.ticket", include_in_schema=False,
      guards=[require_candidate])
async def ticket(request: Request, slug: FromPath[str]) -> Template:
    candidate = await current_candidate(request)
    assert candidate is not None  # the guard let only signed-in people through
    view, shown = await ticket_codes.own_ticket(slug, candidate.person_id)
    return page(request, "portal/events/ticket.html", event=display(view["event"]),
                registration=view, ticket=shown)


ROUTES = [ticket]
