"""Candidate sign-in with a social or single-sign-on account (protocol in portal/oauth.py).

Starting is a POST carrying the CSRF token, so a cross-site page cannot start a sign-in in
someone's browser. The callback is a GET because providers redirect the browser back; it
is bound to this browser's session by `state`, and the flow it completes is used up first,
so a replayed callback finds nothing to complete.
"""

from __future__ import annotations

import logging
from datetime import datetime

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from domain.errors import Invalid
from domain.identity import service as identity_service
from domain.identity import social
from portal import oauth
from portal.auth import start_candidate_session
from portal.controllers.account import safe_next
from web_common import client_ip, page
from web_oidc import callback_refusal, pending_flow, stored_flow
from web_ratelimit import rate_limited

log = logging.getLogger("talentloop.security")

SESSION_KEY = "social_flow"
PROBLEM_STATUS = {"state": 400, "denied": 403, "provider_error": 502, "code": 400,
                  "token": 400, "unverified": 403, "unreachable": 503}


def _provider(request: Request, name: str) -> oauth.Provider:
    found = oauth.providers(request.app.state).get(name)
    if found is None:
        raise NotFoundException("There is no such sign-in option.")
    return found


def _redirect_uri(request: Request, name: str) -> str:
    return f"{request.app.state.settings.base_url}/account/sign-in/{name}/callback"


def _problem(request: Request, provider: oauth.Provider, kind: str, reason: str = ""
             ) -> Template:
    # A security event (QUALITY L4); %r keeps provider-sent text from forging log lines.
    log.warning("candidate social sign-in refused provider=%s kind=%s reason=%r peer=%s",
                provider.name, kind, reason, client_ip(request))
    return page(request, "portal/account/social_problem.html",
                status_code=PROBLEM_STATUS[kind], problem=kind, provider=provider.label)


@post("/account/sign-in/{provider:str}", name="portal.social.start", include_in_schema=False,
      guards=[rate_limited("social-start", limit=20, window_seconds=60)])
async def start(request: Request, provider: FromPath[str]) -> Template | Redirect:
    chosen = _provider(request, provider)
    next_path = safe_next(str((await request.form()).get("next", "")))
    flow = oauth.Flow()  # fresh random state, nonce and PKCE verifier
    try:
        with oauth.provider_errors():
            url = await chosen.authorization_url(flow, _redirect_uri(request, provider))
    except oauth.SocialProblem as problem:
        return _problem(request, chosen, problem.kind, problem.reason)
    request.session[SESSION_KEY] = stored_flow(flow, provider=provider, next=next_path)
    return Redirect(url, status_code=303)


async def _person_for(request: Request, chosen: oauth.Provider, flow: oauth.Flow, code: str,
                      now: datetime) -> int:
    """Exchange the code, check who it is, and link (or create) the person."""
    with oauth.provider_errors():
        found = await chosen.identity(code, flow, _redirect_uri(request, chosen.name),
                                      now.timestamp())
    try:
        return await social.link_or_create(
            provider=found.provider, issuer=found.issuer, subject=found.subject,
            email=found.email, email_verified=found.email_verified,
            full_name=found.full_name, now=now)
    except social.UnverifiedEmail as exc:
        raise oauth.SocialProblem("unverified") from exc
    except Invalid as exc:
        raise oauth.SocialProblem("provider_error", str(exc)) from exc


@get("/account/sign-in/{provider:str}/callback", name="portal.social.callback",
     include_in_schema=False)
async def callback(request: Request, provider: FromPath[str]) -> Template | Redirect:
    chosen = _provider(request, provider)
    query = request.query_params  # `state` is a reserved parameter name in Litestar
    state, code, error = (str(query.get(name) or "") for name in ("state", "code", "error"))
    session = request.session if isinstance(request.session, dict) else {}
    # Used up either way: a replayed callback finds nothing to complete.
    pending = pending_flow(session.pop(SESSION_KEY, None), state, provider=provider)
    refusal = callback_refusal(pending, code, error)
    if refusal is not None:
        return _problem(request, chosen, *refusal)
    assert pending is not None  # callback_refusal refuses a missing flow
    flow, stored = pending
    next_path = safe_next(str(stored.get("next", "")))
    now = request.app.state.clock.now()
    try:
        person_id = await _person_for(request, chosen, flow, code, now)
    except oauth.SocialProblem as problem:
        return _problem(request, chosen, problem.kind, problem.reason)
    epoch = await identity_service.begin_session(person_id, now=now)
    start_candidate_session(request, person_id, epoch)  # new session id: no fixation
    return Redirect(next_path, status_code=303)


ROUTES = [start, callback]
