"""Staff single sign-on with the OIDC provider named by STAFF_OIDC_* (protocol in web_oidc;
who may sign in as whom in domain.accounts.sso).

Starting is a GET, a link on the sign-in page: it only stores a fresh state, nonce and
PKCE verifier in this browser's session and redirects to the provider, so a cross-site
page that starts one gains nothing — the callback completes only the flow of the session
it arrives in, and the flow is used up first, so a replayed callback finds nothing.
Every refusal gets an explanatory page and a security event in the audit log.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from backoffice.auth import start_session
from backoffice.forms import safe_next
from domain.accounts import sso
from web_common import client_ip, page
from web_oidc import (
    Flow,
    OidcProvider,
    SocialProblem,
    callback_refusal,
    pending_flow,
    provider_errors,
    stored_flow,
)

log = logging.getLogger("talentloop.security")

SESSION_KEY = "staff_sso_flow"
PROBLEM_STATUS = {"state": 400, "denied": 403, "provider_error": 502, "code": 400,
                  "token": 400, "unreachable": 503, "unverified": 403, "domain": 403,
                  "unknown": 403, "disabled": 403, "conflict": 403, "mfa": 403}


def staff_provider(state: Any) -> OidcProvider | None:
    """The configured staff IdP, built once per app so its discovery and key caches last."""
    settings = state.settings
    if not settings.staff_oidc_issuer:
        return None
    if state.get("staff_sso_provider") is None:
        state.staff_sso_provider = OidcProvider(
            issuer=settings.staff_oidc_issuer, client_id=settings.staff_oidc_client_id,
            client_secret=settings.staff_oidc_client_secret, label=settings.staff_oidc_name)
    return state.staff_sso_provider


def _provider(request: Request) -> OidcProvider:
    found = staff_provider(request.app.state)
    if found is None:
        raise NotFoundException("Single sign-on is not set up here.")
    return found


def _redirect_uri(request: Request) -> str:
    return f"{request.app.state.settings.base_url}/backoffice/sso/callback"


def problem_page(request: Request, kind: str, label: str) -> Template:
    return page(request, "backoffice/auth/sso_problem.html",
                status_code=PROBLEM_STATUS.get(kind, 400), problem=kind, provider=label,
                current_staff=None)


async def _refuse(request: Request, provider: OidcProvider, kind: str,
                  reason: str = "") -> Template:
    # A security event (QUALITY L4); %r keeps provider-sent text from forging log lines.
    log.warning("staff sso refused kind=%s reason=%r peer=%s", kind, reason,
                client_ip(request))
    await sso.record_refusal(kind, reason, issuer=provider.issuer, ip=client_ip(request),
                             clock=request.app.state.clock)
    return problem_page(request, kind, provider.label)


@get("/sso/start", name="backoffice.sso.start", include_in_schema=False)
async def start(request: Request, next: FromQuery[str] = "") -> Template | Redirect:
    provider = _provider(request)
    flow = Flow()  # fresh random state, nonce and PKCE verifier
    try:
        with provider_errors():
            url = await provider.authorization_url(flow, _redirect_uri(request))
    except SocialProblem as problem:
        return await _refuse(request, provider, problem.kind, problem.reason)
    request.session[SESSION_KEY] = stored_flow(flow, next=safe_next(next))
    return Redirect(url, status_code=303)


@get("/sso/callback", name="backoffice.sso.callback", include_in_schema=False)
async def callback(request: Request) -> Template | Redirect:
    provider = _provider(request)
    query = request.query_params  # `state` is a reserved parameter name in Litestar
    state, code, error = (str(query.get(name) or "") for name in ("state", "code", "error"))
    session = request.session if isinstance(request.session, dict) else {}
    # Used up either way: a replayed callback finds nothing to complete.
    pending = pending_flow(session.pop(SESSION_KEY, None), state)
    refusal = callback_refusal(pending, code, error)
    if refusal is not None:
        return await _refuse(request, provider, *refusal)
    assert pending is not None  # callback_refusal refuses a missing flow
    flow, stored = pending
    clock = request.app.state.clock
    try:
        with provider_errors():
            found = await provider.identity(code, flow, _redirect_uri(request),
                                            clock.now().timestamp())
    except SocialProblem as problem:
        return await _refuse(request, provider, problem.kind, problem.reason)
    identity = sso.SsoIdentity(found.issuer, found.subject, found.email, found.email_verified,
                               found.full_name, dict(found.claims))
    try:
        staff = await sso.sign_in(identity, ip=client_ip(request), clock=clock)
    except sso.SsoRefused as refused:  # audited by the domain
        log.warning("staff sso refused kind=%s peer=%s", refused.kind, client_ip(request))
        return problem_page(request, refused.kind, provider.label)
    await start_session(request, staff)  # new session id: no fixation
    return Redirect(safe_next(str(stored.get("next", ""))), status_code=303)


ROUTES = [start, callback]
