"""Staff sign-in: the sign-in page (password form and/or "Sign in with <IdP>"), the TOTP
second step, and sign-out.

Local (password) sign-in follows the SSO policy: when an admin turns it off, the form is
hidden and POSTs are refused. Recovery: if single sign-on is then no longer configured in
the environment (STAFF_OIDC_* removed), admins — and only admins — may sign in with their
password again, so an installation can never lock everyone out.

An account with TOTP enrolled is half signed in after its password: the session holds
who and when (no staff id, so nothing else treats it as signed in) for five minutes and
five codes at most; a recovery code (domain.accounts.recovery_codes) may stand in for
the authenticator's code and counts toward the same five. A role that requires MFA
without TOTP enrolled signs in, but every page sends it to the enrolment page until it
has one (backoffice.totp_guard).
"""

from __future__ import annotations

import time

from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from backoffice.auth import current_staff, end_session, start_session
from backoffice.controllers.sso import staff_provider
from backoffice.forms import LoginForm, safe_next
from backoffice.totp_guard import ENROL_KEY
from domain.accounts import recovery_codes, sso, totp
from domain.accounts import service as accounts
from domain.accounts.permissions import Role
from domain.accounts.service import Staff
from domain.accounts.sso_rules import SsoPolicy, needs_mfa
from domain.audit import service as audit
from web_common import client_ip, page
from web_ratelimit import rate_limited
from web_sessions import SESSION_ENDED

PENDING_KEY = "staff_totp_pending"
PENDING_SECONDS = 300
MAX_CODE_TRIES = 5
LOCAL_OFF = ("Signing in with a password is turned off here: use single sign-on.")
RECOVERY_ONLY = ("Signing in with a password is turned off. While single sign-on is not "
                 "configured, only admins can sign in with a password to fix it.")
NOTICES = {
    "ended": "Your session has ended: you were signed out, it timed out, or your access "
             "changed. Sign in again to continue.",
    "welcome": "Your password is set. Sign in with your email address and new password.",
    "code_expired": "That sign-in took too long or had too many wrong codes. "
                    "Sign in again.",
}


def _local_login(request: Request, policy: SsoPolicy) -> str:
    """"on", "recovery" (admins only, SSO unconfigured) or "off"."""
    if policy.local_login_enabled:
        return "on"
    return "off" if staff_provider(request.app.state) is not None else "recovery"


async def _login_page(request: Request, *, status: int = 200, email: str = "",
                      errors: dict | None = None, next_path: str = "/backoffice/",
                      notice: str = "") -> Template:
    provider = staff_provider(request.app.state)
    mode = _local_login(request, await sso.load_policy())
    return page(request, "backoffice/auth/login.html", status_code=status,
                form={"email": email}, errors=errors or {}, next=next_path,
                current_staff=None, notice=notice, local_login=mode,
                sso_label=provider.label if provider else "",
                recovery_note=RECOVERY_ONLY if mode == "recovery" else "")


@get("/login", name="backoffice.auth.login", include_in_schema=False)
async def login_page(request: Request, next: FromQuery[str] = "", ended: FromQuery[str] = "",
                     welcome: FromQuery[str] = "", code: FromQuery[str] = ""
                     ) -> Template | Redirect:
    if await current_staff(request) is not None:
        return Redirect(safe_next(next), status_code=303)
    notice = NOTICES["welcome"] if welcome else NOTICES["code_expired"] if code else (
        NOTICES["ended"] if ended or request.scope.get(SESSION_ENDED) else "")
    return await _login_page(request, next_path=safe_next(next), notice=notice)


async def _refuse_local(request: Request, form: LoginForm, message: str) -> Template:
    await audit.record(action="staff.login_failed", at=request.app.state.clock.now(),
                       actor=form.email[:320], ip=client_ip(request),
                       detail={"reason": "local sign-in turned off"})
    return await _login_page(request, status=403, email=form.email,
                             errors={"__all__": message}, next_path=form.next)


@post("/login", name="backoffice.auth.submit", include_in_schema=False,
      guards=[rate_limited("staff-login", limit=10, window_seconds=60)])
async def login_submit(request: Request) -> Template | Redirect:
    form = LoginForm.from_form(await request.form())
    policy = await sso.load_policy()
    mode = _local_login(request, policy)
    if mode == "off":
        return await _refuse_local(request, form, LOCAL_OFF)
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
        return await _login_page(request, status=422, email=form.email, errors=form.errors,
                                 next_path=form.next)
    if mode == "recovery" and Role.ADMIN.value not in staff.roles:
        return await _refuse_local(request, form, RECOVERY_ONLY)
    if staff.totp_enabled:
        request.session[PENDING_KEY] = {"staff_id": staff.id, "at": time.time(), "tries": 0,
                                        "next": form.next}
        return Redirect("/backoffice/login/code", status_code=303)
    return await _signed_in(request, staff, policy, form.next)


async def _signed_in(request: Request, staff: Staff, policy: SsoPolicy,
                     next_path: str) -> Redirect:
    if needs_mfa(policy, staff.roles) and not staff.totp_enabled:
        await start_session(request, staff, **{ENROL_KEY: True})
        return Redirect("/backoffice/account/security?notice=required", status_code=303)
    await start_session(request, staff)
    return Redirect(next_path, status_code=303)


def _pending(request: Request) -> dict | None:
    session = request.scope.get("session") or {}
    raw = session.get(PENDING_KEY) if isinstance(session, dict) else None
    if not isinstance(raw, dict) or not isinstance(raw.get("staff_id"), int):
        return None
    if not 0 <= time.time() - float(raw.get("at", 0)) < PENDING_SECONDS \
            or int(raw.get("tries", 0)) >= MAX_CODE_TRIES:
        return None
    return raw


def _code_page(request: Request, *, status: int = 200, error: str = "") -> Template:
    return page(request, "backoffice/auth/code.html", status_code=status,
                errors={"code": error} if error else {}, current_staff=None)


@get("/login/code", name="backoffice.auth.code", include_in_schema=False)
async def code_page(request: Request) -> Template | Redirect:
    if _pending(request) is None:
        return Redirect("/backoffice/login", status_code=303)
    return _code_page(request)


@post("/login/code", name="backoffice.auth.code_submit", include_in_schema=False,
      guards=[rate_limited("staff-login-code", limit=10, window_seconds=60)])
async def code_submit(request: Request) -> Template | Redirect:
    pending = _pending(request)
    if pending is None:
        request.session.pop(PENDING_KEY, None)
        return Redirect("/backoffice/login?code=expired", status_code=303)
    clock, ip = request.app.state.clock, client_ip(request)
    code = str((await request.form()).get("code", ""))[:100]
    staff = await accounts.get_active(pending["staff_id"])
    recovery = recovery_codes.looks_like_one(code)
    left: int | None = None
    if staff is not None and recovery:
        left = await recovery_codes.use(staff.id, code, actor=staff.email, ip=ip, clock=clock)
    if staff is None or (left is None if recovery
                         else not await totp.verify(staff.id, code, clock=clock)):
        pending["tries"] = int(pending.get("tries", 0)) + 1
        request.session[PENDING_KEY] = pending
        reason = "wrong recovery code" if recovery else "wrong TOTP code"
        await audit.record(action="staff.login_failed", at=clock.now(),
                           actor=staff.email if staff else "", ip=ip,
                           detail={"reason": reason, "tries": pending["tries"]})
        if pending["tries"] >= MAX_CODE_TRIES:
            request.session.pop(PENDING_KEY, None)
            return Redirect("/backoffice/login?code=expired", status_code=303)
        return _code_page(request, status=422, error=totp.WRONG_CODE)
    await accounts.record_login(staff.id, staff.email, ip=ip, clock=clock,
                                method="password+recovery_code" if recovery
                                else "password+totp")
    await start_session(request, staff)
    if left is not None and left <= recovery_codes.LOW:
        # Running out: say so (the security page, where new ones are made).
        return Redirect("/backoffice/account/security?notice=codes_low", status_code=303)
    return Redirect(safe_next(str(pending.get("next", ""))), status_code=303)


@post("/logout", name="backoffice.auth.logout", include_in_schema=False)
async def logout(request: Request) -> Redirect:
    await end_session(request)
    return Redirect("/backoffice/login", status_code=303)

ROUTES = [login_page, login_submit, code_page, code_submit, logout]
