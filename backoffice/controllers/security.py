"""The signed-in staff member's two-factor sign-in (TOTP, domain.accounts.totp): enrol by
scanning a QR code and confirming a code; turn it off with a current code; recovery codes
(domain.accounts.recovery_codes), made at enrolment and again on request with a current
code.

The secret offered for enrolment waits in the server-side session, encrypted like the
stored one, so reloading the page shows the same QR code until it is confirmed. New
recovery codes wait there too (encrypted) for the one page view that shows them, after the
redirect; the page is never cached (Cache-Control: no-store).
"""

from __future__ import annotations

import json
from urllib.parse import quote

import segno
from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from markupsafe import Markup

from backoffice.auth import require_staff
from backoffice.permissions import signed_in
from backoffice.totp_guard import ENROL_KEY, SECURITY_PAGE
from domain.accounts import recovery_codes, sso, totp
from domain.accounts.sso_rules import needs_mfa
from domain.errors import Invalid
from web_common import client_ip, page

SIGNED_IN = [signed_in]
OFFER_KEY = "totp_offer"
CODES_KEY = "recovery_codes_once"
NOTICES = {"enabled": "Two-factor sign-in is on: you'll be asked for a code after your "
                      "password.",
           "disabled": "Two-factor sign-in is off.",
           "required": "Your role requires two-factor sign-in. Set it up to continue.",
           "codes": "New recovery codes are ready, and the old ones no longer work.",
           "codes_low": "You have few recovery codes left. Generate new ones below."}


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


def _keep_codes(request: Request, codes: list[str]) -> None:
    """Hold new recovery codes (encrypted) for the next view of the security page only."""
    if codes:
        request.session[CODES_KEY] = totp.encrypt(json.dumps(codes))


def _take_codes(request: Request) -> list[str]:
    stored = request.session.pop(CODES_KEY, None)
    plain = totp.decrypt(stored) if isinstance(stored, str) else None
    try:
        codes = json.loads(plain) if plain else []
    except ValueError:
        return []
    return [str(code) for code in codes] if isinstance(codes, list) else []


def _download_href(codes: list[str], email: str) -> str:
    text = (f"talentloop recovery codes for {email}\n"
            "Each code signs you in once instead of an authenticator code.\n\n"
            + "\n".join(codes) + "\n")
    return "data:text/plain;charset=utf-8," + quote(text)


async def _page(request: Request, *, status: int = 200, errors: dict | None = None,
                regen_errors: dict | None = None, notice: str = "",
                codes: list[str] | None = None) -> Template:
    staff = await require_staff(request)
    enabled = await totp.enabled(staff.id)
    context: dict = {}
    if not enabled:
        secret = _offer(request)
        uri = totp.provisioning_uri(secret, staff.email,
                                    request.app.state.settings.company_name)
        context = {"secret": secret, "otpauth_uri": uri, "qr": _qr_svg(uri)}
    else:
        context = {"codes_left": await recovery_codes.remaining(staff.id),
                   "codes_low": recovery_codes.LOW}
    if codes:
        context |= {"new_codes": codes, "codes_href": _download_href(codes, staff.email)}
    response = page(request, "backoffice/account/security.html", status_code=status,
                    enabled=enabled, errors=errors or {}, regen_errors=regen_errors or {},
                    notice=notice, current_staff=staff, **context)
    # It may show the key being enrolled or new recovery codes: no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


@get("/account/security", name="backoffice.account.security", guards=SIGNED_IN,
     include_in_schema=False)
async def security(request: Request, notice: FromQuery[str] = "") -> Template:
    if request.session.get(ENROL_KEY):
        staff = await require_staff(request)
        if await totp.enabled(staff.id):  # enrolled meanwhile, e.g. in another session
            request.session.pop(ENROL_KEY, None)
        else:
            notice = "required"
    return await _page(request, notice=NOTICES.get(notice, ""), codes=_take_codes(request))


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
        codes = await totp.enrol(staff.id, secret=secret, code=code, ip=client_ip(request),
                                 clock=request.app.state.clock)
    except Invalid as exc:
        return await _page(request, status=422, errors=exc.errors)
    _keep_codes(request, codes)
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
    request.session.pop(CODES_KEY, None)
    return Redirect(f"{SECURITY_PAGE}?notice=disabled", status_code=303)


@post("/account/security/recovery-codes", name="backoffice.account.recovery_codes",
      guards=SIGNED_IN, include_in_schema=False)
async def regenerate_codes(request: Request) -> Template | Redirect:
    """New recovery codes instead of the old ones, given a current authenticator code."""
    staff = await require_staff(request)
    clock = request.app.state.clock
    code = str((await request.form()).get("regen_code", ""))
    if not await totp.verify(staff.id, code, clock=clock):
        return await _page(request, status=422, regen_errors={"regen_code": totp.WRONG_CODE})
    _keep_codes(request, await recovery_codes.replace(
        staff.id, actor=staff.email, ip=client_ip(request), clock=clock))
    return Redirect(f"{SECURITY_PAGE}?notice=codes", status_code=303)


ROUTES = [security, enrol, disable, regenerate_codes]
