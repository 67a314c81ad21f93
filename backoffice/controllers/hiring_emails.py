"""Hiring setup (HIRING_SETUP): the email templates stage automation, rejection reasons
and bulk emails send. Registered through `hiring_setup.ROUTES` (one section, one tab)."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backoffice.auth import require_staff
from backoffice.permissions import requires
from domain.accounts.permissions import Permission
from domain.errors import Invalid
from domain.hiring_emails import rendering
from domain.hiring_emails import service as hiring_emails
from web_common import page

CAN_SET_UP = [requires(Permission.HIRING_SETUP)]
_BASE = "/backoffice/hiring-setup/emails"
_FIELDS = ("key", "name", "purpose", "subject", "body")
_NOTICES = {"created": "Email template created.", "saved": "Email template saved.",
            "deactivated": "Template deactivated: automation and bulk emails no longer "
                           "send it.",
            "activated": "Template active again."}


@get("/hiring-setup/emails", name="backoffice.hiring_setup.emails", guards=CAN_SET_UP,
     include_in_schema=False)
async def index(request: Request, notice: FromQuery[str] = "") -> Template:
    return page(request, "backoffice/hiring_setup/emails.html",
                templates=await hiring_emails.templates(), purposes=hiring_emails.PURPOSES,
                notice=_NOTICES.get(notice, ""), current_staff=await require_staff(request))


async def _form(request: Request, values: dict, errors: dict, *, template: dict | None,
                preview: rendering.Rendered | None = None, notice: str = "",
                status: int = 200) -> Template:
    return page(request, "backoffice/hiring_setup/email_form.html", status_code=status,
                values=values, errors=errors, email_template=template, preview=preview,
                purposes=list(hiring_emails.PURPOSES.items()),
                merge_fields=rendering.MERGE_FIELDS, notice=notice,
                current_staff=await require_staff(request))


@get("/hiring-setup/emails/new", name="backoffice.hiring_setup.email_new",
     guards=CAN_SET_UP, include_in_schema=False)
async def new(request: Request) -> Template:
    values = dict.fromkeys(_FIELDS, "") | {"purpose": "stage"}
    return await _form(request, values, {}, template=None)


@get("/hiring-setup/emails/{template_id:int}", name="backoffice.hiring_setup.email",
     guards=CAN_SET_UP, include_in_schema=False)
async def edit(request: Request, template_id: FromPath[int],
               notice: FromQuery[str] = "") -> Template:
    template = await hiring_emails.get(template_id)
    try:
        preview, errors = hiring_emails.preview(template), {}
    except rendering.TemplateProblem as exc:  # saved before a rule it now breaks
        preview, errors = None, {"body": str(exc)}
    return await _form(request, {name: template[name] for name in _FIELDS}, errors,
                       template=template, preview=preview, notice=_NOTICES.get(notice, ""))


async def _save(request: Request, template: dict | None) -> Template | Redirect:
    form = await request.form()
    values = {name: str(form.get(name, ""))[:25_000] for name in _FIELDS}
    if template is not None:
        values["key"] = template["key"]
    staff = await require_staff(request)
    try:
        draft = hiring_emails.parse(values, new=template is None)
        if form.get("preview"):
            # Shown, not saved: the recruiter sees the sample rendering first.
            return await _form(request, values, {}, template=template,
                               preview=hiring_emails.preview(vars(draft)))
        if template is None:
            template_id = await hiring_emails.create(draft, by=staff,
                                                     clock=request.app.state.clock)
        else:
            template_id = template["id"]
            await hiring_emails.update(template_id, draft, by=staff,
                                       clock=request.app.state.clock)
    except Invalid as exc:
        return await _form(request, values, exc.errors, template=template, status=422)
    notice = "created" if template is None else "saved"
    return Redirect(f"{_BASE}/{template_id}?notice={notice}", status_code=303)


@post("/hiring-setup/emails/new", name="backoffice.hiring_setup.email_create",
      guards=CAN_SET_UP, include_in_schema=False)
async def create(request: Request) -> Template | Redirect:
    return await _save(request, None)


@post("/hiring-setup/emails/{template_id:int}", name="backoffice.hiring_setup.email_update",
      guards=CAN_SET_UP, include_in_schema=False)
async def update(request: Request, template_id: FromPath[int]) -> Template | Redirect:
    return await _save(request, await hiring_emails.get(template_id))


@post("/hiring-setup/emails/{template_id:int}/active",
      name="backoffice.hiring_setup.email_active", guards=CAN_SET_UP,
      include_in_schema=False)
async def set_active(request: Request, template_id: FromPath[int]) -> Redirect:
    active = (await request.form()).get("active") == "yes"
    await hiring_emails.set_active(template_id, active, by=await require_staff(request),
                                   clock=request.app.state.clock)
    return Redirect(f"{_BASE}?notice={'activated' if active else 'deactivated'}",
                    status_code=303)


ROUTES = [index, new, edit, create, update, set_active]
