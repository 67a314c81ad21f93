"""Invited staff choose their password through the emailed link (domain.accounts.invites).

Like the portal's sign-in links: opening the link changes nothing (mail scanners open
links), the form's POST uses it up. Bad passwords re-render the form with messages and
leave the link usable; expired, used and forged links get a page that says which.
"""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from domain.accounts import invites
from domain.accounts.invites import Invitee, InviteProblem
from domain.errors import Invalid
from web_common import client_ip, page
from web_ratelimit import rate_limited

PROBLEM_STATUS = {"expired": 410, "used": 409, "invalid": 400}


def _problem(request: Request, problem: InviteProblem) -> Template:
    return page(request, "backoffice/invitations/problem.html",
                status_code=PROBLEM_STATUS[problem.kind], problem=problem.kind,
                current_staff=None)


def _form(request: Request, token: str, invitee: Invitee, errors: dict,
          status: int = 200) -> Template:
    return page(request, "backoffice/invitations/set_password.html", status_code=status,
                token=token, invitee=invitee, errors=errors, current_staff=None,
                min_length=invites.MIN_PASSWORD_LENGTH)


@get("/invitations/{token:str}", name="backoffice.invitations.show", include_in_schema=False)
async def show(request: Request, token: FromPath[str]) -> Template:
    try:
        invitee = await invites.check(token, clock=request.app.state.clock)
    except InviteProblem as problem:
        return _problem(request, problem)
    return _form(request, token, invitee, {})


@post("/invitations/{token:str}", name="backoffice.invitations.accept", include_in_schema=False,
      guards=[rate_limited("staff-invite", limit=20, window_seconds=60)])
async def accept(request: Request, token: FromPath[str]) -> Template | Redirect:
    data = await request.form()
    password = str(data.get("password") or "")[:2048]
    confirm = str(data.get("confirm") or "")[:2048]
    try:
        await invites.accept(token, password=password, confirm=confirm,
                             ip=client_ip(request), clock=request.app.state.clock)
    except InviteProblem as problem:
        return _problem(request, problem)
    except Invalid as exc:
        invitee = await invites.check(token, clock=request.app.state.clock)
        return _form(request, token, invitee, exc.errors, status=422)
    return Redirect("/backoffice/login?welcome=1", status_code=303)


ROUTES = [show, accept]
