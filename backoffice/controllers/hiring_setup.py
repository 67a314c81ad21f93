"""Hiring setup (HIRING_SETUP): stage templates and the rejection reasons list; the email
templates tab lives in `hiring_emails` and is registered with these routes."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backoffice.auth import require_staff
from backoffice.controllers import hiring_emails as email_pages
from backoffice.permissions import requires
from backoffice.requisition_forms import raw_template, template_values, with_blank_stage
from domain.accounts.permissions import Permission
from domain.errors import Invalid
from domain.hiring_emails import service as hiring_emails
from domain.requisitions import setup
from domain.requisitions.stages import STAGE_KINDS, parse_template
from web_common import page

CAN_SET_UP = [requires(Permission.HIRING_SETUP)]
_BASE = "/backoffice/hiring-setup"
_NOTICES = {"saved": "Template saved. Requisitions created from now on use it; existing "
                     "ones keep their own stages.",
            "added": "Reason added.", "renamed": "Reason renamed.",
            "deactivated": "Reason deactivated: it can no longer be picked.",
            "activated": "Reason active again.",
            "email_set": "Rejection email saved for that reason."}


@get("/hiring-setup", name="backoffice.hiring_setup.index", guards=CAN_SET_UP,
     include_in_schema=False)
async def index(request: Request, notice: FromQuery[str] = "") -> Template:
    return page(request, "backoffice/hiring_setup/templates.html",
                templates=await setup.templates(), notice=_NOTICES.get(notice, ""),
                current_staff=await require_staff(request))


async def _form(request: Request, values: dict, errors: dict, *, template_id: int | None,
                status: int = 200) -> Template:
    return page(request, "backoffice/hiring_setup/template_form.html", status_code=status,
                values=values, errors=errors, template_id=template_id,
                kinds=list(STAGE_KINDS.items()),
                email_choices=await hiring_emails.choices("stage"),
                current_staff=await require_staff(request))


@get("/hiring-setup/templates/new", name="backoffice.hiring_setup.template_new",
     guards=CAN_SET_UP, include_in_schema=False)
async def template_new(request: Request) -> Template:
    values = with_blank_stage({"name": "", "description": "", "silver_threshold": "3.00"})
    return await _form(request, values, {}, template_id=None)


@get("/hiring-setup/templates/{template_id:int}", name="backoffice.hiring_setup.template",
     guards=CAN_SET_UP, include_in_schema=False)
async def template_edit(request: Request, template_id: FromPath[int]) -> Template:
    template, stages = await setup.template_with_stages(template_id)
    return await _form(request, with_blank_stage(template_values(template, stages)), {},
                       template_id=template_id)


async def _save(request: Request, template_id: int | None) -> Template | Redirect:
    form = await request.form()
    raw = raw_template(form)
    if form.get("add_stage"):
        return await _form(request, with_blank_stage(raw), {}, template_id=template_id)
    draft, errors = parse_template(raw, await hiring_emails.active_keys("stage"))
    try:
        if errors or draft is None:
            raise Invalid("Please correct the highlighted fields.", errors)
        await setup.save_template(template_id, draft, by=await require_staff(request),
                                  clock=request.app.state.clock)
    except Invalid as exc:
        return await _form(request, with_blank_stage(raw, 0 if raw["stages"] else 1),
                           exc.errors, template_id=template_id, status=422)
    return Redirect(f"{_BASE}?notice=saved", status_code=303)


@post("/hiring-setup/templates/new", name="backoffice.hiring_setup.template_create",
      guards=CAN_SET_UP, include_in_schema=False)
async def template_create(request: Request) -> Template | Redirect:
    return await _save(request, None)


@post("/hiring-setup/templates/{template_id:int}",
      name="backoffice.hiring_setup.template_update", guards=CAN_SET_UP,
      include_in_schema=False)
async def template_update(request: Request, template_id: FromPath[int]) -> Template | Redirect:
    await setup.template_with_stages(template_id)  # 404 before reading the form
    return await _save(request, template_id)


async def _reasons_page(request: Request, *, notice: str = "", errors: dict | None = None,
                        status: int = 200) -> Template:
    return page(request, "backoffice/hiring_setup/reasons.html", status_code=status,
                reasons=await setup.reasons(), sides=list(setup.REASON_SIDES.items()),
                rejection_emails=await hiring_emails.choices("rejection"),
                notice=_NOTICES.get(notice, ""), errors=errors or {},
                current_staff=await require_staff(request))


@get("/hiring-setup/reasons", name="backoffice.hiring_setup.reasons", guards=CAN_SET_UP,
     include_in_schema=False)
async def reasons(request: Request, notice: FromQuery[str] = "") -> Template:
    return await _reasons_page(request, notice=notice)


def _reasons_done(notice: str) -> Redirect:
    return Redirect(f"{_BASE}/reasons?notice={notice}", status_code=303)


@post("/hiring-setup/reasons", name="backoffice.hiring_setup.reason_add", guards=CAN_SET_UP,
      include_in_schema=False)
async def reason_add(request: Request) -> Template | Redirect:
    form = await request.form()
    try:
        await setup.add_reason(str(form.get("label", ""))[:500], str(form.get("by", "")),
                               by=await require_staff(request), clock=request.app.state.clock)
    except Invalid as exc:
        return await _reasons_page(request, errors=exc.errors, status=422)
    return _reasons_done("added")


@post("/hiring-setup/reasons/{reason_id:int}/rename",
      name="backoffice.hiring_setup.reason_rename", guards=CAN_SET_UP,
      include_in_schema=False)
async def reason_rename(request: Request, reason_id: FromPath[int]) -> Template | Redirect:
    form = await request.form()
    try:
        await setup.rename_reason(reason_id, str(form.get("label", ""))[:500],
                                  by=await require_staff(request),
                                  clock=request.app.state.clock)
    except Invalid as exc:
        return await _reasons_page(request, errors=exc.errors, status=422)
    return _reasons_done("renamed")


@post("/hiring-setup/reasons/{reason_id:int}/active",
      name="backoffice.hiring_setup.reason_active", guards=CAN_SET_UP,
      include_in_schema=False)
async def reason_active(request: Request, reason_id: FromPath[int]) -> Redirect:
    active = (await request.form()).get("active") == "yes"
    await setup.set_reason_active(reason_id, active, by=await require_staff(request),
                                  clock=request.app.state.clock)
    return _reasons_done("activated" if active else "deactivated")


@post("/hiring-setup/reasons/{reason_id:int}/email",
      name="backoffice.hiring_setup.reason_email", guards=CAN_SET_UP,
      include_in_schema=False)
async def reason_email(request: Request, reason_id: FromPath[int]) -> Template | Redirect:
    key = str((await request.form()).get("email_template", ""))[:200]
    try:
        await hiring_emails.set_reason_email(reason_id, key, by=await require_staff(request),
                                             clock=request.app.state.clock)
    except Invalid as exc:
        return await _reasons_page(request, errors=exc.errors, status=422)
    return _reasons_done("email_set")


ROUTES = [index, template_new, template_edit, template_create, template_update, reasons,
          reason_add, reason_rename, reason_active, reason_email, *email_pages.ROUTES]
