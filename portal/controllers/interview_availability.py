"""The candidate tells us when they can interview, from the signed link in the email.

GET shows the form (mail scanners open links: nothing changes on GET); the POST stores
the windows. A forged link answers 400 and an expired one 410; an answered or withdrawn
request shows what happened instead of the form (409 for a late POST).
"""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from domain.errors import Conflict, NotFound
from domain.interviews import availability, links
from domain.interviews import availability_rules as rules
from web_common import page

_NAMES = ("date", "from", "to")


def _problem(request: Request, exc: links.LinkInvalid) -> Template:
    expired = isinstance(exc, links.LinkExpired)
    return page(request, "portal/interviews/availability_problem.html",
                status_code=410 if expired else 400, expired=expired, message=str(exc))


async def _show(request: Request, token: str, request_id: int, *, form: dict | None = None,
                errors: dict | None = None, problem: str = "",
                status_code: int = 200) -> Template:
    try:
        view = await availability.request_view(request_id)
    except NotFound:
        return _problem(request, links.LinkInvalid("This link is not valid."))
    zone = view["time_zone"] or view["profile_time_zone"] or "UTC"
    rows = max(rules.MAX_WINDOWS, rules.row_count(form or {}))
    return page(request, "portal/interviews/availability.html", status_code=status_code,
                token=token, view=view, form=form or {"time_zone": zone}, errors=errors or {},
                problem=problem, rows=range(1, rows + 1),
                zones=[(name, name) for name in rules.TIME_ZONES],
                windows=rules.describe(view["windows"], view["time_zone"]),
                suggested_days=rules.SUGGESTED_DAYS, max_windows=rules.MAX_WINDOWS)


@get("/interviews/availability/{token:str}", name="portal.interviews.availability",
     include_in_schema=False)
async def show(request: Request, token: FromPath[str]) -> Template:
    try:
        request_id = links.availability_request_from_token(token)
    except links.LinkInvalid as exc:
        return _problem(request, exc)
    return await _show(request, token, request_id)


@post("/interviews/availability/{token:str}", name="portal.interviews.availability_submit",
      include_in_schema=False)
async def submit(request: Request, token: FromPath[str]) -> Template | Redirect:
    try:
        request_id = links.availability_request_from_token(token)
    except links.LinkInvalid as exc:
        return _problem(request, exc)
    data = await request.form()
    form = {key: str(value)[:40] for key, value in data.items()
            if key.partition("-")[0] in _NAMES and key.partition("-")[2].isdigit()
            and len(key) <= 7}
    form["time_zone"] = str(data.get("time_zone", ""))[:64]
    form["note"] = str(data.get("note", ""))[:rules.MAX_NOTE + 100]
    clock = request.app.state.clock
    answer, errors = rules.parse_availability(form, now=clock.now())
    if answer is None:
        return await _show(request, token, request_id, form=form, errors=errors,
                           status_code=422)
    try:
        await availability.submit(request_id, answer, clock=clock,
                                  queue=request.app.state.queue)
    except Conflict as exc:
        return await _show(request, token, request_id, problem=str(exc), status_code=409)
    except NotFound:
        return _problem(request, links.LinkInvalid("This link is not valid."))
    return Redirect(f"/interviews/availability/{token}", status_code=303)


ROUTES = [show, submit]
