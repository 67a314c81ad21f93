"""Candidate self-scheduling from the signed link in the "choose a time" email.

GET only shows the offered times (mail scanners open links); the form's POST books one.
A forged link answers 400 and an expired one 410, each with a page that says why.
"""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from domain.errors import Conflict, NotFound
from domain.interviews import links, queries
from domain.interviews import service as interviews
from web_common import page


def _problem(request: Request, exc: links.LinkInvalid) -> Template:
    expired = isinstance(exc, links.LinkExpired)
    return page(request, "portal/interviews/link_problem.html",
                status_code=410 if expired else 400, expired=expired, message=str(exc))


async def _show(request: Request, token: str, *, problem: str = "",
                status_code: int = 200) -> Template:
    try:
        interview_id = links.interview_from_token(token)
    except links.LinkInvalid as exc:
        return _problem(request, exc)
    view = await queries.interview_view(interview_id)
    return page(request, "portal/interviews/choose.html", status_code=status_code,
                token=token, interview=view, problem=problem)


@get("/interviews/{token:str}", name="portal.interviews.choose", include_in_schema=False)
async def choose(request: Request, token: FromPath[str]) -> Template:
    return await _show(request, token)


@post("/interviews/{token:str}", name="portal.interviews.pick", include_in_schema=False)
async def pick(request: Request, token: FromPath[str]) -> Template | Redirect:
    try:
        interview_id = links.interview_from_token(token)
    except links.LinkInvalid as exc:
        return _problem(request, exc)
    slot = str((await request.form()).get("slot", "")).strip()
    if not slot.isdigit() or len(slot) > 9:
        return await _show(request, token, problem="Choose one of the times.",
                           status_code=422)
    try:
        await interviews.pick_slot(interview_id, int(slot), clock=request.app.state.clock,
                                   queue=request.app.state.queue)
    except Conflict as exc:
        return await _show(request, token, problem=str(exc), status_code=409)
    except NotFound as exc:
        return await _show(request, token, problem=str(exc), status_code=422)
    return Redirect(f"/interviews/{token}", status_code=303)


ROUTES = [choose, pick]
