"""The candidate's own applications: status in their words, and withdrawing."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from domain.pipeline import queries
from domain.pipeline import service as pipeline
from portal.auth import Candidate, current_candidate, require_candidate
from web_common import page

GUARDS = [require_candidate]
NOTICE_KEY = "applications_notice"


async def _me(request: Request) -> Candidate:
    candidate = await current_candidate(request)
    assert candidate is not None  # the guard let us in
    return candidate


@get("/account/applications", name="portal.applications.index", guards=GUARDS,
     include_in_schema=False)
async def index(request: Request) -> Template:
    me = await _me(request)
    notice = request.session.pop(NOTICE_KEY, None) if request.session else None
    return page(request, "portal/applications/index.html", notice=notice,
                applications=await queries.my_applications(me.person_id))


@get("/account/applications/{application_id:int}/withdraw",
     name="portal.applications.confirm_withdraw", guards=GUARDS, include_in_schema=False)
async def confirm_withdraw(request: Request, application_id: FromPath[int]) -> Template:
    me = await _me(request)
    application = await queries.my_application(me.person_id, application_id)
    return page(request, "portal/applications/withdraw.html", application=application)


@post("/account/applications/{application_id:int}/withdraw",
      name="portal.applications.withdraw", guards=GUARDS, include_in_schema=False)
async def withdraw(request: Request, application_id: FromPath[int]) -> Redirect:
    me = await _me(request)
    application = await queries.my_application(me.person_id, application_id)
    await pipeline.withdraw(application_id, person_id=me.person_id,
                            clock=request.app.state.clock)
    request.session[NOTICE_KEY] = f"Your application for {application['title']} is withdrawn."
    return Redirect("/account/applications", status_code=303)


ROUTES = [index, confirm_withdraw, withdraw]
