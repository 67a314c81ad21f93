"""A requisition's pipeline: the filtered list with bulk actions, and the kanban board."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backoffice.requisition_pages import CAN_WORK, requisition_context
from domain.errors import Invalid
from domain.hiring_emails import service as hiring_emails
from domain.pipeline import board, bulk, silver
from domain.pipeline.moves import DECISION_KINDS, reason_label
from web_common import page

STATUS_LABELS = {"active": "Active", "rejected": "Rejected", "withdrawn": "Withdrawn",
                 "hired": "Hired"}
BULK_VERBS = {"move": "moved", "reject": "rejected"}
BULK_ACTIONS = [("move", "Move to a stage"), ("reject", "Reject with a reason"),
                ("email", "Send an email"), ("tag", "Tag the candidates")]
_BATCH = re.compile(r"^[0-9a-f]{32}$")


def as_int(value: object) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def _list_url(requisition_id: int, **params: object) -> str:
    kept = {key: value for key, value in params.items() if value}
    query = ("?" + urlencode(kept)) if kept else ""
    return f"/backoffice/requisitions/{requisition_id}/pipeline{query}"


def _notice(did: str, done: int, skipped: int, foreign: int, marked: int = 0) -> str:
    ignored = f" {foreign} ignored: not in this requisition." if foreign else ""
    if did == "email":
        left = (f" {skipped} not sent (address suppressed or missing, or already sent)."
                if skipped else "")
        return f"{done} email{'s' if done != 1 else ''} queued.{left}{ignored}"
    if did == "tag":
        return f"{done} candidate{'s' if done != 1 else ''} tagged.{ignored}"
    if did not in BULK_VERBS:
        return ""
    parts = [f"{done} application{'s' if done != 1 else ''} {BULK_VERBS[did]}."]
    if skipped:
        parts.append(f"{skipped} left as they were (already decided or already there).")
    if foreign:
        parts.append(f"{foreign} ignored: not in this requisition.")
    if marked:
        parts.append(f"{marked} marked silver medalist{'s' if marked != 1 else ''}.")
    return " ".join(parts)


async def _list_page(request: Request, requisition_id: int, *, stage: int | None,
                     status: str, q: str, after: int, errors: dict | None = None,
                     form: dict | None = None, notice: str = "",
                     status_code: int = 200) -> Template:
    context = await requisition_context(request, requisition_id, "pipeline")
    result = await board.page(requisition_id, stage=stage, status=status, q=q[:200],
                              after=after)
    next_url = None if result.next_after is None else _list_url(
        requisition_id, stage=stage, status=status, q=q, after=result.next_after)
    values = {"rows": result.rows, "next_url": next_url, "form": form or {}}
    if request.headers.get("hx-request") == "true" and after:
        return page(request, "backoffice/pipeline/_rows.html", **context, **values)
    stages = await board.stages(requisition_id)
    return page(request, "backoffice/pipeline/index.html", status_code=status_code,
                **context, **values, stages=stages, stage=stage or "", status=status, q=q,
                statuses=STATUS_LABELS, counts=await board.stage_counts(requisition_id),
                medians=await board.median_days(requisition_id, request.app.state.clock.now()),
                open_stages=[s for s in stages if s["kind"] not in DECISION_KINDS],
                reasons=await board.reasons("company"), errors=errors or {},
                notice=notice, bulk_actions=BULK_ACTIONS,
                email_templates=await hiring_emails.choices(), batch=uuid.uuid4().hex)


@get("/requisitions/{requisition_id:int}/pipeline", name="backoffice.pipeline.index",
     guards=CAN_WORK, include_in_schema=False)
async def index(request: Request, requisition_id: FromPath[int], stage: FromQuery[str] = "",
                status: FromQuery[str] = "", q: FromQuery[str] = "",
                after: FromQuery[str] = "", did: FromQuery[str] = "",
                done: FromQuery[str] = "", skipped: FromQuery[str] = "",
                foreign: FromQuery[str] = "", marked: FromQuery[str] = "") -> Template:
    return await _list_page(
        request, requisition_id, stage=as_int(stage),
        status=status if status in STATUS_LABELS else "", q=q, after=as_int(after) or 0,
        notice=_notice(did, as_int(done) or 0, as_int(skipped) or 0, as_int(foreign) or 0,
                       as_int(marked) or 0))


@post("/requisitions/{requisition_id:int}/pipeline/bulk", name="backoffice.pipeline.bulk",
      guards=CAN_WORK, include_in_schema=False)
async def bulk_action(request: Request, requisition_id: FromPath[int]) -> Template | Redirect:
    context = await requisition_context(request, requisition_id, "pipeline")
    form = await request.form()
    ids = [n for n in (as_int(v) for v in form.getall("ids", [])) if n is not None]
    action = str(form.get("action", ""))
    values = {"action": action, "to_stage": str(form.get("to_stage", "")),
              "reason": str(form.get("reason", "")), "note": str(form.get("note", ""))[:1000],
              "notify": "yes" if form.get("notify") == "yes" else "no",
              "template": str(form.get("template", ""))[:80],
              "tags": str(form.get("tags", ""))[:1000],
              "batch": str(form.get("batch", ""))}
    try:
        if action in ("email", "tag"):
            return await _contact(request, context, requisition_id, ids, values,
                                  confirmed=bool(form.get("confirmed")))
        return await _decide(request, context, requisition_id, ids, values, form)
    except Invalid as exc:
        return await _list_page(request, requisition_id, stage=None, status="", q="",
                                after=0, errors={"__all__": str(exc), **exc.errors},
                                form={**values, "ids": ids}, status_code=422)


async def _decide(request: Request, context: dict, requisition_id: int, ids: list[int],
                  values: dict, form) -> Template | Redirect:
    by, clock = context["current_staff"].email, request.app.state.clock
    queue = request.app.state.queue
    marked: list[int] = []
    if values["action"] == "move":
        result = await bulk.move(requisition_id, ids, as_int(values["to_stage"]) or 0,
                                 by=by, clock=clock, queue=queue)
    elif values["action"] == "reject":
        if not form.get("confirmed"):
            # A preview step before a reject that would also mark silver medalists,
            # so the recruiter sees each sentence and can untick (works without JS).
            reason = await reason_label(as_int(values["reason"]), "company")
            found = await silver.candidates(requisition_id, ids)
            if found:
                return page(request, "backoffice/pipeline/reject_preview.html",
                            **context, ids=ids, form=values, reason_text=reason,
                            silver=found)
        result, marked = await silver.reject_many(
            requisition_id, ids, as_int(values["reason"]), by=by, note=values["note"],
            clock=clock, ticked=[n for n in map(as_int, form.getall("silver", [])) if n],
            notify=values["notify"] == "yes", queue=queue)
    else:
        raise Invalid("Choose what to do with the selection.",
                      {"action": "Choose an action."})
    return Redirect(_list_url(requisition_id, did=values["action"],
                              done=str(len(result.done)), skipped=str(len(result.skipped)),
                              foreign=str(len(result.foreign)),
                              marked=str(len(marked)) if marked else ""),
                    status_code=303)


async def _contact(request: Request, context: dict, requisition_id: int, ids: list[int],
                   values: dict, *, confirmed: bool) -> Template | Redirect:
    """Bulk email (after a confirmation page showing the rendered template) and bulk tag,
    both on exactly the ticked applications."""
    by, clock = context["current_staff"].email, request.app.state.clock
    if values["action"] == "tag":
        tagged, foreign = await bulk.tag(requisition_id, ids, values["tags"], by=by,
                                         clock=clock)
        return Redirect(_list_url(requisition_id, did="tag", done=str(tagged),
                                  foreign=str(len(foreign))), status_code=303)
    if not _BATCH.match(values["batch"]):
        values["batch"] = uuid.uuid4().hex
    if not confirmed:
        if not ids:
            raise Invalid("Tick at least one application.", {"ids": "Tick at least one."})
        template = await hiring_emails.by_key(values["template"])
        return page(request, "backoffice/pipeline/email_confirm.html", **context,
                    ids=sorted(set(ids)), form=values, email_template=template,
                    preview=hiring_emails.preview(template, context["requisition"]))
    result = await bulk.email(requisition_id, ids, values["template"], batch=values["batch"],
                              by=by, clock=clock, queue=request.app.state.queue)
    return Redirect(_list_url(requisition_id, did="email", done=str(result.queued),
                              skipped=str(result.skipped), foreign=str(len(result.foreign))),
                    status_code=303)


@get("/requisitions/{requisition_id:int}/board", name="backoffice.pipeline.board",
     guards=CAN_WORK, include_in_schema=False)
async def kanban(request: Request, requisition_id: FromPath[int]) -> Template:
    return await board_page(request, requisition_id)


async def board_page(request: Request, requisition_id: int, *, error: str = "",
                     status_code: int = 200) -> Template:
    """The board; also re-rendered with `error` when a no-JavaScript move is refused."""
    context = await requisition_context(request, requisition_id, "pipeline")
    columns = await board.columns(requisition_id, now=request.app.state.clock.now())
    return page(request, "backoffice/pipeline/board.html", status_code=status_code,
                **context, columns=columns, error=error,
                open_stages=[c for c in columns if not c["decided"]])


ROUTES = [index, bulk_action, kanban]
