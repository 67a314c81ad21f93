"""The single sign-on policy page (SSO_MANAGE): local login on/off, just-in-time
provisioning, allowed domains, group → role mapping and the roles that need MFA.
Saving is audited; turning local login off is refused unless SSO is configured and the
admin saving it has signed in with it (domain.accounts.sso.save_policy)."""

from __future__ import annotations

import json

from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from backoffice.auth import require_staff
from backoffice.controllers.sso import staff_provider
from backoffice.permissions import requires
from domain.accounts import sso
from domain.accounts.admin import Actor
from domain.accounts.permissions import Permission
from domain.accounts.rules import ROLE_LABELS
from domain.accounts.sso_rules import SsoPolicy, parse_policy
from domain.errors import Invalid
from web_common import client_ip, page

CAN_MANAGE = [requires(Permission.SSO_MANAGE)]
ROLE_CHOICES = list(ROLE_LABELS.items())


def _form(policy: SsoPolicy) -> dict:
    return {"local_login_enabled": policy.local_login_enabled,
            "jit_provisioning": policy.jit_provisioning, "default_role": policy.default_role,
            "allowed_domains": "\n".join(policy.allowed_domains),
            "groups_claim": policy.groups_claim,
            "group_roles": json.dumps({k: list(v) for k, v in policy.group_roles.items()},
                                      indent=2) if policy.group_roles else "",
            "mfa_required_roles": list(policy.mfa_required_roles)}


async def _page(request: Request, form: dict, errors: dict, *, status: int = 200,
                notice: str = "") -> Template:
    staff = await require_staff(request)
    provider = staff_provider(request.app.state)
    return page(request, "backoffice/sso/settings.html", status_code=status, form=form,
                errors=errors, role_choices=ROLE_CHOICES, notice=notice,
                provider=provider.label if provider else "",
                issuer=provider.issuer if provider else "",
                linked=await sso.has_identity(staff.id), current_staff=staff)


@get("/sso", name="backoffice.sso.settings", guards=CAN_MANAGE, include_in_schema=False)
async def settings_page(request: Request, notice: FromQuery[str] = "") -> Template:
    return await _page(request, _form(await sso.load_policy()), {},
                       notice="Single sign-on settings saved." if notice == "saved" else "")


@post("/sso", name="backoffice.sso.save", guards=CAN_MANAGE, include_in_schema=False)
async def save(request: Request) -> Template | Redirect:
    data = await request.form()
    raw = {key: str(data.get(key) or "")[:20_000] for key in (
        "local_login_enabled", "jit_provisioning", "default_role", "allowed_domains",
        "groups_claim", "group_roles")}
    mfa_roles = [str(role)[:40] for role in data.getall("mfa_required_roles", [])][:20]
    form = {**raw, "local_login_enabled": raw["local_login_enabled"] == "on",
            "jit_provisioning": raw["jit_provisioning"] == "on",
            "mfa_required_roles": mfa_roles}
    staff = await require_staff(request)
    try:
        policy = parse_policy(raw, mfa_roles)
        await sso.save_policy(policy, actor=Actor(staff.id, staff.email, client_ip(request)),
                              clock=request.app.state.clock,
                              sso_configured=staff_provider(request.app.state) is not None)
    except Invalid as exc:
        return await _page(request, form, exc.errors, status=422)
    return Redirect("/backoffice/sso?notice=saved", status_code=303)


ROUTES = [settings_page, save]
