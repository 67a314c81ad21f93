"""Campaigns under /backoffice/campaigns: list, new/edit (with a CSV audience), the
campaign page (eligibility forecast, progress, actions by state and permission), the
approval screen, preview for a person, the sends left in doubt, and the marketing
settings (MARKETING_SETTINGS). Logic lives in domain.campaigns.*; these handlers parse,
call one service and render."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from litestar import MediaType, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from backoffice.auth import require_staff
from backoffice.controllers.mail import EMAIL_PREVIEW_POLICY
from backoffice.permissions import requires
from domain.accounts.permissions import Permission
from domain.campaigns import (
    campaign_queries,
    campaign_rules,
    campaigns,
    csv_audience,
    exclusions,
    marketing_settings,
    rules,
)
from domain.campaigns import templates as marketing
from domain.errors import Conflict, Invalid
from domain.people import queries as people
from domain.sandbox import TemplateProblem
from settings import get_settings
from web_common import page

CAN_MANAGE = [requires(Permission.CAMPAIGNS_MANAGE)]
CAN_APPROVE = [requires(Permission.CAMPAIGNS_APPROVE)]
CAN_SETTINGS = [requires(Permission.MARKETING_SETTINGS)]
BASE = "/backoffice/campaigns"
UPLOAD_BODY_LIMIT = csv_audience.MAX_BYTES + 256 * 1024
_FIELDS = ("name", "template", "subject", "html_body", "text_body", "consent_scope",
           "merge_event", "merge_requisition", "audience_kind", "segment_id", "pool_id",
           "community_slug", "event_id", "event_filter", "exclude_applicants", "send_mode",
           "send_at", "zone_mode", "time_zone", "window_start", "window_end",
           "rate_per_minute")
_NOTICES = {
    "created": "Campaign created as a draft.", "saved": "Saved. The campaign is a draft "
    "again: submit it for approval when it is ready.",
    "submitted": "Submitted for approval.", "approved": "Approved.",
    "rejected": "Sent back to draft with your reason.", "scheduled": "Scheduled.",
    "duplicated": "This is a copy: a new draft.", "paused": "Paused.",
    "resumed": "Resumed.", "cancelled": "Cancelled: no more emails go out.",
    "uploaded": "Audience file uploaded. The campaign is a draft again.",
    "decided": "Decision recorded.", "settings": "Settings saved.",
    "unpaused": "Marketing email is no longer paused.",
}
KIND_LABELS = {"segment": "A saved segment", "pool": "A talent pool",
               "community": "A community's members", "event": "An event's people",
               "csv": "A CSV file of existing people"}
EVENT_FILTER_LABELS = {"": "Registered, attended or no-show", "registered": "Registered",
                       "attended": "Attended", "no_show": "No-shows"}


_KIND_FIELDS = {"segment": "segment_id", "pool": "pool_id", "community": "community_slug",
                "event": "event_id"}


def _notice(key: str) -> str:
    return _NOTICES.get(key, "")


@get("/campaigns", name="backoffice.campaigns.index", guards=CAN_MANAGE,
     include_in_schema=False)
async def index(request: Request, after: FromQuery[str] = "",
                notice: FromQuery[str] = "",
                state_filter: Annotated[str, QueryParameter(name="state")] = "") -> Template:
    # ("state" is a reserved handler argument in Litestar: the app state)
    state = state_filter if state_filter in campaign_rules.STATES else ""
    try:
        rows, next_after = await campaign_queries.campaigns(state=state, after=after[:100])
    except Invalid:
        rows, next_after = await campaign_queries.campaigns(state=state)
    return page(request, "backoffice/campaigns/index.html", rows=rows, next_after=next_after,
                state=state, states=campaign_rules.STATE_LABELS, notice=_notice(notice),
                kinds=KIND_LABELS, current_staff=await require_staff(request))


# --- The form ---------------------------------------------------------------------------

def _local(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def _values_of(campaign: dict) -> dict:
    ref, kind = campaign["audience_ref"], campaign["audience_kind"]
    merge = campaign["merge_values"] or {}
    return {
        "name": campaign["name"], "template": str(campaign["template"] or ""),
        "subject": campaign["subject"], "html_body": campaign["html_body"],
        "text_body": campaign["text_body"] if campaign["text_is_custom"] else "",
        "consent_scope": campaign["consent_scope"],
        "merge_event": str(merge.get("event_id", "")),
        "merge_requisition": str(merge.get("requisition_id", "")),
        "audience_kind": kind, "segment_id": ref if kind == "segment" else "",
        "pool_id": ref if kind == "pool" else "",
        "community_slug": ref if kind == "community" else "",
        "event_id": ref if kind == "event" else "", "event_filter": campaign["event_filter"],
        "exclude_applicants": "on" if campaign["exclude_applicants"] else "",
        "send_mode": "later" if campaign["send_at"] else "now",
        "send_at": _local(campaign["send_at"], campaign["time_zone"]),
        "zone_mode": campaign["zone_mode"], "time_zone": campaign["time_zone"],
        "window_days": [str(day) for day in campaign["window_days"] or []],
        "window_start": "" if campaign["window_start"] is None else str(campaign["window_start"]),
        "window_end": "" if campaign["window_end"] is None else str(campaign["window_end"]),
        "rate_per_minute": str(campaign["rate_per_minute"] or ""),
    }


_NEW_VALUES = dict.fromkeys(_FIELDS, "") | {
    "audience_kind": "segment", "exclude_applicants": "on", "send_mode": "now",
    "zone_mode": "fixed", "time_zone": "UTC", "window_days": []}


async def _options(staff_id: int) -> dict[str, list[tuple]]:
    """The form's select options, (value, label) each."""
    found = await campaign_queries.choices(staff_id)
    return {
        "templates": [(t["id"], f"{t['name']} ({rules.PURPOSES.get(t['purpose'], '')})")
                      for t in found["templates"]],
        "scopes": [(c["slug"], f"Community: {c['name']}") for c in found["communities"]]
        + [(e["slug"], f"Event: {e['title']}") for e in found["events"]],
        "events": [(e["id"], e["title"]) for e in found["events"]],
        "requisitions": [(r["id"], r["title"]) for r in found["requisitions"]],
        "segments": [(s["id"], s["name"]) for s in found["segments"]],
        "pools": [(p["id"], p["name"]) for p in found["pools"]],
        "communities": [(c["slug"], c["name"]) for c in found["communities"]],
        "zones": [(zone, zone) for zone in campaign_rules.zone_names()],
    }


async def _form(request: Request, values: dict, errors: dict, *, campaign: dict | None,
                status: int = 200, csv_report: csv_audience.CsvReport | None = None,
                notice: str = "") -> Template:
    if "audience_ref" in errors:  # shown at the select of the chosen kind
        field = _KIND_FIELDS.get(values.get("audience_kind", ""), "audience_kind")
        errors = {**errors, field: errors["audience_ref"]}
        errors.pop("audience_ref")
    staff = await require_staff(request)
    return page(request, "backoffice/campaigns/form.html", status_code=status,
                values=values, errors=errors, campaign=campaign,
                options=await _options(staff.id),
                kinds=KIND_LABELS, event_filters=EVENT_FILTER_LABELS,
                zone_modes=campaign_rules.ZONE_MODES, weekdays=campaign_rules.WEEKDAYS,
                merge_fields=rules.MERGE_FIELDS,
                csv_report=csv_report, notice=notice,
                current_staff=await require_staff(request))


async def _posted(request: Request) -> dict:
    form = await request.form()
    values = {name: str(form.get(name) or "")[:60_000] for name in _FIELDS}
    values["window_days"] = [str(day)[:2] for day in form.getall("window_days", [])][:7]
    return values


@get("/campaigns/new", name="backoffice.campaigns.new", guards=CAN_MANAGE,
     include_in_schema=False)
async def new(request: Request) -> Template:
    return await _form(request, dict(_NEW_VALUES), {}, campaign=None)


@post("/campaigns/new", name="backoffice.campaigns.create", guards=CAN_MANAGE,
      include_in_schema=False)
async def create(request: Request) -> Template | Redirect:
    values = await _posted(request)
    staff = await require_staff(request)
    try:
        draft = await campaigns.parse(values, staff_id=staff.id)
        campaign_id = await campaigns.create(draft, by=staff, clock=request.app.state.clock)
    except Invalid as exc:
        return await _form(request, values, exc.errors, campaign=None, status=422)
    return Redirect(f"{BASE}/{campaign_id}?notice=created", status_code=303)


@get("/campaigns/{campaign_id:int}/edit", name="backoffice.campaigns.edit",
     guards=CAN_MANAGE, include_in_schema=False)
async def edit(request: Request, campaign_id: FromPath[int]) -> Template:
    campaign = await campaigns.get(campaign_id)
    return await _form(request, _values_of(campaign), {}, campaign=campaign)


@post("/campaigns/{campaign_id:int}/edit", name="backoffice.campaigns.update",
      guards=CAN_MANAGE, include_in_schema=False)
async def update(request: Request, campaign_id: FromPath[int]) -> Template | Redirect:
    campaign = await campaigns.get(campaign_id)
    values = await _posted(request)
    staff = await require_staff(request)
    try:
        draft = await campaigns.parse(values, staff_id=staff.id)
        await campaigns.update(campaign_id, draft, by=staff, clock=request.app.state.clock)
    except Invalid as exc:
        return await _form(request, values, exc.errors, campaign=campaign, status=422)
    except Conflict as exc:
        return await _form(request, values, {"name": str(exc)}, campaign=campaign,
                           status=409)
    return Redirect(f"{BASE}/{campaign_id}?notice=saved", status_code=303)


@post("/campaigns/{campaign_id:int}/audience", name="backoffice.campaigns.audience_csv",
      guards=CAN_MANAGE, include_in_schema=False, request_max_body_size=UPLOAD_BODY_LIMIT)
async def upload_audience(request: Request, campaign_id: FromPath[int]) -> Template | Redirect:
    campaign = await campaigns.get(campaign_id)
    upload_ = (await request.form()).get("file")
    report = None
    try:
        if not isinstance(upload_, UploadFile) or not upload_.filename:
            raise Invalid("Choose a file.", {"file": "Choose the CSV file to upload."})
        data = await upload_.read(csv_audience.MAX_BYTES + 1)
        report = await csv_audience.upload(campaign_id, data, by=await require_staff(request),
                                           clock=request.app.state.clock)
    except Invalid as exc:
        return await _form(request, _values_of(campaign), exc.errors, campaign=campaign,
                           status=422, csv_report=csv_audience.refused_report(exc))
    except Conflict as exc:
        return await _form(request, _values_of(campaign), {"file": str(exc)},
                           campaign=campaign, status=409)
    fresh = await campaigns.get(campaign_id)
    return await _form(request, _values_of(fresh), {}, campaign=fresh, csv_report=report,
                       notice=_notice("uploaded"))


# --- The campaign page and its actions ----------------------------------------------------

async def _detail(request: Request, campaign_id: int, *, notice: str = "",
                  problem: str = "", status: int = 200) -> Template:
    staff = await require_staff(request)
    campaign = await campaigns.get(campaign_id)
    progress = await campaign_queries.progress(campaign_id)
    can_approve = Permission.CAMPAIGNS_APPROVE in staff.permissions
    state = campaign["state"]
    actions = {
        "edit": campaign_rules.can("edit", state),
        "submit": campaign_rules.can("submit", state),
        "approve": (campaign_rules.can("approve", state) and can_approve
                    and campaign_rules.may_approve(staff.email, campaign)),
        "schedule": campaign_rules.can("schedule", state)
        and campaigns.may_schedule(staff, campaign),
        "pause": campaign_rules.can("pause", state),
        "resume": campaign_rules.can("resume", state),
        "cancel": campaign_rules.can("cancel", state),
        "in_doubt": can_approve and progress.get("in_doubt", 0) > 0,
    }
    return page(request, "backoffice/campaigns/detail.html", status_code=status,
                campaign=campaign, progress=progress, actions=actions,
                audience=await campaign_queries.audience_label(campaign),
                rejection=await campaign_queries.rejection(campaign_id),
                state_label=campaign_rules.STATE_LABELS.get(state, state),
                window=campaign_rules.window_label(campaign["window_days"] or [],
                                                   campaign["window_start"],
                                                   campaign["window_end"]),
                zone_modes=campaign_rules.ZONE_MODES, purposes=rules.PURPOSES,
                waiting_for_other=(state == "submitted" and can_approve
                                   and not campaign_rules.may_approve(staff.email, campaign)),
                notice=notice, problem=problem, current_staff=staff)


@get("/campaigns/{campaign_id:int}", name="backoffice.campaigns.detail", guards=CAN_MANAGE,
     include_in_schema=False)
async def detail(request: Request, campaign_id: FromPath[int],
                 notice: FromQuery[str] = "") -> Template:
    return await _detail(request, campaign_id, notice=_notice(notice))


async def _forecast(request: Request, campaign: dict) -> dict:
    try:
        found = await exclusions.count(campaign, now=request.app.state.clock.now())
    except Invalid as exc:
        return {"problem": str(exc)}
    return {"found": found}


@get("/campaigns/{campaign_id:int}/eligibility", name="backoffice.campaigns.eligibility",
     guards=CAN_MANAGE, include_in_schema=False)
async def eligibility(request: Request, campaign_id: FromPath[int]) -> Template:
    """The eligibility forecast as a fragment (the campaign page loads it with htmx)."""
    campaign = await campaigns.get(campaign_id)
    return page(request, "backoffice/campaigns/_eligibility.html",
                **await _forecast(request, campaign))


async def _act(request: Request, campaign_id: int, notice: str, action) -> Response:
    """Run one action; a refusal that is not a permission matter re-renders the page
    with the reason (409/422), never a stack trace."""
    try:
        await action(await require_staff(request))
    except (Invalid, Conflict) as exc:
        status = 422 if isinstance(exc, Invalid) else 409
        message = str(exc) if not getattr(exc, "errors", None) else "; ".join(
            exc.errors.values())  # type: ignore[union-attr]
        return await _detail(request, campaign_id, problem=message, status=status)
    return Redirect(f"{BASE}/{campaign_id}?notice={notice}", status_code=303)


@post("/campaigns/{campaign_id:int}/submit", name="backoffice.campaigns.submit",
      guards=CAN_MANAGE, include_in_schema=False)
async def submit(request: Request, campaign_id: FromPath[int]) -> Response:
    clock = request.app.state.clock
    return await _act(request, campaign_id, "submitted", lambda staff: campaigns.submit(
        campaign_id, by=staff, clock=clock))


@post("/campaigns/{campaign_id:int}/schedule", name="backoffice.campaigns.schedule",
      guards=CAN_MANAGE, include_in_schema=False)
async def schedule(request: Request, campaign_id: FromPath[int]) -> Response:
    state = request.app.state
    return await _act(request, campaign_id, "scheduled", lambda staff: campaigns.schedule(
        campaign_id, by=staff, clock=state.clock, queue=state.queue))


@post("/campaigns/{campaign_id:int}/pause", name="backoffice.campaigns.pause",
      guards=CAN_MANAGE, include_in_schema=False)
async def pause(request: Request, campaign_id: FromPath[int]) -> Response:
    clock = request.app.state.clock
    return await _act(request, campaign_id, "paused", lambda staff: campaigns.pause(
        campaign_id, by=staff, clock=clock))


@post("/campaigns/{campaign_id:int}/resume", name="backoffice.campaigns.resume",
      guards=CAN_MANAGE, include_in_schema=False)
async def resume(request: Request, campaign_id: FromPath[int]) -> Response:
    state = request.app.state
    return await _act(request, campaign_id, "resumed", lambda staff: campaigns.resume(
        campaign_id, by=staff, clock=state.clock, queue=state.queue))


@post("/campaigns/{campaign_id:int}/cancel", name="backoffice.campaigns.cancel",
      guards=CAN_MANAGE, include_in_schema=False)
async def cancel(request: Request, campaign_id: FromPath[int]) -> Response:
    clock = request.app.state.clock
    return await _act(request, campaign_id, "cancelled", lambda staff: campaigns.cancel(
        campaign_id, by=staff, clock=clock))


@post("/campaigns/{campaign_id:int}/duplicate", name="backoffice.campaigns.duplicate",
      guards=CAN_MANAGE, include_in_schema=False)
async def duplicate(request: Request, campaign_id: FromPath[int]) -> Redirect:
    copy = await campaigns.duplicate(campaign_id, by=await require_staff(request),
                                     clock=request.app.state.clock)
    return Redirect(f"{BASE}/{copy}?notice=duplicated", status_code=303)


# --- Approval -------------------------------------------------------------------------------

async def _approval(request: Request, campaign_id: int, *, errors: dict | None = None,
                    reason: str = "", status: int = 200) -> Template:
    staff = await require_staff(request)
    campaign = await campaigns.get(campaign_id)
    rendered, problem = _render(campaign, _sample_values(campaign, staff))
    return page(request, "backoffice/campaigns/approve.html", status_code=status,
                campaign=campaign, rendered=rendered, render_problem=problem,
                audience=await campaign_queries.audience_label(campaign),
                may_approve=campaign_rules.may_approve(staff.email, campaign),
                state_label=campaign_rules.STATE_LABELS.get(campaign["state"], ""),
                window=campaign_rules.window_label(campaign["window_days"] or [],
                                                   campaign["window_start"],
                                                   campaign["window_end"]),
                purposes=rules.PURPOSES, errors=errors or {}, reason=reason,
                current_staff=staff, **await _forecast(request, campaign))


@get("/campaigns/{campaign_id:int}/approve", name="backoffice.campaigns.approval",
     guards=CAN_APPROVE, include_in_schema=False)
async def approval(request: Request, campaign_id: FromPath[int]) -> Template:
    return await _approval(request, campaign_id)


@post("/campaigns/{campaign_id:int}/approve", name="backoffice.campaigns.approve",
      guards=CAN_APPROVE, include_in_schema=False)
async def approve(request: Request, campaign_id: FromPath[int]) -> Template | Redirect:
    raw = str((await request.form()).get("revision") or "")
    try:
        if not raw.isdigit() or len(raw) > 9:
            raise Conflict("Open the approval screen again and review the campaign.")
        await campaigns.approve(campaign_id, int(raw), by=await require_staff(request),
                                clock=request.app.state.clock)
    except Conflict as exc:
        return await _approval(request, campaign_id, errors={"revision": str(exc)},
                               status=409)
    return Redirect(f"{BASE}/{campaign_id}?notice=approved", status_code=303)


@post("/campaigns/{campaign_id:int}/reject", name="backoffice.campaigns.reject",
      guards=CAN_APPROVE, include_in_schema=False)
async def reject(request: Request, campaign_id: FromPath[int]) -> Template | Redirect:
    reason = str((await request.form()).get("reason") or "")[:2000]
    try:
        await campaigns.reject(campaign_id, reason, by=await require_staff(request),
                               clock=request.app.state.clock)
    except Invalid as exc:
        return await _approval(request, campaign_id, errors=exc.errors, reason=reason,
                               status=422)
    except Conflict as exc:
        return await _approval(request, campaign_id, errors={"reason": str(exc)},
                               reason=reason, status=409)
    return Redirect(f"{BASE}/{campaign_id}?notice=rejected", status_code=303)


# --- Preview ---------------------------------------------------------------------------------

def _sample_values(campaign: dict, staff) -> dict:
    merge = campaign["merge_values"] or {}
    extra = {key: str(merge[key]) for key in ("event_title", "requisition") if key in merge}
    return {**marketing.sample_values(staff), **extra}


def _render(campaign: dict, values: dict) -> tuple[rules.Rendered | None, str]:
    text = campaign["text_body"] if campaign["text_is_custom"] else ""
    try:
        return rules.render_template(campaign["subject"], campaign["html_body"], text,
                                     values), ""
    except TemplateProblem as exc:
        return None, str(exc)


async def _preview_for(request: Request, campaign: dict, person: int | None):
    staff = await require_staff(request)
    chosen = None
    values = _sample_values(campaign, staff)
    if person is not None:
        chosen = await marketing.person_values(person, campaign["purpose"], staff=staff,
                                               clock=request.app.state.clock)
        merge = campaign["merge_values"] or {}
        values = {**chosen["values"], **{key: str(merge[key]) for key in
                                         ("event_title", "requisition") if key in merge}}
    rendered, problem = _render(campaign, values)
    return chosen, rendered, problem


@get("/campaigns/{campaign_id:int}/preview", name="backoffice.campaigns.preview",
     guards=CAN_MANAGE, include_in_schema=False)
async def preview(request: Request, campaign_id: FromPath[int],
                  person: FromQuery[int | None] = None, q: FromQuery[str] = "") -> Template:
    campaign = await campaigns.get(campaign_id)
    chosen, rendered, problem = await _preview_for(request, campaign, person)
    matches = (await people.search_people(q=q[:200], limit=10)).rows if q.strip() else []
    return page(request, "backoffice/campaigns/preview.html", campaign=campaign,
                chosen=chosen, rendered=rendered, problem=problem, q=q, matches=matches,
                purposes=rules.PURPOSES, current_staff=await require_staff(request))


@get("/campaigns/{campaign_id:int}/preview/html", name="backoffice.campaigns.preview_html",
     guards=CAN_MANAGE, include_in_schema=False)
async def preview_html(request: Request, campaign_id: FromPath[int],
                       person: FromQuery[int | None] = None) -> Response:
    """The rendered HTML in the brand layout, for the preview's sandboxed frame (its own
    strict policy: inline styles only)."""
    campaign = await campaigns.get(campaign_id)
    _, rendered, _ = await _preview_for(request, campaign, person)
    if rendered is None:
        raise NotFoundException("This campaign cannot be rendered.")
    settings = get_settings()
    layout = request.app.template_engine.get_template("email/marketing_test/body.html")
    document = layout.render({"subject_line": rendered.subject, "body_html": rendered.html,
                              "company_name": settings.company_name,
                              "postal_address": settings.postal_address})
    return Response(document, media_type=MediaType.HTML,
                    headers={"content-security-policy": EMAIL_PREVIEW_POLICY})


# --- Sends in doubt ---------------------------------------------------------------------------

@get("/campaigns/{campaign_id:int}/in-doubt", name="backoffice.campaigns.in_doubt",
     guards=CAN_APPROVE, include_in_schema=False)
async def in_doubt(request: Request, campaign_id: FromPath[int],
                   notice: FromQuery[str] = "") -> Template:
    return await _in_doubt_page(request, campaign_id, notice=_notice(notice))


async def _in_doubt_page(request: Request, campaign_id: int, *, notice: str = "",
                         errors: dict | None = None, status: int = 200) -> Template:
    return page(request, "backoffice/campaigns/in_doubt.html", status_code=status,
                campaign=await campaigns.get(campaign_id),
                sends=await campaign_queries.in_doubt(campaign_id), notice=notice,
                errors=errors or {}, current_staff=await require_staff(request))


@post("/campaigns/{campaign_id:int}/in-doubt", name="backoffice.campaigns.decide",
      guards=CAN_APPROVE, include_in_schema=False)
async def decide(request: Request, campaign_id: FromPath[int]) -> Template | Redirect:
    form = await request.form()
    ids = [int(raw) for raw in form.getall("send", [])[:1000]
           if str(raw).isdigit() and len(str(raw)) < 19]
    try:
        await campaigns.decide_in_doubt(campaign_id, ids, str(form.get("decision") or ""),
                                        by=await require_staff(request),
                                        clock=request.app.state.clock)
    except (Invalid, Conflict) as exc:
        errors = getattr(exc, "errors", None) or {"send": str(exc)}
        return await _in_doubt_page(request, campaign_id, errors=errors, status=422)
    return Redirect(f"{BASE}/{campaign_id}/in-doubt?notice=decided", status_code=303)


# --- Marketing settings -----------------------------------------------------------------------

async def _settings_page(request: Request, *, values: dict | None = None,
                         errors: dict | None = None, notice: str = "",
                         status: int = 200) -> Template:
    current = await marketing_settings.current()
    return page(request, "backoffice/campaigns/settings.html", status_code=status,
                settings_row=current, values=values or {
                    "cap_messages": str(current["cap_messages"]),
                    "cap_days": str(current["cap_days"])},
                errors=errors or {}, notice=notice,
                current_staff=await require_staff(request))


@get("/campaigns/settings", name="backoffice.campaigns.settings", guards=CAN_SETTINGS,
     include_in_schema=False)
async def settings_page(request: Request, notice: FromQuery[str] = "") -> Template:
    return await _settings_page(request, notice=_notice(notice))


@post("/campaigns/settings", name="backoffice.campaigns.settings_save",
      guards=CAN_SETTINGS, include_in_schema=False)
async def settings_save(request: Request) -> Template | Redirect:
    form = await request.form()
    values = {name: str(form.get(name) or "")[:10] for name in ("cap_messages", "cap_days")}
    try:
        await marketing_settings.save_cap(marketing_settings.parse_cap(values),
                                          by=await require_staff(request),
                                          clock=request.app.state.clock)
    except Invalid as exc:
        return await _settings_page(request, values=values, errors=exc.errors, status=422)
    return Redirect(f"{BASE}/settings?notice=settings", status_code=303)


@post("/campaigns/settings/lift-pause", name="backoffice.campaigns.lift_pause",
      guards=CAN_SETTINGS, include_in_schema=False)
async def lift_pause(request: Request) -> Template | Redirect:
    try:
        await marketing_settings.lift_pause(by=await require_staff(request),
                                            clock=request.app.state.clock)
    except Conflict as exc:
        return await _settings_page(request, errors={"pause": str(exc)}, status=409)
    return Redirect(f"{BASE}/settings?notice=unpaused", status_code=303)


ROUTES = [index, new, create, edit, update, upload_audience, detail, eligibility, submit,
          schedule, pause, resume, cancel, duplicate, approval, approve, reject, preview,
          preview_html, in_doubt, decide, settings_page, settings_save, lift_pause]
