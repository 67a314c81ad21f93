"""Candidate sign-in by magic link, the account home, sign-out (here and everywhere)."""

from __future__ import annotations

import hashlib

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from domain.identity import service as identity
from domain.identity.service import SignInProblem
from domain.people.rules import InvalidEmail, normalise_email
from portal.auth import current_candidate, require_candidate, start_candidate_session
from web_common import page
from web_ratelimit import allow, rate_limited

PROBLEM_STATUS = {"expired": 410, "used": 409, "invalid": 400}
# Per address: enough for a typo and a retry, too few to flood someone's inbox.
LINKS_PER_ADDRESS_PER_HOUR = 5


def safe_next(target: str) -> str:
    """Same-site portal paths only: never an open redirect."""
    if target.startswith("/") and not target.startswith(("//", "/\\")) \
            and not target.startswith("/backoffice") and "\\" not in target:
        return target
    return "/account"


@get("/account/sign-in", name="portal.account.sign_in", include_in_schema=False)
async def sign_in_page(request: Request, next: FromQuery[str] = "") -> Template | Redirect:
    if await current_candidate(request) is not None:
        return Redirect(safe_next(next), status_code=303)
    return page(request, "portal/account/sign_in.html", form={"email": ""}, errors={},
                next=safe_next(next))


@post("/account/sign-in", name="portal.account.request_link", include_in_schema=False,
      guards=[rate_limited("magic-link", limit=10, window_seconds=60)])
async def request_link(request: Request) -> Template | Redirect:
    data = await request.form()
    raw_email, next_path = str(data.get("email", ""))[:320], safe_next(str(data.get("next", "")))
    try:
        email = normalise_email(raw_email)
    except InvalidEmail as exc:
        return page(request, "portal/account/sign_in.html", status_code=422,
                    form={"email": raw_email}, errors={"email": str(exc)}, next=next_path)
    address_key = "magic-address:" + hashlib.sha256(email.encode()).hexdigest()
    if await allow(request.app.state.redis, address_key, limit=LINKS_PER_ADDRESS_PER_HOUR,
                   window_seconds=3600):
        await identity.request_magic_link(email=email, next_path=next_path,
                                          clock=request.app.state.clock,
                                          queue=request.app.state.queue)
    # Over the per-address limit we answer exactly the same and send nothing more.
    request.session["sign_in_email"] = email
    return Redirect("/account/sign-in/check-email", status_code=303)


@get("/account/sign-in/check-email", name="portal.account.check_email",
     include_in_schema=False)
async def check_email(request: Request) -> Template | Redirect:
    email = (request.session or {}).get("sign_in_email")
    if not email:
        return Redirect("/account/sign-in", status_code=303)
    return page(request, "portal/account/check_email.html", email=email, expires_minutes=10)


def _problem(request: Request, problem: SignInProblem) -> Template:
    return page(request, "portal/account/link_problem.html",
                status_code=PROBLEM_STATUS[problem.kind], problem=problem.kind)


@get("/account/magic/{token:str}", name="portal.account.magic", include_in_schema=False)
async def magic_page(request: Request, token: FromPath[str],
                     next: FromQuery[str] = "") -> Template:
    """Mail scanners open links before people do: this page only shows a button."""
    try:
        await identity.check_magic_link(token, clock=request.app.state.clock)
    except SignInProblem as problem:
        return _problem(request, problem)
    return page(request, "portal/account/magic.html", token=token, next=safe_next(next))


@post("/account/magic/{token:str}", name="portal.account.redeem", include_in_schema=False,
      guards=[rate_limited("magic-redeem", limit=30, window_seconds=60)])
async def redeem(request: Request, token: FromPath[str]) -> Template | Redirect:
    next_path = safe_next(str((await request.form()).get("next", "")))
    try:
        person_id, epoch = await identity.redeem_magic_link(token,
                                                            clock=request.app.state.clock)
    except SignInProblem as problem:
        return _problem(request, problem)
    start_candidate_session(request, person_id, epoch)
    return Redirect(next_path, status_code=303)


@get("/account", name="portal.account.home", include_in_schema=False,
     guards=[require_candidate])
async def home(request: Request) -> Template:
    return page(request, "portal/account/home.html", candidate=await current_candidate(request))


@post("/account/sign-out", name="portal.account.sign_out", include_in_schema=False)
async def sign_out(request: Request) -> Redirect:
    request.clear_session()
    return Redirect("/", status_code=303)


@post("/account/sign-out-everywhere", name="portal.account.sign_out_everywhere",
      include_in_schema=False, guards=[require_candidate])
async def sign_out_everywhere(request: Request) -> Redirect:
    candidate = await current_candidate(request)
    assert candidate is not None  # the guard let us in
    await identity.end_all_sessions(candidate.person_id)
    request.clear_session()
    return Redirect("/account/sign-in?signed_out=everywhere", status_code=303)


ROUTES = [sign_in_page, request_link, check_email, magic_page, redeem, home, sign_out,
          sign_out_everywhere]
