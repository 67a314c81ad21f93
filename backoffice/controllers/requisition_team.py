"""A requisition's hiring team: add hiring managers and recruiters by email, remove them.

Every route goes through `requisition_context` (membership check) first.
"""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backoffice.requisition_pages import CAN_WORK, requisition_context
from domain.errors import Invalid
from domain.requisitions import queries, service
from web_common import page

_NOTICES = {"added": "Added to the hiring team.", "removed": "Removed from the hiring team."}


async def _page(request: Request, requisition_id: int, *, notice: str = "",
                errors: dict | None = None, values: dict | None = None,
                status: int = 200) -> Template:
    context = await requisition_context(request, requisition_id, "team")
    return page(request, "backoffice/requisitions/team.html", status_code=status, **context,
                team=await queries.team(requisition_id),
                roles=list(service.MEMBER_ROLES.items()), notice=_NOTICES.get(notice, ""),
                errors=errors or {}, values=values or {"email": "", "role": "hiring_manager"})


@get("/requisitions/{requisition_id:int}/team", name="backoffice.requisitions.team",
     guards=CAN_WORK, include_in_schema=False)
async def team(request: Request, requisition_id: FromPath[int],
               notice: FromQuery[str] = "") -> Template:
    return await _page(request, requisition_id, notice=notice)


@post("/requisitions/{requisition_id:int}/team", name="backoffice.requisitions.member_add",
      guards=CAN_WORK, include_in_schema=False)
async def add(request: Request, requisition_id: FromPath[int]) -> Template | Redirect:
    context = await requisition_context(request, requisition_id, "team")
    form = await request.form()
    values = {"email": str(form.get("email", ""))[:320], "role": str(form.get("role", ""))}
    try:
        await service.add_member(requisition_id, values["email"], values["role"],
                                 by=context["current_staff"], clock=request.app.state.clock)
    except Invalid as exc:
        return await _page(request, requisition_id, errors=exc.errors, values=values,
                           status=422)
    return Redirect(f"/backoffice/requisitions/{requisition_id}/team?notice=added",
                    status_code=303)


@post("/requisitions/{requisition_id:int}/team/{staff_id:int}/remove",
      name="backoffice.requisitions.member_remove", guards=CAN_WORK, include_in_schema=False)
async def remove(request: Request, requisition_id: FromPath[int],
                 staff_id: FromPath[int]) -> Redirect:
    context = await requisition_context(request, requisition_id, "team")
    await service.remove_member(requisition_id, staff_id, by=context["current_staff"],
                                clock=request.app.state.clock)
    return Redirect(f"/backoffice/requisitions/{requisition_id}/team?notice=removed",
                    status_code=303)


ROUTES = [team, add, remove]
