"""The signed-in staff member's own account: "Your sessions", with sign-out of one
session or of every other one (backoffice.session_index)."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backoffice import session_index
from backoffice.auth import end_session, require_staff, session_cookie, staff_store
from backoffice.permissions import signed_in
from domain.audit import service as audit
from web_common import client_ip, page

SIGNED_IN = [signed_in]
_BASE = "/backoffice/account/sessions"
NOTICES = {"ended": "That session is signed out: its next request goes to the sign-in page.",
           "others": "Every other session is signed out.",
           "gone": "That session had already ended."}


@get("/account/sessions", name="backoffice.account.sessions", guards=SIGNED_IN,
     include_in_schema=False)
async def sessions(request: Request, notice: FromQuery[str] = "") -> Template:
    staff = await require_staff(request)
    rows = await session_index.live(request.app.state.redis, staff_store(request), staff.id,
                                    epoch=staff.session_epoch,
                                    current_id=session_cookie(request))
    return page(request, "backoffice/account/sessions.html", sessions=rows,
                short_agent=session_index.short_agent, notice=NOTICES.get(notice, ""),
                current_staff=staff)


async def _audit(request: Request, email: str, count: int, *, scope: str) -> None:
    await audit.record(action="staff.sessions_ended", at=request.app.state.clock.now(),
                       actor=email, subject=email, ip=client_ip(request),
                       detail={"sessions": count, "which": scope})


@post("/account/sessions/{handle:str}/end", name="backoffice.account.end_session",
      guards=SIGNED_IN, include_in_schema=False)
async def end_one(request: Request, handle: FromPath[str]) -> Redirect:
    staff = await require_staff(request)
    redis = request.app.state.redis
    session_id = await session_index.session_id_for(redis, staff.id, handle[:64])
    if session_id is None:
        return Redirect(f"{_BASE}?notice=gone", status_code=303)
    await _audit(request, staff.email, 1, scope="one")
    if session_id == session_cookie(request):
        await end_session(request)
        return Redirect("/backoffice/login", status_code=303)
    await session_index.end(redis, staff_store(request), staff.id, [session_id])
    return Redirect(f"{_BASE}?notice=ended", status_code=303)


@post("/account/sessions/end-others", name="backoffice.account.end_other_sessions",
      guards=SIGNED_IN, include_in_schema=False)
async def end_others(request: Request) -> Redirect:
    staff = await require_staff(request)
    redis = request.app.state.redis
    others = await session_index.others(redis, staff.id, session_cookie(request))
    await session_index.end(redis, staff_store(request), staff.id, others)
    await _audit(request, staff.email, len(others), scope="others")
    return Redirect(f"{_BASE}?notice=others", status_code=303)


ROUTES = [sessions, end_one, end_others]
