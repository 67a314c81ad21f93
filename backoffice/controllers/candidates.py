from litestar import Request, get
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backoffice.auth import current_staff
from backoffice.controllers import duplicates, person_lists
from backoffice.permissions import requires
from domain.accounts.permissions import Permission
from domain.accounts.service import Staff
from domain.compliance import searches
from domain.dedupe import contact
from domain.dedupe import queries as dedupe_queries
from domain.people import queries, tags
from domain.pools import queries as pools_queries
from domain.sequences import queries as sequence_queries
from web_common import page

CAN_VIEW = [requires(Permission.CANDIDATES_VIEW)]


def _next_url(q: str, community: str, cursor: str | None, requisition: str = "") -> str | None:
    from urllib.parse import urlencode

    if cursor is None:
        return None
    params = {key: value for key, value in (("q", q), ("community", community),
                                            ("requisition", requisition)) if value}
    return "/backoffice/candidates?" + urlencode({**params, "after": cursor})


@get("/", name="backoffice.home", include_in_schema=False)
async def home(request: Request) -> Redirect:
    """The first page a role can use: event hosts and hiring managers have no candidate
    list."""
    staff = await current_staff(request)
    if staff is not None and not staff.can(Permission.CANDIDATES_VIEW):
        if staff.can(Permission.EVENTS_HOST):
            return Redirect("/backoffice/events", status_code=303)
        if staff.can(Permission.REQUISITIONS_WORK):
            return Redirect("/backoffice/requisitions", status_code=303)
    return Redirect("/backoffice/candidates", status_code=303)


@get("/candidates", name="backoffice.candidates.index", guards=CAN_VIEW, include_in_schema=False)
async def index(request: Request, q: FromQuery[str] = "", community: FromQuery[str] = "",
                after: FromQuery[str] = "", requisition: FromQuery[str] = "") -> Template:
    result = await queries.search_people(q=q[:200], community=community[:80], cursor=after or None)
    choices = await searches.requisition_choices()
    chosen = requisition if requisition in {str(i) for i, _ in choices} else ""
    staff = await current_staff(request)
    if chosen and not after and (q.strip() or community) and staff is not None:
        # A search "for requisition X": its criteria and date are kept (first page only,
        # so "Load more" is not a second search).
        await searches.record(int(chosen), by=staff.email,
                              criteria={"text": q.strip()[:200], "community": community[:80]},
                              result_count=len(result.rows), more=result.next_cursor is not None,
                              at=request.app.state.clock.now())
    context = {"people": result.rows,
               "next_url": _next_url(q, community, result.next_cursor, chosen)}
    if request.headers.get("hx-request") == "true":
        return page(request, "backoffice/candidates/_rows.html", **context)
    return page(
        request, "backoffice/candidates/index.html", q=q, community=community,
        communities=await queries.community_choices(), current_staff=staff,
        requisitions=[(str(i), title) for i, title in choices], requisition=chosen, **context,
    )


@get("/candidates/{person_id:int}", name="backoffice.candidates.detail", guards=CAN_VIEW,
     include_in_schema=False)
async def detail(request: Request, person_id: FromPath[int]) -> Template:
    detail_view = await queries.person_detail(person_id)
    staff = await current_staff(request)
    now = request.app.state.clock.now()
    can_pool = staff is not None and staff.can(Permission.POOLS_WORK)
    lists = {"tags": await tags.tags_of(person_id), "can_pool": can_pool,
             "pools": await pools_queries.pools_of(person_id, staff.id) if staff else [],
             "pool_choices": [(str(p["id"]), p["name"]) for p in (
                 await pools_queries.visible_pools(staff.id) if can_pool and staff else [])
                 if p["kind"] == "static"]}
    return page(request, "backoffice/candidates/detail.html", current_staff=staff,
                notice=person_lists.take_notice(request), **lists,
                merges=await dedupe_queries.merges_for(person_id, now),
                duplicates=await dedupe_queries.hints_for(person_id),
                contacts=await contact.recent(person_id, now,
                                              excluding=staff.email if staff else ""),
                can_merge=staff is not None and staff.can(Permission.CANDIDATES_MERGE),
                **await _sequences(person_id, staff), **detail_view)


async def _sequences(person_id: int, staff: Staff | None) -> dict:
    allowed = staff is not None and staff.can(Permission.CAMPAIGNS_MANAGE)
    return {"can_sequences": allowed,
            "sequence_enrollments": await sequence_queries.of_person(person_id) if allowed
            else []}


ROUTES = [home, index, detail, *duplicates.ROUTES, *person_lists.ROUTES]
