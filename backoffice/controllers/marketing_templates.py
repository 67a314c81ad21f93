"""Marketing email templates (MARKETING_CONTENT) under /backoffice/campaigns/templates:
list, new/edit, archive/restore, preview for a chosen person, send a test to oneself."""

from __future__ import annotations

from litestar import MediaType, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backoffice.auth import require_staff
from backoffice.controllers.mail import EMAIL_PREVIEW_POLICY
from backoffice.permissions import requires
from domain.accounts.permissions import Permission
from domain.campaigns import queries, rules
from domain.campaigns import templates as marketing
from domain.errors import Invalid
from domain.people import queries as people
from domain.sandbox import TemplateProblem
from settings import get_settings
from web_common import page
from web_ratelimit import allow

CAN_WRITE = [requires(Permission.MARKETING_CONTENT)]
_BASE = "/backoffice/campaigns/templates"
_FIELDS = ("name", "description", "purpose", "subject", "html_body", "text_body")
TESTS_PER_HOUR = 10
_NOTICES = {"created": "Template created.", "saved": "Template saved as a new version.",
            "archived": "Template archived.", "restored": "Template restored.",
            "test_sent": "Test email queued to your own address.",
            "test_limited": f"You can send at most {TESTS_PER_HOUR} test emails an hour. "
                            "Try again later."}


@get("/campaigns/templates", name="backoffice.campaigns.templates", guards=CAN_WRITE,
     include_in_schema=False)
async def index(request: Request, archived: FromQuery[bool] = False,
                notice: FromQuery[str] = "") -> Template:
    return page(request, "backoffice/campaigns/templates.html",
                templates=await queries.templates(archived=archived), archived=archived,
                purposes=rules.PURPOSES, notice=_NOTICES.get(notice, ""),
                current_staff=await require_staff(request))


async def _form(request: Request, values: dict, errors: dict, *, template: dict | None,
                notice: str = "", status: int = 200) -> Template:
    return page(request, "backoffice/campaigns/template_form.html", status_code=status,
                values=values, errors=errors, marketing_template=template,
                purposes=list(rules.PURPOSES.items()), merge_fields=rules.MERGE_FIELDS,
                notice=notice, current_staff=await require_staff(request))


@get("/campaigns/templates/new", name="backoffice.campaigns.template_new",
     guards=CAN_WRITE, include_in_schema=False)
async def new(request: Request) -> Template:
    values = dict.fromkeys(_FIELDS, "") | {"purpose": rules.COMMUNITY_EMAILS}
    return await _form(request, values, {}, template=None)


@get("/campaigns/templates/{marketing_template_id:int}",
     name="backoffice.campaigns.template", guards=CAN_WRITE, include_in_schema=False)
async def edit(request: Request, marketing_template_id: FromPath[int],
               notice: FromQuery[str] = "") -> Template:
    template = await marketing.get(marketing_template_id)
    values = {name: template[name] for name in _FIELDS}
    if not template["text_is_custom"]:
        values["text_body"] = ""
    return await _form(request, values, {}, template=template,
                       notice=_NOTICES.get(notice, ""))


async def _save(request: Request, template: dict | None) -> Template | Redirect:
    form = await request.form()
    values = {name: str(form.get(name, ""))[:60_000] for name in _FIELDS}
    staff = await require_staff(request)
    clock = request.app.state.clock
    try:
        draft = marketing.parse(values)
        if template is None:
            template_id = await marketing.create(draft, by=staff, clock=clock)
        else:
            template_id = template["id"]
            await marketing.update(template_id, draft, by=staff, clock=clock)
    except Invalid as exc:
        return await _form(request, values, exc.errors, template=template, status=422)
    notice = "created" if template is None else "saved"
    return Redirect(f"{_BASE}/{template_id}?notice={notice}", status_code=303)


@post("/campaigns/templates/new", name="backoffice.campaigns.template_create",
      guards=CAN_WRITE, include_in_schema=False)
async def create(request: Request) -> Template | Redirect:
    return await _save(request, None)


@post("/campaigns/templates/{marketing_template_id:int}",
      name="backoffice.campaigns.template_update", guards=CAN_WRITE, include_in_schema=False)
async def update(request: Request, marketing_template_id: FromPath[int]) -> Template | Redirect:
    return await _save(request, await marketing.get(marketing_template_id))


@post("/campaigns/templates/{marketing_template_id:int}/archive",
      name="backoffice.campaigns.template_archive", guards=CAN_WRITE,
      include_in_schema=False)
async def archive(request: Request, marketing_template_id: FromPath[int]) -> Redirect:
    archived = (await request.form()).get("archived") != "no"
    await marketing.set_archived(marketing_template_id, archived,
                                 by=await require_staff(request),
                                 clock=request.app.state.clock)
    return Redirect(f"{_BASE}?notice={'archived' if archived else 'restored'}",
                    status_code=303)


def _email_document(request: Request, rendered: rules.Rendered) -> str:
    """The rendered HTML inside the brand email layout, as the recipient would see it."""
    settings = get_settings()
    layout = request.app.template_engine.get_template("email/marketing_test/body.html")
    return layout.render({"subject_line": rendered.subject, "body_html": rendered.html,
                          "company_name": settings.company_name,
                          "postal_address": settings.postal_address})


async def _rendered(request: Request, template: dict, person: int | None) -> tuple:
    """(chosen person or None, Rendered or None, problem) for a preview."""
    staff = await require_staff(request)
    chosen = None
    if person is not None:
        chosen = await marketing.person_values(person, template["purpose"], staff=staff,
                                               clock=request.app.state.clock)
    values = chosen["values"] if chosen else marketing.sample_values(staff)
    try:
        return chosen, marketing.render(template, values), ""
    except TemplateProblem as exc:
        return chosen, None, str(exc)


@get("/campaigns/templates/{marketing_template_id:int}/preview",
     name="backoffice.campaigns.template_preview", guards=CAN_WRITE,
     include_in_schema=False)
async def preview(request: Request, marketing_template_id: FromPath[int],
                  person: FromQuery[int | None] = None, q: FromQuery[str] = "",
                  notice: FromQuery[str] = "") -> Template:
    template = await marketing.get(marketing_template_id)
    chosen, rendered, problem = await _rendered(request, template, person)
    matches = (await people.search_people(q=q[:200], limit=10)).rows if q.strip() else []
    return page(request, "backoffice/campaigns/template_preview.html",
                marketing_template=template, rendered=rendered, problem=problem,
                chosen=chosen, q=q, matches=matches, purposes=rules.PURPOSES,
                notice=_NOTICES.get(notice, ""), current_staff=await require_staff(request))


@get("/campaigns/templates/{marketing_template_id:int}/preview/html",
     name="backoffice.campaigns.template_preview_html", guards=CAN_WRITE,
     include_in_schema=False)
async def preview_html(request: Request, marketing_template_id: FromPath[int],
                       person: FromQuery[int | None] = None) -> Response:
    """The rendered HTML in the brand layout, for the preview's sandboxed frame: its own
    policy allows the inline styles emails need and nothing else (no scripts, no forms,
    no remote loads)."""
    template = await marketing.get(marketing_template_id)
    _, rendered, _ = await _rendered(request, template, person)
    if rendered is None:
        raise NotFoundException("This template cannot be rendered.")
    return Response(_email_document(request, rendered), media_type=MediaType.HTML,
                    headers={"content-security-policy": EMAIL_PREVIEW_POLICY})


@post("/campaigns/templates/{marketing_template_id:int}/test",
      name="backoffice.campaigns.template_test", guards=CAN_WRITE, include_in_schema=False)
async def send_test(request: Request, marketing_template_id: FromPath[int]) -> Redirect:
    staff = await require_staff(request)
    raw_person = str((await request.form()).get("person", ""))
    person_id = int(raw_person) if raw_person.isdigit() else None
    back = f"{_BASE}/{marketing_template_id}/preview?" + (
        f"person={person_id}&" if person_id else "")
    if not await allow(request.app.state.redis, f"marketing-test:{staff.id}",
                       limit=TESTS_PER_HOUR, window_seconds=3600):
        return Redirect(back + "notice=test_limited", status_code=303)
    await marketing.send_test(marketing_template_id, person_id=person_id, by=staff,
                              clock=request.app.state.clock, queue=request.app.state.queue)
    return Redirect(back + "notice=test_sent", status_code=303)


ROUTES = [index, new, edit, create, update, archive, preview, preview_html, send_test]
