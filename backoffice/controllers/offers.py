"""An application's offer: write and edit it, submit it for approval, approve or send it
back (someone other than the author), send it to the candidate, withdraw it.

Access goes through the application's requisition (`requisition_context`), so a hiring
manager gets the same 404 for another team's offer as for a missing one. Every action
returns to the offer page, which shows what happened or why it was refused.
"""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backoffice.requisition_pages import CAN_WORK, requisition_context
from domain.accounts.permissions import Permission
from domain.errors import Conflict, Invalid
from domain.offers import queries, rules
from domain.offers import service as offers
from domain.pipeline import application_view, moves
from web_common import page

NOTICES = {"saved": "Offer saved as a draft.", "submit": "Submitted for approval.",
           "approve": "Approved; it can be sent now.", "reject": "Sent back to draft.",
           "send": "Sent to the candidate.", "withdraw": "Offer withdrawn."}
ACTIONS = ("submit", "approve", "reject", "send", "withdraw")


async def _context(request: Request, application_id: int) -> dict:
    requisition_id = await moves.requisition_of(application_id)
    return await requisition_context(request, requisition_id, "pipeline")


def _form_of(offer: dict | None) -> dict:
    if not offer:
        return {"salary_period": "year", "salary_currency": "EUR"}
    form = {key: str(offer[key] or "") for key in (
        "title", "salary", "salary_currency", "salary_period", "start_date", "expires_on",
        "letter")}
    return form


async def _page(request: Request, application_id: int, *, form: dict | None = None,
                errors: dict | None = None, notice: str = "",
                status_code: int = 200) -> Template:
    context = await _context(request, application_id)
    application = await application_view.application(application_id)
    current = await queries.current(application_id)
    staff = context["current_staff"]
    return page(
        request, "backoffice/offers/detail.html", status_code=status_code, **context,
        application=application, offer=current,
        earlier=[o for o in await queries.for_application(application_id)
                 if not current or o["id"] != current["id"]],
        editable=current is None or current["status"] in rules.EDITABLE,
        may_approve=staff.can(Permission.REQUISITIONS_ALL) and current is not None
        and rules.may_approve(current["created_by"], staff.email),
        is_author=current is not None
        and not rules.may_approve(current["created_by"], staff.email),
        currencies=[(c, c) for c in rules.CURRENCIES],
        periods=list(rules.PERIODS.items()),
        form=form if form is not None else _form_of(current),
        errors=errors or {}, notice=notice)


@get("/applications/{application_id:int}/offer", name="backoffice.offers.detail",
     guards=CAN_WORK, include_in_schema=False)
async def detail(request: Request, application_id: FromPath[int],
                 done: FromQuery[str] = "") -> Template:
    return await _page(request, application_id, notice=NOTICES.get(done, ""))


def _done(application_id: int, what: str) -> Redirect:
    return Redirect(f"/backoffice/applications/{application_id}/offer?done={what}",
                    status_code=303)


@post("/applications/{application_id:int}/offer", name="backoffice.offers.save",
      guards=CAN_WORK, include_in_schema=False)
async def save(request: Request, application_id: FromPath[int]) -> Template | Redirect:
    """Creates the offer, or edits the one in progress (which returns it to draft)."""
    context = await _context(request, application_id)
    data = await request.form()
    form = {key: str(data.get(key, ""))[:rules.MAX_LETTER + 1] for key in (
        "title", "salary", "salary_currency", "salary_period", "start_date", "expires_on",
        "letter")}
    clock = request.app.state.clock
    draft, errors = rules.parse_offer(form, today=clock.now().date())
    if draft is None:
        return await _page(request, application_id, form=form, errors=errors,
                           status_code=422)
    current = await queries.current(application_id)
    try:
        if current:
            await offers.update(current["id"], draft, by=context["current_staff"],
                                clock=clock)
        else:
            await offers.create(application_id, draft, by=context["current_staff"],
                                clock=clock)
    except (Invalid, Conflict) as exc:
        return await _page(request, application_id, form=form, errors={"__all__": str(exc)},
                           status_code=409 if isinstance(exc, Conflict) else 422)
    return _done(application_id, "saved")


@post("/offers/{offer_id:int}/{action:str}", name="backoffice.offers.act",
      guards=CAN_WORK, include_in_schema=False)
async def act(request: Request, offer_id: FromPath[int],
              action: FromPath[str]) -> Template | Redirect:
    application_id = await queries.application_of(offer_id)
    context = await _context(request, application_id)  # 404 before anything else
    if action not in ACTIONS:
        return await _page(request, application_id, status_code=404,
                           errors={"__all__": "There is no such action on an offer."})
    data = await request.form()
    by, clock, queue = context["current_staff"], request.app.state.clock, \
        request.app.state.queue
    try:
        if action == "submit":
            await offers.submit(offer_id, by=by, clock=clock)
        elif action == "approve":
            await offers.approve(offer_id, by=by, clock=clock)
        elif action == "reject":
            await offers.reject_approval(offer_id, str(data.get("note", ""))[:2000],
                                         by=by, clock=clock)
        elif action == "send":
            await offers.send(offer_id, by=by, clock=clock, queue=queue)
        else:
            await offers.withdraw(offer_id, by=by, clock=clock, queue=queue)
    except (Invalid, Conflict) as exc:
        errors = {f"{action}-{key}": message
                  for key, message in (getattr(exc, "errors", {}) or {}).items()}
        return await _page(request, application_id, errors={"__all__": str(exc), **errors},
                           status_code=409 if isinstance(exc, Conflict) else 422)
    return _done(application_id, action)


ROUTES = [detail, save, act]
