"""The rapid review queue of a static pool (POOLS_WORK): one member at a time, oldest
first at a stage, with buttons that are also keyboard shortcuts (static/js/pool-review.js).
Every decision is a plain form POST that redirects to the next person, so the queue works
without JavaScript too."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backoffice.auth import require_staff
from backoffice.permissions import requires
from domain.accounts.permissions import Permission
from domain.errors import Conflict, Invalid, NotFound
from domain.people.tags import parse_tags
from domain.pools import queries, rules, service
from web_common import page

CAN_WORK = [requires(Permission.POOLS_WORK)]
NOTICES = {"advanced": "Moved to the next stage.", "skipped": "Skipped.",
           "rejected": "Removed from the pool; the reason is kept in the audit log.",
           "saved": "Saved.", "last_stage": "Already at the pool's last stage: saved.",
           "gone": "That person had already left the pool."}


def _count(raw: str) -> int:
    return int(raw) if raw.isdigit() and len(raw) < 7 else 0


async def _static_pool(request: Request, pool_id: int) -> tuple:
    staff = await require_staff(request)
    pool = await queries.pool(pool_id, staff.id)
    if pool["kind"] != "static":
        raise NotFound("A dynamic pool has no review queue.")
    return staff, pool


async def _page(request: Request, pool_id: int, *, stage: str, after: str, reviewed: int,
                notice: str = "", errors: dict | None = None, values: dict | None = None,
                status: int = 200) -> Template:
    staff, pool = await _static_pool(request, pool_id)
    stage = stage if stage in pool["stages"] else pool["stages"][0]
    member = await queries.review_next(pool_id, stage, after=after or None)
    context = await queries.review_context(member, pool_id, staff.id) if member else {}
    following = rules.next_stage(pool["stages"], stage)
    return page(request, "backoffice/pools/review.html", status_code=status,
                current_staff=staff, pool=pool, stage=stage, member=member,
                stage_label=rules.stage_label(stage), after=after, reviewed=reviewed,
                next_stage_label=rules.stage_label(following) if following else "",
                position=reviewed + 1, total=reviewed + (member["remaining"] if member else 0),
                notice=notice, errors=errors or {}, values=values or {}, **context)


@get("/pools/{pool_id:int}/review", name="backoffice.pools.review", guards=CAN_WORK,
     include_in_schema=False)
async def review(request: Request, pool_id: FromPath[int], stage: FromQuery[str] = "",
                 after: FromQuery[str] = "", n: FromQuery[str] = "",
                 notice: FromQuery[str] = "") -> Template:
    return await _page(request, pool_id, stage=stage[:40], after=after[:200],
                       reviewed=_count(n), notice=NOTICES.get(notice, ""))


@post("/pools/{pool_id:int}/review/{person_id:int}", name="backoffice.pools.review_decide",
      guards=CAN_WORK, include_in_schema=False)
async def decide(request: Request, pool_id: FromPath[int], person_id: FromPath[int]) \
        -> Template | Redirect:
    """Record one decision, then show the next person at the same stage."""
    staff, pool = await _static_pool(request, pool_id)
    form = await request.form()
    values = {key: str(form.get(key) or "") for key in
              ("action", "note", "tags", "stage", "after", "n", "cursor")}
    stage, reviewed = values["stage"][:40], _count(values["n"])
    action = values["action"] if values["action"] in rules.REVIEW_ACTIONS else "save"
    note = values["note"].strip()
    try:
        if len(note) > rules.MAX_NOTE:
            raise Invalid("The note is too long.",
                          {"note": f"Keep the note to {rules.MAX_NOTE:,} characters."})
        tags = parse_tags(values["tags"]) if values["tags"].strip() else []
        if action == "reject" and not note:
            raise Invalid("Say why.", {"note": "Write the reason in the note, then reject."})
        outcome = await service.review(pool_id, person_id, action=action, note=note,
                                       tags=tags, by=staff.email,
                                       at=request.app.state.clock.now())
    except Invalid as exc:
        return await _page(request, pool_id, stage=stage, after=values["after"][:200],
                           reviewed=reviewed, errors=exc.errors, values=values, status=422)
    except Conflict:
        outcome = "gone"
    query = {"stage": stage, "after": values["cursor"][:200], "n": reviewed + 1,
             "notice": outcome}
    return Redirect(f"/backoffice/pools/{pool['id']}/review?{urlencode(query)}",
                    status_code=303)


ROUTES = [review, decide]
