"""Unsubscribe that mail providers trust (RFC 8058) at /u/{token}.

Providers POST `List-Unsubscribe=One-Click` with no cookies, so that POST is the one
route exempt from CSRF (asgi.CSRF_EXEMPT). It answers 200 with a tiny page, never a
redirect, and is idempotent. A GET, which mail scanners make too, only shows a page whose
button is an ordinary CSRF-protected form posting to /u/{token}/confirm.
"""

from __future__ import annotations

from litestar import Request, get, post
from litestar.middleware.csrf import generate_csrf_token
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.utils.scope.state import ScopeState

from domain.preferences import emails as links
from domain.preferences.emails import LinkProblem
from web_common import page
from web_ratelimit import rate_limited

PROBLEM_STATUS = {"expired": 410, "invalid": 400}
# Both ways of unsubscribing from an email record the same method: the link did it.
METHOD = "one_click_unsubscribe"


def _problem(request: Request, problem: LinkProblem) -> Template:
    return page(request, "portal/unsubscribe/problem.html",
                status_code=PROBLEM_STATUS.get(problem.kind, 400), problem=problem.kind)


HANDLERS = {LinkProblem: _problem}


def _issue_csrf_token(request: Request) -> str | None:
    """The CSRF middleware skips an exempt path for every method, so this page hands out
    the form token itself the way the middleware would: reuse the cookie's token, or mint
    one and return it for the cookie."""
    config = request.app.csrf_config
    assert config is not None  # asgi.create_app always configures CSRF
    existing = request.cookies.get(config.cookie_name)
    token = existing or generate_csrf_token(secret=config.secret)
    ScopeState.from_scope(request.scope).csrf_token = token
    return None if existing else token


@get("/u/{token:str}", name="portal.unsubscribe.show", include_in_schema=False,
     exception_handlers=HANDLERS)
async def show(request: Request, token: FromPath[str]) -> Template:
    """Unsubscribes nobody: it names the list and offers the button."""
    preview = await links.unsubscribe_preview(token)
    new_csrf = _issue_csrf_token(request)
    response = page(request, "portal/unsubscribe/show.html", token=token,
                    preferences_url=links.preferences_url(preview["person_id"]), **preview)
    response.headers["cache-control"] = "no-store"
    if new_csrf:
        config = request.app.csrf_config
        assert config is not None
        response.set_cookie(key=config.cookie_name, value=new_csrf, path=config.cookie_path,
                            secure=config.cookie_secure, httponly=config.cookie_httponly,
                            samesite=config.cookie_samesite, domain=config.cookie_domain)
    return response


@post("/u/{token:str}", name="portal.unsubscribe.one_click", status_code=200,
      include_in_schema=False, exception_handlers=HANDLERS)
async def one_click(request: Request, token: FromPath[str]) -> Template:
    """RFC 8058 §3.2: whatever the body's encoding, the POST itself is the request."""
    result = await links.unsubscribe(token, method=METHOD, clock=request.app.state.clock)
    return page(request, "portal/unsubscribe/done.html", status_code=200, **result)


@post("/u/{token:str}/confirm", name="portal.unsubscribe.confirm", include_in_schema=False,
      exception_handlers=HANDLERS,
      guards=[rate_limited("unsubscribe", limit=30, window_seconds=60)])
async def confirm(request: Request, token: FromPath[str]) -> Redirect:
    await links.unsubscribe(token, method=METHOD, clock=request.app.state.clock)
    return Redirect(f"/u/{token}", status_code=303)


ROUTES = [show, one_click, confirm]
