"""People imports from CSV: upload, mapping with a preview, start, progress, the list.

POOLS_WORK is the permission: recruiters and marketing who work with people in pools
and segments are the ones who bring in sourced and attendee lists (hiring managers,
hosts and EEO reporters do not). The request only stores the file and queues the task:
the rows are read and written by the worker.
"""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect, Template

from backoffice.auth import require_staff
from backoffice.permissions import requires
from domain.accounts.permissions import Permission
from domain.errors import Conflict, Invalid
from domain.imports import queries, rules, service
from web_common import page

CAN_IMPORT = [requires(Permission.POOLS_WORK)]
# A little above the file limit so a slightly larger file gets the form's own message.
UPLOAD_BODY_LIMIT = rules.MAX_BYTES + 256 * 1024
MAX_MB = rules.MAX_BYTES // 1024 // 1024


def _base(import_id: int) -> str:
    return f"/backoffice/imports/{import_id}"


@get("/imports", name="backoffice.imports.index", guards=CAN_IMPORT, include_in_schema=False)
async def index(request: Request) -> Template:
    return page(request, "backoffice/imports/index.html",
                current_staff=await require_staff(request), imports=await queries.recent(),
                percent=queries.percent)


async def _upload_form(request: Request, errors: dict, status: int = 200) -> Template:
    return page(request, "backoffice/imports/new.html", status_code=status,
                current_staff=await require_staff(request), errors=errors, max_mb=MAX_MB,
                max_rows=rules.MAX_ROWS)


@get("/imports/new", name="backoffice.imports.new", guards=CAN_IMPORT, include_in_schema=False)
async def new(request: Request) -> Template:
    return await _upload_form(request, {})


def _too_large(request: Request, _: Exception) -> Response:
    response = page(request, "errors/error.html", status_code=413,
                    title="That file is too large",
                    detail=f"Import files must be {MAX_MB} MB or smaller. Go back and split "
                           "the file.", side="backoffice", current_staff=None,
                    error_status=413)
    response.media_type = "text/html"
    return response


@post("/imports", name="backoffice.imports.upload", guards=CAN_IMPORT,
      include_in_schema=False, request_max_body_size=UPLOAD_BODY_LIMIT,
      exception_handlers={413: _too_large})
async def upload(request: Request) -> Template | Redirect:
    staff = await require_staff(request)
    upload_ = (await request.form()).get("file")
    if not isinstance(upload_, UploadFile) or not upload_.filename:
        return await _upload_form(request, {"file": "Choose the CSV file to upload."}, 422)
    data = await upload_.read(rules.MAX_BYTES + 1)  # one byte more tells it is too large
    try:
        import_id = await service.upload(filename=upload_.filename, data=data,
                                         by=staff.email, clock=request.app.state.clock)
    except Invalid as exc:
        return await _upload_form(request, exc.errors, 422)
    return Redirect(_base(import_id), status_code=303)


async def _detail(request: Request, import_id: int, *, errors: dict | None = None,
                  form: dict | None = None, status: int = 200) -> Template:
    found = await service.get(import_id)
    if form:
        found["mapping"] = {h: form.get(f"column-{i}", rules.IGNORE)
                            for i, h in enumerate(found["headers"])}
    editable = found["status"] in ("uploaded", "mapped")
    return page(request, "backoffice/imports/detail.html", status_code=status,
                current_staff=await require_staff(request), found=found,
                fields=list(rules.FIELDS.items()), bases=list(rules.LAWFUL_BASES.items()),
                errors=errors or {}, values=form or {
                    "lawful_basis": found["lawful_basis"], "tag": found["tag"],
                    "source": found["source"], "consent_text": ""},
                preview=await service.preview(found) if editable else [],
                editable=editable, percent=queries.percent(found),
                listed=queries.problems_listed(found))


@get("/imports/{import_id:int}", name="backoffice.imports.detail", guards=CAN_IMPORT,
     include_in_schema=False)
async def detail(request: Request, import_id: FromPath[int]) -> Template:
    return await _detail(request, import_id)


@post("/imports/{import_id:int}/mapping", name="backoffice.imports.mapping",
      guards=CAN_IMPORT, include_in_schema=False)
async def mapping(request: Request, import_id: FromPath[int]) -> Template | Redirect:
    staff = await require_staff(request)
    form = {key: str(value) for key, value in (await request.form()).items()}
    try:
        await service.save_mapping(import_id, form, by=staff.email,
                                   clock=request.app.state.clock)
    except Invalid as exc:
        return await _detail(request, import_id, errors=exc.errors, form=form, status=422)
    return Redirect(f"{_base(import_id)}#preview", status_code=303)


@post("/imports/{import_id:int}/start", name="backoffice.imports.start", guards=CAN_IMPORT,
      include_in_schema=False)
async def start(request: Request, import_id: FromPath[int]) -> Template | Redirect:
    staff = await require_staff(request)
    try:
        await service.start(import_id, by=staff.email, clock=request.app.state.clock,
                            queue=request.app.state.queue)
    except Conflict as exc:
        return await _detail(request, import_id, errors={"__all__": str(exc)}, status=409)
    return Redirect(_base(import_id), status_code=303)


@get("/imports/{import_id:int}/progress", name="backoffice.imports.progress",
     guards=CAN_IMPORT, include_in_schema=False)
async def progress(request: Request, import_id: FromPath[int]) -> Template:
    """The progress fragment htmx polls; it stops polling once the import has ended."""
    found = await service.get(import_id)
    return page(request, "backoffice/imports/_progress.html", found=found,
                percent=queries.percent(found))


ROUTES = [index, new, upload, detail, mapping, start, progress]
