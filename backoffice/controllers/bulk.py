"""Bulk actions (POOLS_WORK; an export also needs CANDIDATES_EXPORT): the confirmation
page (who, counted now, and what to do), then the action's page with its progress and
result, and an export's download.

Who comes from the pool page (the ticked people, or everyone in the pool or at a stage),
a saved segment or a dynamic pool ("all N matching"). Small actions run inline; large
ones run as a task and the page polls its progress with htmx every 2 seconds.
"""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import File, Redirect, Template

from backoffice.auth import require_staff
from backoffice.permissions import requires
from domain.accounts.permissions import Permission
from domain.bulk import queries, rules, service
from domain.errors import Invalid, NotFound
from domain.pools import queries as pool_queries
from domain.pools import rules as pool_rules
from web_common import page

CAN_WORK = [requires(Permission.POOLS_WORK)]
# Contact data leaves only with this (recruiters, admins), not with POOLS_WORK alone.
CAN_EXPORT = requires(Permission.CANDIDATES_EXPORT)


def _id(raw: object) -> int | None:
    text = str(raw or "")
    return int(text) if text.isdigit() and len(text) < 10 else None


async def _confirm_page(request: Request, source: dict, *, values: dict,
                        errors: dict | None = None, status: int = 200) -> Template:
    staff = await require_staff(request)
    now = request.app.state.clock.now()
    resolved = await service.resolve(staff.id, **source)
    can_export = staff.can(Permission.CANDIDATES_EXPORT)
    kinds = [(k, label) for k, label in rules.KINDS.items()
             if (k != "set_pool_stage" or resolved["pool"]) and (k != "export_csv" or can_export)]
    pool = resolved["pool"]
    return page(request, "backoffice/bulk/confirm.html", status_code=status,
                current_staff=staff, resolved=resolved, kinds=kinds, can_export=can_export,
                count=await queries.count(resolved["target"], now=now),
                everyone="person_ids" not in resolved["target"], values=values,
                errors=errors or {}, inline_limit=rules.INLINE_LIMIT,
                pools=[(p["id"], p["name"]) for p in await pool_queries.visible_pools(staff.id)
                       if p["kind"] == "static"],
                stages=[(s, pool_rules.stage_label(s)) for s in pool["stages"]] if pool else [],
                events=[(e["slug"], f"{e['title']} ({e['starts_at']:%-d %b %Y})")
                        for e in await queries.invitable_events(now)])


@get("/bulk/new", name="backoffice.bulk.new", guards=CAN_WORK, include_in_schema=False)
async def new(request: Request, pool: FromQuery[str] = "", segment: FromQuery[str] = "",
              in_stage: FromQuery[str] = "", kind: FromQuery[str] = "") -> Template:
    """'Act on all N matching' a saved segment, a dynamic pool, or a static pool (stage)."""
    source = {"pool_id": _id(pool), "segment_id": _id(segment), "in_stage": in_stage[:40],
              "person_ids": [], "everyone": True}
    if source["pool_id"] is None and source["segment_id"] is None:
        raise NotFound("Choose a pool or a segment first.")
    return await _confirm_page(request, source, values={"kind": kind[:24]})


def _source(form) -> dict:
    return {"pool_id": _id(form.get("pool")), "segment_id": _id(form.get("segment")),
            "in_stage": str(form.get("in_stage") or "")[:40],
            "person_ids": rules.person_ids([str(v) for v in form.getall("person", [])]),
            "everyone": form.get("scope") == "all"}


@post("/bulk/confirm", name="backoffice.bulk.confirm", guards=CAN_WORK,
      include_in_schema=False)
async def confirm(request: Request) -> Template | Redirect:
    """Without `confirmed`: show who and how many (from the pool page's ticked rows).
    With it: check the parameters, start the action and show its page."""
    staff = await require_staff(request)
    form = await request.form()
    values = {key: str(form.get(key) or "") for key in
              ("kind", "tags", "to_pool", "to_stage", "event")}
    if values["kind"] == "export_csv":
        await CAN_EXPORT(request, request.route_handler)  # 403, and the refusal audited
    try:
        source = _source(form)
        if form.get("confirmed") != "yes":
            return await _confirm_page(request, source, values=values)
        resolved = await service.resolve(staff.id, **source)
        pool = resolved["pool"]
        params = rules.parse_params(values["kind"], values,
                                    pool_stages=pool["stages"] if pool else None)
        if values["kind"] == "set_pool_stage" and pool:
            params["pool"] = pool["id"]
        bulk_id = await service.start(values["kind"], resolved["target"], params,
                                      staff=staff, now=request.app.state.clock.now(),
                                      queue=request.app.state.queue)
    except Invalid as exc:
        if "person" in exc.errors and not form.get("confirmed"):
            return _back_to_pool(form)
        return await _confirm_page(request, _source_or_empty(form), values=values,
                                   errors=exc.errors or {"kind": str(exc)}, status=422)
    return Redirect(f"/backoffice/bulk/{bulk_id}", status_code=303)


def _source_or_empty(form) -> dict:
    try:
        return _source(form)
    except Invalid:
        return {"pool_id": _id(form.get("pool")), "segment_id": _id(form.get("segment")),
                "in_stage": "", "person_ids": [], "everyone": True}


def _back_to_pool(form) -> Redirect:
    pool = _id(form.get("pool"))
    target = f"/backoffice/pools/{pool}?notice=tick" if pool else "/backoffice/pools"
    return Redirect(target, status_code=303)


async def _action(request: Request, bulk_id: int) -> dict:
    staff = await require_staff(request)
    return await queries.action(bulk_id, staff_email=staff.email,
                                is_admin="admin" in staff.roles)


@get("/bulk/{bulk_id:int}", name="backoffice.bulk.detail", guards=CAN_WORK,
     include_in_schema=False)
async def detail(request: Request, bulk_id: FromPath[int]) -> Template:
    """Progress while it runs (htmx polls the fragment), then the result."""
    action = await _action(request, bulk_id)
    staff = await require_staff(request)
    context = {"action": action, "kind_label": rules.KINDS.get(action["kind"], ""),
               "download": action["kind"] == "export_csv" and bool(action["storage_key"])
               and staff.can(Permission.CANDIDATES_EXPORT)}
    if request.headers.get("hx-request") == "true":
        return page(request, "backoffice/bulk/_progress.html", **context)
    return page(request, "backoffice/bulk/detail.html", current_staff=staff,
                export_days=rules.EXPORT_DAYS, **context)


@get("/bulk/{bulk_id:int}/download", name="backoffice.bulk.download", guards=[CAN_EXPORT],
     include_in_schema=False)
async def download(request: Request, bulk_id: FromPath[int]) -> File:
    """The export for its creator or an admin, for EXPORT_DAYS after it finished."""
    action = await _action(request, bulk_id)
    path = service.export_file(action, now=request.app.state.clock.now())
    return File(path=path, filename=f"talentloop-export-{bulk_id}.csv",
                media_type="text/csv; charset=utf-8", content_disposition_type="attachment",
                headers={"x-content-type-options": "nosniff",
                         "cache-control": "private, no-store"})


ROUTES = [new, confirm, detail, download]
