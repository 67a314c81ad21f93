"""API tokens (INTEGRATIONS_MANAGE): the list, creating one (its plaintext is shown once,
on the page that answers the form, and never stored) and revoking one. Both changes are
audited with the admin and their IP (domain.integrations.tokens)."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backoffice.auth import require_staff
from backoffice.permissions import requires
from domain.accounts.permissions import Permission
from domain.errors import Conflict
from domain.integrations import tokens
from domain.integrations.rules import AREAS, DEFAULT_RATE_LIMIT, parse_token_form
from web_common import client_ip, page

CAN_MANAGE = [requires(Permission.INTEGRATIONS_MANAGE)]
_BASE = "/backoffice/integrations/tokens"
SCOPE_CHOICES = [(f"{area}:{kind}", f"{area.capitalize()}: {kind}")
                 for area in AREAS for kind in ("read", "write")]
NOTICES = {"revoked": "Token revoked: requests with it are refused from now on.",
           "already": "That token was revoked already."}


@get("/integrations/tokens", name="backoffice.api_tokens.index", guards=CAN_MANAGE,
     include_in_schema=False)
async def index(request: Request, notice: FromQuery[str] = "") -> Template:
    clock = request.app.state.clock
    rows = [{**row, "status": tokens.status_of(row, clock.now())}
            for row in await tokens.list_tokens()]
    return page(request, "backoffice/integrations/tokens/index.html", rows=rows,
                notice=NOTICES.get(notice, ""), current_staff=await require_staff(request))


async def _form(request: Request, form: dict, errors: dict, status: int = 200) -> Template:
    return page(request, "backoffice/integrations/tokens/form.html", status_code=status,
                form=form, errors=errors, scope_choices=SCOPE_CHOICES,
                current_staff=await require_staff(request))


@get("/integrations/tokens/new", name="backoffice.api_tokens.new", guards=CAN_MANAGE,
     include_in_schema=False)
async def new(request: Request) -> Template:
    return await _form(request, {"name": "", "scopes": [], "expiry_days": "90",
                                 "rate_limit": str(DEFAULT_RATE_LIMIT)}, {})


@post("/integrations/tokens/new", name="backoffice.api_tokens.create", guards=CAN_MANAGE,
      include_in_schema=False)
async def create(request: Request) -> Template:
    data = await request.form()
    form = {"name": str(data.get("name") or "")[:400],
            "scopes": [str(scope)[:40] for scope in data.getall("scopes", [])][:40],
            "expiry_days": str(data.get("expiry_days") or "")[:10],
            "rate_limit": str(data.get("rate_limit") or "")[:10]}
    draft, errors = parse_token_form(form["name"], form["scopes"], form["expiry_days"],
                                     form["rate_limit"])
    if errors:
        return await _form(request, form, errors, status=422)
    staff = await require_staff(request)
    created = await tokens.create(draft, staff_id=staff.id, actor=staff.email,
                                  ip=client_ip(request), clock=request.app.state.clock)
    response = page(request, "backoffice/integrations/tokens/created.html",
                    token=created.token, row=await tokens.get(created.id), current_staff=staff)
    # The only time the plaintext exists outside the caller: no cache may keep this page.
    response.headers["Cache-Control"] = "no-store"
    return response


@post("/integrations/tokens/{token_id:int}/revoke", name="backoffice.api_tokens.revoke",
      guards=CAN_MANAGE, include_in_schema=False)
async def revoke(request: Request, token_id: FromPath[int]) -> Redirect:
    staff = await require_staff(request)
    try:
        await tokens.revoke(token_id, actor=staff.email, ip=client_ip(request),
                            clock=request.app.state.clock)
    except Conflict:
        return Redirect(f"{_BASE}?notice=already", status_code=303)
    return Redirect(f"{_BASE}?notice=revoked", status_code=303)


ROUTES = [index, new, create, revoke]
