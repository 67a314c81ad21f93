from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from backoffice.auth import current_staff, end_session, start_session
from backoffice.forms import LoginForm, safe_next
from domain.accounts import service as accounts
from web_common import client_ip, page
from web_ratelimit import rate_limited
from web_sessions import SESSION_ENDED

NOTICES = {
    "ended": "Your session has ended: you were signed out, it timed out, or your access "
             "changed. Sign in again to continue.",
    "welcome": "Your password is set. Sign in with your email address and new password.",
}


@get("/login", name="backoffice.auth.login", include_in_schema=False)
async def login_page(request: Request, next: FromQuery[str] = "", ended: FromQuery[str] = "",
                     welcome: FromQuery[str] = "") -> Template | Redirect:
    if await current_staff(request) is not None:
        return Redirect(safe_next(next), status_code=303)
    notice = NOTICES["welcome"] if welcome else (
        NOTICES["ended"] if ended or request.scope.get(SESSION_ENDED) else "")
    return page(request, "backoffice/auth/login.html", form={"email": ""}, errors={},
                next=safe_next(next), current_staff=None, notice=notice)


@post("/login", name="backoffice.auth.submit", include_in_schema=False,
      guards=[rate_limited("staff-login", limit=10, window_seconds=60)])
async def login_submit(request: Request) -> Template | Redirect:
    form = LoginForm.from_form(await request.form())
    staff = None
    if form.validate():
        staff = await accounts.authenticate(
            email=form.email, password=form.password, ip=client_ip(request),
            clock=request.app.state.clock,
        )
        if staff is None:
            # One message for unknown address and wrong password: no account enumeration.
            form.errors["__all__"] = "That email and password do not match an active account."
    if staff is None:
        return page(request, "backoffice/auth/login.html", status_code=422,
                    form={"email": form.email}, errors=form.errors, next=form.next,
                    current_staff=None)
    await start_session(request, staff)
    return Redirect(form.next, status_code=303)


@post("/logout", name="backoffice.auth.logout", include_in_schema=False)
async def logout(request: Request) -> Redirect:
    await end_session(request)
    return Redirect("/backoffice/login", status_code=303)

ROUTES = [login_page, login_submit, logout]
