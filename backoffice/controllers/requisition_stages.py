"""A requisition's own stages (its copy of the template): add, change, reorder, remove.

Every route goes through `requisition_context` (membership check) first.
"""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backoffice.requisition_forms import raw_stage
from backoffice.requisition_pages import CAN_WORK, requisition_context
from domain.errors import Conflict, Invalid
from domain.hiring_emails import service as hiring_emails
from domain.requisitions import queries, stage_editing
from domain.requisitions.stages import STAGE_KINDS, parse_stage
from web_common import page

_NOTICES = {"added": "Stage added.", "saved": "Stage saved.", "moved": "Stage moved.",
            "removed": "Stage removed."}


async def _page(request: Request, requisition_id: int, *, notice: str = "",
                errors: dict | None = None, new_stage: dict | None = None,
                status: int = 200) -> Template:
    context = await requisition_context(request, requisition_id, "stages")
    return page(request, "backoffice/requisitions/stages.html", status_code=status,
                **context, stages=await queries.stages(requisition_id),
                kinds=list(STAGE_KINDS.items()), notice=_NOTICES.get(notice, ""),
                errors=errors or {}, new_stage=new_stage or {"kind": "interview"},
                email_choices=await hiring_emails.choices("stage"))


@get("/requisitions/{requisition_id:int}/stages", name="backoffice.requisitions.stages",
     guards=CAN_WORK, include_in_schema=False)
async def stages(request: Request, requisition_id: FromPath[int],
                 notice: FromQuery[str] = "") -> Template:
    return await _page(request, requisition_id, notice=notice)


def _done(requisition_id: int, notice: str) -> Redirect:
    return Redirect(f"/backoffice/requisitions/{requisition_id}/stages?notice={notice}",
                    status_code=303)


@post("/requisitions/{requisition_id:int}/stages", name="backoffice.requisitions.stage_add",
      guards=CAN_WORK, include_in_schema=False)
async def add(request: Request, requisition_id: FromPath[int]) -> Template | Redirect:
    context = await requisition_context(request, requisition_id, "stages")
    raw = raw_stage(await request.form())
    errors: dict[str, str] = {}
    stage = parse_stage(raw, "new_stage", errors, await hiring_emails.active_keys("stage"))
    try:
        if errors:
            raise Invalid(errors["new_stage"], errors)
        await stage_editing.add_stage(requisition_id, stage, by=context["current_staff"],
                                      clock=request.app.state.clock)
    except Invalid as exc:
        return await _page(request, requisition_id, errors=exc.errors, new_stage=raw,
                           status=422)
    return _done(requisition_id, "added")


@post("/requisitions/{requisition_id:int}/stages/{stage_id:int}/edit",
      name="backoffice.requisitions.stage_update", guards=CAN_WORK, include_in_schema=False)
async def edit(request: Request, requisition_id: FromPath[int],
               stage_id: FromPath[int]) -> Template | Redirect:
    context = await requisition_context(request, requisition_id, "stages")
    field = f"stage-{stage_id}"
    errors: dict[str, str] = {}
    stage = parse_stage(raw_stage(await request.form()), field, errors,
                        await hiring_emails.active_keys("stage"))
    try:
        if errors:
            raise Invalid(errors[field], errors)
        await stage_editing.update_stage(requisition_id, stage_id, stage,
                                         by=context["current_staff"],
                                         clock=request.app.state.clock)
    except Invalid as exc:
        return await _page(request, requisition_id, errors=exc.errors, status=422)
    return _done(requisition_id, "saved")


@post("/requisitions/{requisition_id:int}/stages/{stage_id:int}/move",
      name="backoffice.requisitions.stage_move", guards=CAN_WORK, include_in_schema=False)
async def move(request: Request, requisition_id: FromPath[int],
               stage_id: FromPath[int]) -> Template | Redirect:
    context = await requisition_context(request, requisition_id, "stages")
    form = await request.form()
    try:
        await stage_editing.move_stage(requisition_id, stage_id,
                                       str(form.get("direction", "")),
                                       by=context["current_staff"],
                                       clock=request.app.state.clock)
    except Conflict as exc:
        return await _page(request, requisition_id, errors={"__all__": str(exc)},
                           status=409)
    return _done(requisition_id, "moved")


@post("/requisitions/{requisition_id:int}/stages/{stage_id:int}/remove",
      name="backoffice.requisitions.stage_remove", guards=CAN_WORK, include_in_schema=False)
async def remove(request: Request, requisition_id: FromPath[int],
                 stage_id: FromPath[int]) -> Template | Redirect:
    context = await requisition_context(request, requisition_id, "stages")
    try:
        await stage_editing.remove_stage(requisition_id, stage_id,
                                         by=context["current_staff"],
                                         clock=request.app.state.clock)
    except Conflict as exc:
        return await _page(request, requisition_id, errors={"__all__": str(exc)},
                           status=409)
    return _done(requisition_id, "removed")


ROUTES = [stages, add, edit, move, remove]
