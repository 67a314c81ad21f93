"""The candidate's answer to an offer, from the signed link in the offer letter.

GET only shows the offer (mail scanners open links); the form's POST accepts or declines.
A forged link answers 400 and an expired one 410, an answer after the deadline shows the
expired page and a second answer the "already answered" page: never a 500.
"""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from domain.errors import Conflict, Invalid, NotFound
from domain.offers import links, queries, rules
from domain.offers import service as offers
from web_common import page


def _problem(request: Request, exc: links.LinkInvalid) -> Template:
    expired = isinstance(exc, links.LinkExpired)
    return page(request, "portal/offers/link_problem.html",
                status_code=410 if expired else 400, expired=expired, message=str(exc))


async def _show(request: Request, token: str, offer_id: int, *, problem: str = "",
                already: bool = False, status_code: int = 200) -> Template:
    offer = await queries.offer_view(offer_id)
    today = request.app.state.clock.now().date()
    past = offer["status"] == "expired" or (
        offer["status"] == "sent" and rules.is_past_deadline(offer["expires_on"], today))
    return page(request, "portal/offers/offer.html", status_code=status_code, token=token,
                offer=offer, past_deadline=past, already=already, problem=problem)


@get("/offers/{token:str}", name="portal.offers.show", include_in_schema=False)
async def show(request: Request, token: FromPath[str]) -> Template:
    try:
        offer_id = links.offer_from_token(token)
    except links.LinkInvalid as exc:
        return _problem(request, exc)
    return await _show(request, token, offer_id)


@post("/offers/{token:str}", name="portal.offers.respond", include_in_schema=False)
async def respond(request: Request, token: FromPath[str]) -> Template | Redirect:
    try:
        offer_id = links.offer_from_token(token)
    except links.LinkInvalid as exc:
        return _problem(request, exc)
    form = await request.form()
    answer = str(form.get("answer", ""))
    if answer not in ("accept", "decline"):
        return await _show(request, token, offer_id, status_code=422,
                           problem="Choose whether you accept or decline the offer.")
    try:
        outcome = await offers.respond(offer_id, accept=answer == "accept",
                                       reason=str(form.get("reason", ""))[:2000],
                                       clock=request.app.state.clock,
                                       queue=request.app.state.queue)
    except offers.AlreadyAnswered:
        return await _show(request, token, offer_id, already=True, status_code=409)
    except (Conflict, Invalid, NotFound) as exc:
        # The hire could not go through (the opening was filled meanwhile): nothing changed.
        return await _show(request, token, offer_id, status_code=409,
                           problem=f"We could not record your answer: {exc} "
                                   "Please reply to the offer email.")
    if outcome == "expired":
        return await _show(request, token, offer_id, status_code=410)
    return Redirect(f"/offers/{token}", status_code=303)


ROUTES = [show, respond]
