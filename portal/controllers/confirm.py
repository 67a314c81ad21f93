"""Double opt-in confirmation. GET only shows a page: mail scanners prefetch links, so
only the button's POST consumes the token."""

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from domain.communities import service as communities
from domain.communities.service import ConfirmationProblem
from web_common import client_ip, page, user_agent
from web_ratelimit import rate_limited

PROBLEM_STATUS = {"expired": 410, "used": 409, "invalid": 400, "left": 409}


def _problem(request: Request, problem: ConfirmationProblem) -> Template:
    return page(request, "portal/confirm/problem.html", status_code=PROBLEM_STATUS[problem.kind],
                problem=problem.kind, community=problem.community)


@get("/confirm/{token:str}", name="portal.confirm.show", include_in_schema=False)
async def show(request: Request, token: FromPath[str]) -> Template:
    try:
        preview = await communities.confirmation_preview(token, clock=request.app.state.clock)
    except ConfirmationProblem as problem:
        return _problem(request, problem)
    return page(request, "portal/confirm/show.html", token=token, **preview)


@post("/confirm/{token:str}", name="portal.confirm.submit", include_in_schema=False,
      guards=[rate_limited("confirm", limit=30, window_seconds=60)])
async def submit(request: Request, token: FromPath[str]) -> Template | Redirect:
    try:
        community = await communities.confirm_membership(
            token, clock=request.app.state.clock, ip=client_ip(request),
            user_agent=user_agent(request),
        )
    except ConfirmationProblem as problem:
        return _problem(request, problem)
    return Redirect(f"/communities/{community['slug']}/welcome", status_code=303)

ROUTES = [show, submit]
