"""The segment builder (POOLS_WORK): saved segments, the builder with a live count and
first page, the JSON form, and "save as a dynamic pool".

The builder script (static/js/segment-builder.js) edits the definition as JSON in the
form's `definition` field and asks /segments/preview for the count after each change;
without JavaScript the same field is a JSON editor and "Preview" a plain submit.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backoffice.auth import require_staff
from backoffice.permissions import requires
from domain.accounts.permissions import Permission
from domain.errors import Invalid
from domain.segments import labels, queries, service
from web_common import page

CAN_WORK = [requires(Permission.POOLS_WORK)]
MAX_DEFINITION = 20_000
EMPTY = {"match": "all", "conditions": []}
_NOTICES = {"saved": "Segment saved.", "deleted": "Segment deleted."}


def _json(raw: str) -> Any:
    """The definition field → data, or Invalid saying where the JSON breaks."""
    if len(raw) > MAX_DEFINITION:
        raise Invalid("The definition is too long.",
                      {"definition": f"Keep the definition under {MAX_DEFINITION:,} characters."})
    try:
        return json.loads(raw or "{}")
    except json.JSONDecodeError as exc:
        message = f"The definition is not valid JSON (line {exc.lineno}, column {exc.colno})."
        raise Invalid(message, {"definition": message}) from None
    except (ValueError, RecursionError):
        # an integer of thousands of digits, or arrays nested thousands deep
        message = "The definition is not valid JSON (a number is too long or it nests too deep)."
        raise Invalid(message, {"definition": message}) from None


@get("/segments", name="backoffice.segments.index", guards=CAN_WORK, include_in_schema=False)
async def index(request: Request, notice: FromQuery[str] = "") -> Template:
    staff = await require_staff(request)
    return page(request, "backoffice/segments/index.html", current_staff=staff,
                segments=await queries.visible_segments(staff.id),
                notice=_NOTICES.get(notice, ""))


async def _builder(request: Request, *, segment: dict | None, values: dict,
                   errors: dict | None = None, status: int = 200, notice: str = "") -> Template:
    staff = await require_staff(request)
    preview = None
    if not errors:
        now = request.app.state.clock.now()
        try:
            # A saved segment opens on its maintained membership; edits preview live.
            preview = (await queries.saved(segment["definition"], now=now) if segment
                       and values["definition"] == _shown(segment["definition"]) else
                       await queries.preview(_json(values["definition"]), now=now))
        except Invalid:
            preview = None
    return page(request, "backoffice/segments/builder.html", status_code=status,
                current_staff=staff, segment=segment, values=values, errors=errors or {},
                notice=notice, preview=preview,
                fields=await labels.builder_fields(staff.id))


@get("/segments/new", name="backoffice.segments.new", guards=CAN_WORK, include_in_schema=False)
async def new(request: Request) -> Template:
    return await _builder(request, segment=None, values={
        "name": "", "description": "", "visibility": "shared",
        "definition": json.dumps(EMPTY)})


@get("/segments/{segment_id:int}", name="backoffice.segments.detail", guards=CAN_WORK,
     include_in_schema=False)
async def detail(request: Request, segment_id: FromPath[int], notice: FromQuery[str] = "") \
        -> Template:
    staff = await require_staff(request)
    segment = await queries.segment(segment_id, staff.id)
    return await _builder(request, segment=segment, notice=_NOTICES.get(notice, ""), values={
        "name": segment["name"], "description": segment["description"],
        "visibility": segment["visibility"],
        "definition": _shown(segment["definition"])})


def _shown(definition: dict) -> str:
    return json.dumps(definition, indent=1)


@post("/segments/preview", name="backoffice.segments.preview", guards=CAN_WORK,
      include_in_schema=False)
async def preview(request: Request) -> Template:
    """The live count and first page for the definition in the form (an htmx fragment)."""
    raw = str((await request.form()).get("definition") or "")
    try:
        result = await queries.preview(_json(raw), now=request.app.state.clock.now())
    except Invalid as exc:
        return page(request, "backoffice/segments/_preview.html", preview=None,
                    problem=str(exc), status_code=200)
    return page(request, "backoffice/segments/_preview.html", preview=result, problem="")


async def _save(request: Request, segment_id: int | None) -> Template | Redirect:
    staff = await require_staff(request)
    segment = await queries.segment(segment_id, staff.id) if segment_id else None
    form = await request.form()
    values = {key: str(form.get(key) or "") for key in
              ("name", "description", "visibility", "definition")}
    try:
        saved = await service.save(segment_id, name=values["name"],
                                   description=values["description"].strip(),
                                   visibility=values["visibility"] or "shared",
                                   definition=_json(values["definition"]), owner_id=staff.id,
                                   by=staff.email, now=request.app.state.clock.now())
    except Invalid as exc:
        return await _builder(request, segment=segment, values=values,
                              errors=exc.errors or {"definition": str(exc)}, status=422)
    return Redirect(f"/backoffice/segments/{saved}?notice=saved", status_code=303)


@post("/segments", name="backoffice.segments.create", guards=CAN_WORK,
      include_in_schema=False)
async def create(request: Request) -> Template | Redirect:
    return await _save(request, None)


@post("/segments/{segment_id:int}", name="backoffice.segments.update", guards=CAN_WORK,
      include_in_schema=False)
async def update(request: Request, segment_id: FromPath[int]) -> Template | Redirect:
    return await _save(request, segment_id)


@post("/segments/{segment_id:int}/delete", name="backoffice.segments.delete", guards=CAN_WORK,
      include_in_schema=False)
async def delete(request: Request, segment_id: FromPath[int]) -> Redirect:
    staff = await require_staff(request)
    await queries.segment(segment_id, staff.id)
    await service.delete(segment_id, by=staff.email, now=request.app.state.clock.now())
    return Redirect("/backoffice/segments?notice=deleted", status_code=303)


@post("/segments/{segment_id:int}/pool", name="backoffice.segments.pool", guards=CAN_WORK,
      include_in_schema=False)
async def make_pool(request: Request, segment_id: FromPath[int]) -> Template | Redirect:
    staff = await require_staff(request)
    segment = await queries.segment(segment_id, staff.id)
    try:
        pool_id = await service.to_dynamic_pool(segment, owner_id=staff.id, by=staff.email,
                                                now=request.app.state.clock.now())
    except Invalid as exc:
        return await _builder(request, segment=segment, status=422, errors=exc.errors, values={
            "name": segment["name"], "description": segment["description"],
            "visibility": segment["visibility"],
            "definition": _shown(segment["definition"])})
    return Redirect(f"/backoffice/pools/{pool_id}?notice=created", status_code=303)


ROUTES = [index, new, detail, preview, create, update, delete, make_pool]
