"""Staff whose role requires MFA but who signed in with a password and no TOTP enrolled:
signed in, yet every back-office page sends them to enrol first (the session carries
ENROL_KEY until they confirm a code; see backoffice.controllers.auth)."""

from __future__ import annotations

from litestar import Request
from litestar.response import Redirect

ENROL_KEY = "must_enrol_totp"
SECURITY_PAGE = "/backoffice/account/security"
# What such a session may still reach: the enrolment itself and signing out.
ALLOWED = (SECURITY_PAGE, "/backoffice/logout", "/backoffice/login")


async def enrolment_guard(request: Request) -> Redirect | None:
    session = request.scope.get("session") or {}
    if not isinstance(session, dict) or not session.get(ENROL_KEY):
        return None
    if request.url.path.startswith(ALLOWED):
        return None
    return Redirect(f"{SECURITY_PAGE}?notice=required", status_code=303)
