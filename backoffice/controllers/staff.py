"""Staff administration (STAFF_MANAGE): the list, inviting someone, changing roles,
disabling and re-enabling accounts, resetting a lost second factor and unlinking single
sign-on identities. Every change is audited with the admin's IP and the
reason they give (domain.accounts.admin)."""

from __future__ import annotations

import functools

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backoffice.auth import require_staff
from backoffice.permissions import requires
from domain.accounts import admin, queries
from domain.accounts.permissions import Permission
from domain.accounts.rules import ROLE_LABELS, parse_invite, parse_reason, parse_roles
from domain.errors import Conflict, Invalid
from web_common import client_ip, page

CAN_MANAGE = [requires(Permission.STAFF_MANAGE)]
_BASE = "/backoffice/staff"
ROLE_CHOICES = list(ROLE_LABELS.items())
NOTICES = {
    "invited": "Invitation sent: they choose a password through the emailed link (72 hours).",
    "resent": "A new invitation email is on its way.",
    "roles": "Roles saved.",
    "roles_ended": "Roles saved. A role was taken away, so their open sessions have ended.",
    "disabled": "Account disabled: it cannot sign in, and its open sessions have ended.",
    "enabled": "Account enabled again. They sign in with their existing password.",
    "totp_reset": "Two-factor sign-in reset, and their open sessions have ended. They sign in "
                  "with their password alone, or enrol again if a role of theirs requires it.",
    "unlinked": "Identity unlinked, and their open sessions have ended. Signing in with it "
                "again follows the usual linking rules.",
}


async def _actor(request: Request) -> admin.Actor:
    staff = await require_staff(request)
    return admin.Actor(staff.id, staff.email, client_ip(request))


@get("/staff", name="backoffice.staff.index", guards=CAN_MANAGE, include_in_schema=False)
async def index(request: Request, after: FromQuery[str] = "",
                notice: FromQuery[str] = "") -> Template:
    found = await queries.staff_page(after=after[:320])
    next_url = f"{_BASE}?after={found.next_after}" if found.next_after else None
    return page(request, "backoffice/staff/index.html", rows=found.rows, next_url=next_url,
                first_url=_BASE if after else None, role_labels=ROLE_LABELS,
                notice=NOTICES.get(notice, ""), current_staff=await require_staff(request))


async def _invite_form(request: Request, form: dict, errors: dict,
                       status: int = 200) -> Template:
    return page(request, "backoffice/staff/invite.html", status_code=status, form=form,
                errors=errors, role_choices=ROLE_CHOICES,
                current_staff=await require_staff(request))


@get("/staff/invite", name="backoffice.staff.invite", guards=CAN_MANAGE,
     include_in_schema=False)
async def invite_form(request: Request) -> Template:
    return await _invite_form(request, {"email": "", "full_name": "", "roles": []}, {})


@post("/staff/invite", name="backoffice.staff.invite_submit", guards=CAN_MANAGE,
      include_in_schema=False)
async def invite(request: Request) -> Template | Redirect:
    data = await request.form()
    form = {"email": str(data.get("email") or "")[:400],
            "full_name": str(data.get("full_name") or "")[:400],
            "roles": [str(role)[:40] for role in data.getall("roles", [])][:20]}
    draft, errors = parse_invite(form["email"], form["full_name"], form["roles"])
    try:
        if errors:
            raise Invalid(errors=errors)
        staff_id = await admin.invite(draft, actor=await _actor(request),
                                      clock=request.app.state.clock,
                                      queue=request.app.state.queue)
    except Invalid as exc:
        return await _invite_form(request, form, exc.errors, status=422)
    return Redirect(f"{_BASE}/{staff_id}?notice=invited", status_code=303)


async def _detail(request: Request, staff_id: int, *, errors: dict | None = None,
                  form: dict | None = None, status: int = 200, notice: str = "") -> Template:
    member = await queries.staff_member(staff_id)
    me = await require_staff(request)
    errors = errors or {}
    return page(request, "backoffice/staff/detail.html", status_code=status, member=member,
                role_choices=ROLE_CHOICES, role_labels=ROLE_LABELS, errors=errors,
                role_errors={k: v for k, v in errors.items() if k in ("roles", "reason")},
                state_errors={k: v for k, v in errors.items() if k == "state_reason"},
                mfa_errors={k: v for k, v in errors.items() if k == "mfa_reason"},
                identities=await queries.identities(staff_id),
                form={"roles": list(member["roles"] or ()), "reason": "", "state_reason": "",
                      **(form or {})},
                history=await queries.recent_changes(staff_id), is_me=me.id == staff_id,
                notice=notice, current_staff=me)


@get("/staff/{staff_id:int}", name="backoffice.staff.detail", guards=CAN_MANAGE,
     include_in_schema=False)
async def detail(request: Request, staff_id: FromPath[int],
                 notice: FromQuery[str] = "") -> Template:
    return await _detail(request, staff_id, notice=NOTICES.get(notice, ""))


@post("/staff/{staff_id:int}/roles", name="backoffice.staff.roles", guards=CAN_MANAGE,
      include_in_schema=False)
async def update_roles(request: Request, staff_id: FromPath[int]) -> Template | Redirect:
    await queries.staff_member(staff_id)  # 404 before reading the form
    data = await request.form()
    given = [str(role)[:40] for role in data.getall("roles", [])][:20]
    form = {"roles": given, "reason": str(data.get("reason") or "")[:400]}
    roles, errors = parse_roles(given)
    reason, reason_errors = parse_reason(form["reason"], required=False)
    try:
        if errors or reason_errors:
            raise Invalid(errors={**errors, **reason_errors})
        lost = await admin.update_roles(staff_id, roles, reason=reason,
                                        actor=await _actor(request),
                                        clock=request.app.state.clock)
    except Invalid as exc:
        return await _detail(request, staff_id, errors=exc.errors, form=form, status=422)
    return Redirect(f"{_BASE}/{staff_id}?notice={'roles_ended' if lost else 'roles'}",
                    status_code=303)


async def _state_change(request: Request, staff_id: int, change, *, notice: str,
                        reason_required: bool) -> Template | Redirect:
    await queries.staff_member(staff_id)
    raw = str((await request.form()).get("state_reason") or "")[:400]
    reason, errors = parse_reason(raw, required=reason_required)
    try:
        if errors:
            raise Invalid(errors=errors)
        await change(staff_id, reason=reason, actor=await _actor(request),
                     clock=request.app.state.clock)
    except Invalid as exc:
        return await _detail(request, staff_id, errors={f"state_{k}": v for k, v
                                                         in exc.errors.items()},
                             form={"state_reason": raw}, status=422)
    return Redirect(f"{_BASE}/{staff_id}?notice={notice}", status_code=303)


@post("/staff/{staff_id:int}/disable", name="backoffice.staff.disable", guards=CAN_MANAGE,
      include_in_schema=False)
async def disable(request: Request, staff_id: FromPath[int]) -> Template | Redirect:
    return await _state_change(request, staff_id, admin.disable, notice="disabled",
                               reason_required=True)


@post("/staff/{staff_id:int}/enable", name="backoffice.staff.enable", guards=CAN_MANAGE,
      include_in_schema=False)
async def enable(request: Request, staff_id: FromPath[int]) -> Template | Redirect:
    return await _state_change(request, staff_id, admin.enable, notice="enabled",
                               reason_required=False)


@post("/staff/{staff_id:int}/resend", name="backoffice.staff.resend", guards=CAN_MANAGE,
      include_in_schema=False)
async def resend(request: Request, staff_id: FromPath[int]) -> Template | Redirect:
    try:
        await admin.resend_invite(staff_id, actor=await _actor(request),
                                  clock=request.app.state.clock, queue=request.app.state.queue)
    except Conflict as exc:
        return await _detail(request, staff_id, errors={"__all__": str(exc)}, status=409)
    return Redirect(f"{_BASE}/{staff_id}?notice=resent", status_code=303)


async def _security_change(request: Request, staff_id: int, field: str, change, *,
                           notice: str) -> Template | Redirect:
    """A reason-required action on someone's sign-in; `field` names the reason input."""
    await queries.staff_member(staff_id)
    raw = str((await request.form()).get(field) or "")[:400]
    reason, errors = parse_reason(raw, required=True)
    actor = await _actor(request)
    try:
        if errors and actor.staff_id != staff_id:  # on your own account, say why it is refused
            raise Invalid(errors=errors)
        await change(reason=reason, actor=actor, clock=request.app.state.clock)
    except Invalid as exc:
        message = next(iter(exc.errors.values()), str(exc))
        # Your own page shows no such form, so the refusal goes to the page's summary.
        key = "__all__" if actor.staff_id == staff_id else field
        return await _detail(request, staff_id, errors={key: message}, form={field: raw},
                             status=422)
    except Conflict as exc:
        return await _detail(request, staff_id, errors={"__all__": str(exc)}, status=409)
    return Redirect(f"{_BASE}/{staff_id}?notice={notice}", status_code=303)


@post("/staff/{staff_id:int}/two-factor/reset", name="backoffice.staff.totp_reset",
      guards=CAN_MANAGE, include_in_schema=False)
async def reset_two_factor(request: Request, staff_id: FromPath[int]) -> Template | Redirect:
    return await _security_change(
        request, staff_id, "mfa_reason",
        functools.partial(admin.reset_two_factor, staff_id), notice="totp_reset")


@post("/staff/{staff_id:int}/identities/{identity_id:int}/unlink",
      name="backoffice.staff.sso_unlink", guards=CAN_MANAGE, include_in_schema=False)
async def unlink_identity(request: Request, staff_id: FromPath[int],
                          identity_id: FromPath[int]) -> Template | Redirect:
    return await _security_change(
        request, staff_id, f"unlink_{identity_id}_reason",
        functools.partial(admin.unlink_identity, staff_id, identity_id), notice="unlinked")


ROUTES = [index, invite_form, invite, detail, update_roles, disable, enable, resend,
          reset_two_factor, unlink_identity]
