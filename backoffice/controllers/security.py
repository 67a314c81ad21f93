"""The signed-in staff member's two-factor sign-in (TOTP, domain.accounts.totp): enrol by
scanning a QR code and confirming a code; turn it off with a current code.

The secret offered for enrolment waits in the server-side session, encrypted like the
stored one, so reloading the page shows the same QR code until it is confirmed.
"""

from __future__ import annotations

import segno
from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from markupsafe import Markup

from backoffice.auth import require_staff
from backoffice.permissions import signed_in
from backoffice.totp_guard import ENROL_KEY, SECURITY_PAGE
from domain.accounts import sso, totp
from domain.accounts.sso_rules import needs_mfa
from domain.errors import Invalid
from web_common import client_ip, page

SIGNED_IN = [signed_in]
OFFER_KEY = "totp_offer"
NOTICES = {"enabled": "Two-factor sign-in is on: you'll be asked for a code after your "
                      "password.",
           "disabled": "Two-factor sign-in is off.",
           "required": "Your role requires two-factor sign-in. Set it up to continue."}


def _offer(request: Request) -> str:
    """The secret offered for enrolment (kept in the session until confirmed)."""
    stored = request.session.get(OFFER_KEY)
    secret = totp.decrypt(stored) if isinstance(stored, str) else None
    if secret is None:
        secret = totp.new_secret()
        request.session[OFFER_KEY] = totp.encrypt(secret)
    return secret


def _qr_svg(uri: str) -> Markup:
    svg = segno.make(uri, error="m", micro=False).svg_inline(scale=4, title="QR code")
    return Markup(svg)  # noqa: S704 - segno's own SVG, built from our URI; no user HTML


async def _page(request: Request, *, status: int = 200, errors: dict | None = None,
                notice: str = "") -> Template:
    staff = await require_staff(request)
    enabled = await totp.enabled(staff.id)
    context: dict = {}
    if not enabled:
        secret = _offer(request)
        uri = totp.provisioning_uri(secret, staff.email,
                                    request.app.state.settings.company_name)
        context = {"secret": secret, "otpauth_uri": uri, "qr": _qr_svg(uri)}
    return page(request, "backoffice/account/security.html", status_code=status,
                enabled=enabled, errors=errors or {}, notice=notice, current_staff=staff,
                **context)


@get("/account/security", name="backoffice.account.security", guards=SIGNED_IN,
     include_in_schema=False)
async def security(request: Request, notice: FromQuery[str] = "") -> Template:
    if request.session.get(ENROL_KEY):
        staff = await require_staff(request)
        if await totp.enabled(staff.id):  # enrolled meanwhile, e.g. in another session
            request.session.pop(ENROL_KEY, None)
        else:
            notice = "required"
    return await _page(request, notice=NOTICES.get(notice, ""))


@post("/account/security/totp/enrol", name="backoffice.account.totp_enrol",
      guards=SIGNED_IN, include_in_schema=False)
async def enrol(request: Request) -> Template | Redirect:
    staff = await require_staff(request)
    stored = request.session.get(OFFER_KEY)
    secret = totp.decrypt(stored) if isinstance(stored, str) else None
    code = str((await request.form()).get("code", ""))
    try:
        if secret is None:
            raise Invalid(errors={"code": "That setup expired. Scan the new code below."})
        await totp.enrol(staff.id, secret=secret, code=code, ip=client_ip(request),
                         clock=request.app.state.clock)
    except Invalid as exc:
        return await _page(request, status=422, errors=exc.errors)
    request.session.pop(OFFER_KEY, None)
    request.session.pop(ENROL_KEY, None)
    return Redirect(f"{SECURITY_PAGE}?notice=enabled", status_code=303)


@post("/account/security/totp/disable", name="backoffice.account.totp_disable",
      guards=SIGNED_IN, include_in_schema=False)
async def disable(request: Request) -> Template | Redirect:
    staff = await require_staff(request)
    code = str((await request.form()).get("code", ""))
    try:
        if needs_mfa(await sso.load_policy(), staff.roles):
            raise Invalid(errors={"code": "Your role requires two-factor sign-in, so it "
                                          "stays on."})
        await totp.disable(staff.id, code=code, ip=client_ip(request),
                           clock=request.app.state.clock)
    except Invalid as exc:
        return await _page(request, status=422, errors=exc.errors)
    return Redirect(f"{SECURITY_PAGE}?notice=disabled", status_code=303)


ROUTES = [security, enrol, disable]
