"""One's own scorecard for an application at its current stage, and colleagues' once one
has submitted (the hiding rule is in `domain.interviews.scorecards.view`).

Access goes through the application's requisition (`requisition_context`): hiring
managers write theirs on their requisitions and get a 404 elsewhere.
"""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from backoffice.requisition_pages import CAN_WORK, requisition_context
from domain.errors import Conflict, Invalid
from domain.interviews import rules, scorecards
from domain.pipeline import application_view, moves
from web_common import page


async def _context(request: Request, application_id: int) -> dict:
    requisition_id = await moves.requisition_of(application_id)
    return await requisition_context(request, requisition_id, "pipeline")


def _form_of(card: dict | None, attributes: list[str]) -> dict:
    if not card:
        return {}
    form = {"recommendation": card["recommendation"], "notes": card["notes"]}
    for index, attribute in enumerate(attributes):
        rating = card["ratings"].get(attribute)
        if rating:
            form[f"rating-{index}"] = str(rating["rating"])
            form[f"note-{index}"] = rating["note"]
    return form


async def _page(request: Request, application_id: int, *, form: dict | None = None,
                errors: dict | None = None, status_code: int = 200) -> Template:
    context = await _context(request, application_id)
    board = await scorecards.view(application_id, context["current_staff"])
    current = board["current"]
    return page(request, "backoffice/scorecards/detail.html", status_code=status_code,
                **context, application=await application_view.application(application_id),
                scorecards=board, ratings=rules.RATINGS,
                recommendations=list(rules.RECOMMENDATIONS.items()),
                form=form if form is not None else _form_of(current["mine"],
                                                            current["attributes"]),
                errors=errors or {})


@get("/applications/{application_id:int}/scorecard", name="backoffice.scorecards.detail",
     guards=CAN_WORK, include_in_schema=False)
async def detail(request: Request, application_id: FromPath[int]) -> Template:
    return await _page(request, application_id)


@post("/applications/{application_id:int}/scorecard", name="backoffice.scorecards.save",
      guards=CAN_WORK, include_in_schema=False)
async def save(request: Request, application_id: FromPath[int]) -> Template | Redirect:
    """`action` = save (a draft, may be partial) or submit (final, then colleagues'
    scorecards show)."""
    context = await _context(request, application_id)
    data = await request.form()
    form = {key: str(value)[:6000] for key, value in data.items()
            if key != "_csrf_token"}
    stage = await scorecards.stage_of(application_id)
    draft, errors = rules.parse_scorecard(form, stage["scorecard_attributes"])
    if draft is None:
        return await _page(request, application_id, form=form, errors=errors,
                           status_code=422)
    try:
        await scorecards.save(application_id, draft, by=context["current_staff"],
                              clock=request.app.state.clock)
    except (Invalid, Conflict) as exc:
        return await _page(request, application_id, form=form, errors={"__all__": str(exc)},
                           status_code=409 if isinstance(exc, Conflict) else 422)
    return Redirect(f"/backoffice/applications/{application_id}/scorecard", status_code=303)


ROUTES = [detail, save]
