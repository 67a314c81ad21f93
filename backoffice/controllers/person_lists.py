"""From a person's page (POOLS_WORK): add them to a static pool, tag them, remove a tag.
Each redirects back to the person, with what happened kept in the session for the next
page (never in the URL, where a crafted link could put words in our mouth)."""

from __future__ import annotations

from litestar import Request, post
from litestar.params import FromPath
from litestar.response import Redirect

from backoffice.auth import require_staff
from backoffice.permissions import requires
from domain.accounts.permissions import Permission
from domain.errors import Invalid, NotFound
from domain.people import tags
from domain.pools import queries as pools_queries
from domain.pools import service as pools

CAN_WORK = [requires(Permission.POOLS_WORK)]


NOTICE_KEY = "person_notice"


def _back(request: Request, person_id: int, notice: str) -> Redirect:
    request.session[NOTICE_KEY] = notice
    return Redirect(f"/backoffice/candidates/{person_id}", status_code=303)


def take_notice(request: Request) -> str:
    notice = request.session.pop(NOTICE_KEY, None) if request.session else None
    return notice if isinstance(notice, str) else ""


async def _person_exists(person_id: int) -> None:
    from domain.db import fetchval

    if not await fetchval("SELECT 1 FROM people WHERE id = $1", person_id):
        raise NotFound("No such person.")


@post("/candidates/{person_id:int}/pools", name="backoffice.candidates.add_to_pool",
      guards=CAN_WORK, include_in_schema=False)
async def add_to_pool(request: Request, person_id: FromPath[int]) -> Redirect:
    staff = await require_staff(request)
    await _person_exists(person_id)
    raw = str((await request.form()).get("pool") or "")
    if not raw.isdigit() or len(raw) > 9:
        return _back(request, person_id, "Choose a pool first.")
    pool = await pools_queries.pool(int(raw), staff.id)  # 404 for someone's private pool
    try:
        added = await pools.add_people(pool["id"], [person_id], source="manual",
                                       by=staff.email, at=request.app.state.clock.now())
    except Invalid as exc:
        return _back(request, person_id, str(exc))
    return _back(request, person_id, f"Added to “{pool['name']}”." if added
                 else f"Already in “{pool['name']}”.")


@post("/candidates/{person_id:int}/tags", name="backoffice.candidates.tag", guards=CAN_WORK,
      include_in_schema=False)
async def tag(request: Request, person_id: FromPath[int]) -> Redirect:
    staff = await require_staff(request)
    await _person_exists(person_id)
    try:
        wanted = tags.parse_tags(str((await request.form()).get("tags") or ""))
    except Invalid as exc:
        return _back(request, person_id, next(iter(exc.errors.values()), str(exc)))
    await tags.add_tags([person_id], wanted, by=staff.email, at=request.app.state.clock.now())
    return _back(request, person_id, "Tagged: " + ", ".join(wanted) + ".")


@post("/candidates/{person_id:int}/tags/remove", name="backoffice.candidates.untag",
      guards=CAN_WORK, include_in_schema=False)
async def untag(request: Request, person_id: FromPath[int]) -> Redirect:
    await require_staff(request)
    await _person_exists(person_id)
    name = str((await request.form()).get("tag") or "")[:60]
    removed = await tags.remove_tag(person_id, name)
    return _back(request, person_id,
                 f"Tag “{name}” removed." if removed else "That tag was not there.")


ROUTES = [add_to_pool, tag, untag]
