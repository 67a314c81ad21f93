"""Your data: download everything we hold (GDPR Art. 15/20) or delete the account (Art. 17)."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import File, Redirect, Template

from domain.privacy import export, queries
from domain.privacy import service as privacy
from portal.auth import Candidate, current_candidate, require_candidate
from web_common import page
from web_ratelimit import rate_limited

SIGNED_IN = [require_candidate]
CONFIRM_MESSAGE = "Tick the box to confirm that you want your account deleted."


async def _candidate(request: Request) -> Candidate:
    candidate = await current_candidate(request)
    assert candidate is not None  # the guard let us in
    return candidate


@get("/account/data", name="portal.privacy.index", guards=SIGNED_IN, include_in_schema=False)
async def index(request: Request) -> Template:
    candidate = await _candidate(request)
    requests = await queries.person_requests(candidate.person_id,
                                             now=request.app.state.clock.now())
    return page(request, "portal/privacy/index.html", candidate=candidate, requests=requests,
                requested=request.query_params.get("requested") == "export",
                export_days=privacy.EXPORT_LIFETIME.days)


@post("/account/data/export", name="portal.privacy.export", include_in_schema=False,
      guards=[*SIGNED_IN, rate_limited("data-export", limit=10, window_seconds=3600)])
async def request_export(request: Request) -> Redirect:
    candidate = await _candidate(request)
    await privacy.request_export(person_id=candidate.person_id, clock=request.app.state.clock,
                                 queue=request.app.state.queue)
    return Redirect("/account/data?requested=export", status_code=303)


@get("/account/data/exports/{export_id:int}", name="portal.privacy.download",
     guards=SIGNED_IN, include_in_schema=False)
async def download(request: Request, export_id: FromPath[int]) -> File:
    candidate = await _candidate(request)
    path, filename = await export.download(person_id=candidate.person_id, export_id=export_id,
                                           clock=request.app.state.clock)
    return File(path=path, filename=filename, media_type="application/zip",
                headers={"cache-control": "no-store"})


def _delete_page(request: Request, candidate: Candidate, errors: dict, status: int) -> Template:
    return page(request, "portal/privacy/delete.html", status_code=status,
                candidate=candidate, errors=errors)


@get("/account/delete", name="portal.privacy.delete", guards=SIGNED_IN,
     include_in_schema=False)
async def delete_page(request: Request) -> Template:
    return _delete_page(request, await _candidate(request), {}, 200)


@post("/account/delete", name="portal.privacy.erase", include_in_schema=False,
      guards=[*SIGNED_IN, rate_limited("erase", limit=10, window_seconds=3600)])
async def erase(request: Request) -> Template | Redirect:
    candidate = await _candidate(request)
    if (await request.form()).get("confirm") != "yes":
        return _delete_page(request, candidate, {"confirm": CONFIRM_MESSAGE}, 422)
    await privacy.erase_account(person_id=candidate.person_id, clock=request.app.state.clock,
                                queue=request.app.state.queue)
    request.clear_session()
    return Redirect("/account/deleted", status_code=303)


@get("/account/deleted", name="portal.privacy.deleted", include_in_schema=False)
async def deleted(request: Request) -> Template:
    return page(request, "portal/privacy/deleted.html")


ROUTES = [index, request_export, download, delete_page, erase, deleted]
