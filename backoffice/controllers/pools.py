"""Talent pools (POOLS_WORK): the list, a new static pool, one pool's members by stage,
adding people by email, moving a selection to another stage, removing someone."""

from __future__ import annotations

import json

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backoffice.auth import require_staff
from backoffice.permissions import requires
from domain.accounts.permissions import Permission
from domain.errors import Invalid
from domain.pools import queries, rules, service, snapshots
from domain.pools.tables import DEFAULT_STAGES
from domain.segments import queries as segments
from web_common import page

CAN_WORK = [requires(Permission.POOLS_WORK)]
MAX_EMAILS = 500
_NOTICES = {"created": "Pool created. Add people by email here, or from a candidate's page.",
            "removed": "Removed from the pool.",
            "tick": "Tick the people to act on first, or choose everyone."}


@get("/pools", name="backoffice.pools.index", guards=CAN_WORK, include_in_schema=False)
async def index(request: Request) -> Template:
    staff = await require_staff(request)
    return page(request, "backoffice/pools/index.html", current_staff=staff,
                pools=await queries.visible_pools(staff.id))


async def _form(request: Request, values: dict, errors: dict, status: int = 200) -> Template:
    return page(request, "backoffice/pools/form.html", status_code=status, values=values,
                errors=errors, visibilities=list(rules.VISIBILITIES.items()),
                current_staff=await require_staff(request))


@get("/pools/new", name="backoffice.pools.new", guards=CAN_WORK, include_in_schema=False)
async def new(request: Request) -> Template:
    return await _form(request, {"name": "", "description": "", "visibility": "shared",
                                 "stages": ", ".join(DEFAULT_STAGES)}, {})


@post("/pools", name="backoffice.pools.create", guards=CAN_WORK, include_in_schema=False)
async def create(request: Request) -> Template | Redirect:
    staff = await require_staff(request)
    raw = {key: str(value) for key, value in (await request.form()).items()}
    try:
        values = rules.parse_pool(raw)
        pool_id = await service.create(values, owner_id=staff.id, by=staff.email,
                                       now=request.app.state.clock.now())
    except Invalid as exc:
        return await _form(request, raw, exc.errors, status=422)
    return Redirect(f"/backoffice/pools/{pool_id}?notice=created", status_code=303)


async def _detail(request: Request, pool_id: int, *, stage: str = "", after: str = "",
                  errors: dict | None = None, notice: str = "", emails: str = "",
                  status: int = 200) -> Template:
    staff = await require_staff(request)
    pool = await queries.pool(pool_id, staff.id)
    if pool["kind"] == "dynamic":
        return await _dynamic(request, pool, staff, after=after, notice=notice)
    stage = stage if stage in pool["stages"] else ""
    members = await queries.members(pool_id, stage=stage, cursor=after or None)
    next_url = None
    if members.next_cursor:
        next_url = f"/backoffice/pools/{pool_id}?after={members.next_cursor}" + (
            f"&stage={stage}" if stage else "")
    context = {"pool": pool, "members": members.rows, "next_url": next_url, "stage": stage}
    if request.headers.get("hx-request") == "true" and after:
        return page(request, "backoffice/pools/_member_rows.html", **context)
    return page(request, "backoffice/pools/detail.html", status_code=status,
                current_staff=staff, errors=errors or {}, notice=notice, emails=emails,
                stage_choices=[(s, rules.stage_label(s)) for s in pool["stages"]], **context)


async def _dynamic(request: Request, pool: dict, staff, *, after: str, notice: str) -> Template:
    """A dynamic pool: its segment evaluated now, page by page, and its daily sizes."""
    now = request.app.state.clock.now()
    definition = pool["segment"]
    if isinstance(definition, str):
        definition = json.loads(definition)
    cursor = int(after) if after.isdigit() and len(after) < 10 else None
    as_of = None
    try:
        result = await segments.saved(definition, now=now, after=cursor)
        rows, next_after, count, as_of, problem = (
            result.rows, result.next_after, result.count, result.as_of, "")
    except Invalid as exc:
        rows, next_after, count, problem = [], None, 0, str(exc)
    next_url = f"/backoffice/pools/{pool['id']}?after={next_after}" if next_after else None
    return page(request, "backoffice/pools/dynamic.html", current_staff=staff, pool=pool,
                rows=rows, count=count, as_of=as_of, problem=problem, next_url=next_url,
                notice=notice,
                definition=json.dumps(definition, indent=1),
                history=await snapshots.history(pool["id"], now=now))


@get("/pools/{pool_id:int}", name="backoffice.pools.detail", guards=CAN_WORK,
     include_in_schema=False)
async def detail(request: Request, pool_id: FromPath[int], stage: FromQuery[str] = "",
                 after: FromQuery[str] = "", notice: FromQuery[str] = "") -> Template:
    return await _detail(request, pool_id, stage=stage[:40], after=after[:200],
                         notice=_NOTICES.get(notice, ""))


def _emails(raw: str) -> list[str]:
    parts = raw.replace(",", "\n").replace(";", "\n").split()
    return list(dict.fromkeys(part.strip().lower() for part in parts if part.strip()))


@post("/pools/{pool_id:int}/people", name="backoffice.pools.add", guards=CAN_WORK,
      include_in_schema=False)
async def add(request: Request, pool_id: FromPath[int]) -> Template:
    """Add people by their email addresses; unknown addresses are named, nothing else is
    added until every address is known (so a typo is fixed, not half-applied)."""
    staff = await require_staff(request)
    await queries.pool(pool_id, staff.id)
    raw = str((await request.form()).get("emails") or "")
    emails = _emails(raw)
    errors: dict[str, str] = {}
    if not emails:
        errors["emails"] = "Paste at least one email address."
    elif len(emails) > MAX_EMAILS:
        errors["emails"] = f"Add at most {MAX_EMAILS} addresses at a time."
    else:
        found = await queries.people_by_email(emails)
        unknown = [e for e in emails if e not in found]
        if unknown:
            errors["emails"] = ("Not in the CRM: " + ", ".join(unknown[:10])
                                + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
                                + ". Remove them or check the spelling.")
        else:
            added = await service.add_people(pool_id, list(found.values()), source="manual",
                                             by=staff.email, at=request.app.state.clock.now())
            already = len(found) - added
            notice = f"Added {added} {'person' if added == 1 else 'people'}." + (
                f" {already} already in the pool." if already else "")
            return await _detail(request, pool_id, notice=notice)
    return await _detail(request, pool_id, errors=errors, emails=raw, status=422)


@post("/pools/{pool_id:int}/stage", name="backoffice.pools.stage", guards=CAN_WORK,
      include_in_schema=False)
async def move(request: Request, pool_id: FromPath[int]) -> Template:
    """Move exactly the ticked people to the chosen stage."""
    staff = await require_staff(request)
    pool = await queries.pool(pool_id, staff.id)
    form = await request.form()
    ids = [int(v) for v in form.getall("person", []) if str(v).isdigit() and len(str(v)) < 10]
    target = str(form.get("stage") or "")
    if not ids:
        return await _detail(request, pool_id, status=422,
                             errors={"person": "Tick the people to move first."})
    if target not in pool["stages"]:
        return await _detail(request, pool_id, status=422,
                             errors={"stage": "Choose one of the pool's stages."})
    moved = await service.set_stage(pool_id, ids, target, by=staff.email,
                                    at=request.app.state.clock.now())
    return await _detail(request, pool_id,
                         notice=f"Moved {moved} to {rules.stage_label(target)}.")


@post("/pools/{pool_id:int}/people/{person_id:int}/remove", name="backoffice.pools.remove",
      guards=CAN_WORK, include_in_schema=False)
async def remove(request: Request, pool_id: FromPath[int], person_id: FromPath[int]) -> Redirect:
    staff = await require_staff(request)
    await queries.pool(pool_id, staff.id)
    await service.remove(pool_id, person_id, by=staff.email, at=request.app.state.clock.now())
    return Redirect(f"/backoffice/pools/{pool_id}?notice=removed", status_code=303)


ROUTES = [index, new, create, detail, add, move, remove]
