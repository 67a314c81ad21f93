"""Data-subject requests with their legal due dates, and legal holds on people's records."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect, Template

from backoffice.auth import current_staff
from backoffice.permissions import requires
from domain.accounts.permissions import Permission
from domain.errors import Invalid, NotFound
from domain.privacy import queries
from domain.privacy import service as privacy
from web_common import client_ip, page

CAN_MANAGE = [requires(Permission.PRIVACY_MANAGE)]


async def _requests_page(request: Request, *, form: dict, errors: dict,
                         status: int = 200) -> Template:
    return page(
        request, "backoffice/privacy/requests.html", status_code=status,
        requests=await queries.staff_requests(now=request.app.state.clock.now()),
        holds=await queries.active_holds(), form=form, errors=errors,
        notice=_notice(request.query_params.get("done", "")),
        current_staff=await current_staff(request),
    )


def _notice(done: str) -> str:
    return {"placed": "Legal hold placed.", "released": "Legal hold released."}.get(done, "")


@get("/privacy/requests", name="backoffice.privacy.requests", guards=CAN_MANAGE,
     include_in_schema=False)
async def requests_index(request: Request) -> Template:
    return await _requests_page(request, form={"person": "", "reason": ""}, errors={})


@post("/privacy/holds", name="backoffice.privacy.place_hold", guards=CAN_MANAGE,
      include_in_schema=False)
async def place_hold(request: Request) -> Template | Redirect:
    data = await request.form()
    form = {"person": str(data.get("person", ""))[:320], "reason": str(data.get("reason", ""))}
    staff = await current_staff(request)
    assert staff is not None  # the guard let us in
    try:
        await privacy.place_legal_hold(person_ref=form["person"], reason=form["reason"],
                                       staff_email=staff.email, ip=client_ip(request),
                                       clock=request.app.state.clock)
    except Invalid as exc:
        return await _requests_page(request, form=form, errors=exc.errors, status=422)
    return Redirect("/backoffice/privacy/requests?done=placed#holds", status_code=303)


@post("/privacy/holds/release", name="backoffice.privacy.release_hold", guards=CAN_MANAGE,
      include_in_schema=False)
async def release_hold(request: Request) -> Redirect:
    # The id travels in the form, not the path: one fixed URL per action.
    raw = str((await request.form()).get("hold_id", ""))
    if not raw.isdigit():
        raise NotFound("This hold does not exist or has been released already.")
    staff = await current_staff(request)
    assert staff is not None
    await privacy.release_legal_hold(hold_id=int(raw), staff_email=staff.email,
                                     ip=client_ip(request), clock=request.app.state.clock)
    return Redirect("/backoffice/privacy/requests?done=released#holds", status_code=303)


ROUTES = [requests_index, place_hold, release_hold]
