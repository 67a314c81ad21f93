"""Confirming event news (double opt-in from a registration email). GET only shows the
page (mail scanners open links); the button's POST records the consent."""

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Template

from domain.events import news
from domain.events.news import NewsLinkProblem
from web_common import client_ip, page, user_agent
from web_ratelimit import rate_limited

PROBLEM_STATUS = {"expired": 410, "invalid": 400}


def _problem(request: Request, problem: NewsLinkProblem) -> Template:
    return page(request, "portal/events/news_result.html",
                status_code=PROBLEM_STATUS[problem.kind], outcome=problem.kind)


@get("/events/news/{token:str}", name="portal.events.news", include_in_schema=False)
async def show(request: Request, token: FromPath[str]) -> Template:
    try:
        news.person_from_token(token)
    except NewsLinkProblem as problem:
        return _problem(request, problem)
    return page(request, "portal/events/news_confirm.html", token=token,
                text=await news.current_text())


@post("/events/news/{token:str}", name="portal.events.news_confirm", include_in_schema=False,
      guards=[rate_limited("confirm", limit=30, window_seconds=60)])
async def confirm(request: Request, token: FromPath[str]) -> Template:
    try:
        outcome = await news.confirm(token, evidence=news.Evidence(client_ip(request),
                                                                   user_agent(request)),
                                     clock=request.app.state.clock)
    except NewsLinkProblem as problem:
        return _problem(request, problem)
    return page(request, "portal/events/news_result.html", outcome=outcome)


ROUTES = [show, confirm]
