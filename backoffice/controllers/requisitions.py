"""Requisitions: the list, create from a stage template, overview with the status
lifecycle, settings (every field of the posting).

Every route about one requisition goes through `requisition_context` (membership check);
handlers only parse input and pick the page.
"""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backoffice.auth import require_staff
from backoffice.requisition_forms import (
    new_requisition_values,
    raw_requisition,
    requisition_values,
    with_blank_question,
)
from backoffice.requisition_pages import CAN_MANAGE_ALL, CAN_WORK, requisition_context
from domain.accounts.permissions import Permission
from domain.errors import Conflict, Invalid
from domain.pipeline import silver_matches
from domain.profiles.rules import JOB_FUNCTIONS, SENIORITIES
from domain.profiles.service import skill_index
from domain.requisitions import access, queries, rules, service
from domain.requisitions.defaults import STANDARD
from web_common import page

_NOTICES = {
    "created": "Requisition created as a draft. Open it when it is ready.",
    "saved": "Changes saved.",
    "status": "Status changed.",
}


@get("/requisitions", name="backoffice.requisitions.index", guards=CAN_WORK,
     include_in_schema=False)
async def index(request: Request, show: FromQuery[str] = "active") -> Template:
    staff = await require_staff(request)
    show = show if show in queries.LIST_FILTERS else "active"
    rows = await queries.requisitions_for_staff(staff.id, every_requisition=access.sees_all(
        staff), show=show)
    return page(request, "backoffice/requisitions/index.html", requisitions=rows, show=show,
                shows=queries.LIST_FILTERS, sees_all=access.sees_all(staff),
                current_staff=staff)


async def _form_page(request: Request, values: dict, errors: dict, *,
                     context: dict | None, status: int = 200) -> Template:
    """The create form (context None) or the Settings tab of one requisition."""
    options = {
        "remote_policies": list(rules.REMOTE_POLICIES.items()),
        "employment_types": list(rules.EMPLOYMENT_TYPES.items()),
        "salary_periods": list(rules.SALARY_PERIODS.items()),
        "seniorities": list(SENIORITIES), "job_functions": list(JOB_FUNCTIONS),
        "question_kinds": list(rules.QUESTION_KINDS.items()),
        "templates": await queries.template_choices(),
    }
    context = context or {"requisition": None, "current_staff": await require_staff(request)}
    return page(request, "backoffice/requisitions/form.html", status_code=status,
                values=values, errors=errors, **options, **context)


async def _checked(request: Request) -> tuple[dict, object, dict]:
    form = await request.form()
    raw = raw_requisition(form)
    draft, errors = rules.parse_requisition(raw, skills=await skill_index())
    return raw, draft, {**errors, "_add": "yes"} if form.get("add_question") else errors


async def _form_again(request: Request, raw: dict, errors: dict, *,
                      context: dict | None) -> Template:
    """With one more question row on "Add another question" (not an error), else with
    the per-field errors (422)."""
    if errors.pop("_add", None):
        return await _form_page(request, with_blank_question(raw), {}, context=context)
    extra = 0 if raw["questions"] else 1
    return await _form_page(request, with_blank_question(raw, extra), errors,
                            context=context, status=422)


@get("/requisitions/new", name="backoffice.requisitions.new", guards=CAN_MANAGE_ALL,
     include_in_schema=False)
async def new(request: Request) -> Template:
    choices = await queries.template_choices()
    standard = next((value for value, label in choices if label == STANDARD), "")
    return await _form_page(request, with_blank_question(new_requisition_values(standard)),
                            {}, context=None)


@post("/requisitions/new", name="backoffice.requisitions.create", guards=CAN_MANAGE_ALL,
      include_in_schema=False)
async def create(request: Request) -> Template | Redirect:
    raw, draft, errors = await _checked(request)
    if not raw["template"].isdigit():
        errors["template"] = "Choose a stage template."
    if errors or draft is None:
        return await _form_again(request, raw, errors, context=None)
    try:
        requisition_id = await service.create_requisition(
            draft, template_id=int(raw["template"]), by=await require_staff(request),
            clock=request.app.state.clock)
    except Invalid as exc:
        return await _form_again(request, raw, dict(exc.errors), context=None)
    return Redirect(f"/backoffice/requisitions/{requisition_id}?notice=created",
                    status_code=303)


async def _overview(request: Request, requisition_id: int, *, notice: str = "",
                    error: str = "", status: int = 200) -> Template:
    context = await requisition_context(request, requisition_id, "overview")
    counts = await queries.stage_counts([requisition_id])
    requisition = context["requisition"]
    names = (await skill_index()).names
    return page(request, "backoffice/requisitions/overview.html", status_code=status,
                **context, stages=counts.get(requisition_id, []),
                team=await queries.team(requisition_id), notice=_NOTICES.get(notice, ""),
                errors={"__all__": error} if error else {},
                required_skills=[names.get(s, s) for s in requisition["required_skills"]],
                nice_skills=[names.get(s, s) for s in requisition["nice_skills"]],
                statuses=rules.STATUSES, next_statuses=sorted(
                    rules.TRANSITIONS.get(requisition["status"], set())),
                close_reasons=list(rules.CLOSE_REASONS.items()),
                remote_policies=rules.REMOTE_POLICIES,
                employment_types=rules.EMPLOYMENT_TYPES,
                seniorities=dict(SENIORITIES), job_functions=dict(JOB_FUNCTIONS),
                # Listed first; hiring managers get names only (no candidate pages).
                silver_medalists=await silver_matches.for_requisition(requisition_id),
                skill_names=names, candidate_links=context["current_staff"].can(
                    Permission.CANDIDATES_VIEW))


@get("/requisitions/{requisition_id:int}", name="backoffice.requisitions.detail",
     guards=CAN_WORK, include_in_schema=False)
async def detail(request: Request, requisition_id: FromPath[int],
                 notice: FromQuery[str] = "") -> Template:
    return await _overview(request, requisition_id, notice=notice)


@post("/requisitions/{requisition_id:int}/status", name="backoffice.requisitions.status",
      guards=CAN_WORK, include_in_schema=False)
async def change_status(request: Request, requisition_id: FromPath[int]) -> Template | Redirect:
    context = await requisition_context(request, requisition_id, "overview")
    form = await request.form()
    try:
        await service.change_status(requisition_id, str(form.get("status", "")),
                                    close_reason=str(form.get("close_reason", "")),
                                    by=context["current_staff"],
                                    clock=request.app.state.clock)
    except Conflict as exc:
        return await _overview(request, requisition_id, error=str(exc), status=409)
    return Redirect(f"/backoffice/requisitions/{requisition_id}?notice=status",
                    status_code=303)


@get("/requisitions/{requisition_id:int}/settings", name="backoffice.requisitions.settings",
     guards=CAN_WORK, include_in_schema=False)
async def settings(request: Request, requisition_id: FromPath[int]) -> Template:
    context = await requisition_context(request, requisition_id, "settings")
    values = requisition_values(context["requisition"], dict((await skill_index()).names))
    return await _form_page(request, with_blank_question(values), {}, context=context)


@post("/requisitions/{requisition_id:int}/settings", name="backoffice.requisitions.update",
      guards=CAN_WORK, include_in_schema=False)
async def update(request: Request, requisition_id: FromPath[int]) -> Template | Redirect:
    context = await requisition_context(request, requisition_id, "settings")
    raw, draft, errors = await _checked(request)
    if errors or draft is None:
        return await _form_again(request, raw, errors, context=context)
    try:
        await service.update_requisition(requisition_id, draft, by=context["current_staff"],
                                         clock=request.app.state.clock)
    except Conflict as exc:
        return await _form_again(request, raw, {"__all__": str(exc)}, context=context)
    return Redirect(f"/backoffice/requisitions/{requisition_id}?notice=saved",
                    status_code=303)


ROUTES = [index, new, create, detail, change_status, settings, update]
