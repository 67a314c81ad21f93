"""Nurture sequences (CAMPAIGNS_MANAGE) under /backoffice/sequences: list, new/edit with
the server-rendered step editor, go live / pause / archive, migrate enrolled people,
enrol by hand (a person, a segment, a pool), the enrolments with pause / resume / exit,
version history; and every staff member's own recruiter tasks at /backoffice/tasks."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backoffice.auth import require_staff
from backoffice.permissions import requires
from domain.accounts.permissions import Permission
from domain.campaigns import rules as campaign_rules
from domain.errors import Conflict, Invalid, NotFound
from domain.people import queries as people
from domain.sequences import editor, queries, rules, service
from web_common import page

CAN_MANAGE = [requires(Permission.CAMPAIGNS_MANAGE)]
_BASE = "/backoffice/sequences"
_SETTINGS = ("name", "description", "purpose", "consent_scope", "owner", "allow_overlap",
             "allow_during_application", "entry_community_joined", "entry_community",
             "entry_pool_added", "entry_pool", "entry_tagged", "entry_tag",
             "entry_silver_medalist", "entry_job_function", "entry_went_cold",
             *(f"exit_{kind}" for kind in rules.EXIT_KINDS))
_NOTICES = {
    "created": "Sequence created as a draft. Make it live when it is ready.",
    "saved": "Sequence saved.", "activate": "The sequence is live.",
    "pause": "The sequence is paused: no step runs until it is live again.",
    "archive": "The sequence is archived; open enrolments were ended.",
    "migrated": "Enrolled people moved to the live version where their step exists.",
    "pause_enrollment": "Enrolment paused.", "resume_enrollment": "Enrolment resumed.",
    "exit_enrollment": "Enrolment ended.", "task_done": "Task marked done.",
}


@get("/sequences", name="backoffice.sequences", guards=CAN_MANAGE, include_in_schema=False)
async def index(request: Request, notice: FromQuery[str] = "") -> Template:
    return page(request, "backoffice/sequences/index.html",
                sequences=await queries.sequences(), purposes=campaign_rules.PURPOSES,
                notice=_NOTICES.get(notice, ""), current_staff=await require_staff(request))


def _settings_of(sequence: dict) -> dict[str, str]:
    values = {name: str(sequence.get(name) or "") for name in
              ("name", "description", "purpose", "consent_scope", "owner")}
    values["allow_overlap"] = "yes" if sequence.get("allow_overlap") else ""
    values["allow_during_application"] = "yes" if sequence.get("allow_during_application") else ""
    for rule in sequence.get("entry_rules") or []:
        kind = rule.get("kind", "")
        values[f"entry_{kind}"] = "yes"
        values["entry_community"] = rule.get("community", values.get("entry_community", ""))
        values["entry_pool"] = str(rule.get("pool_id") or values.get("entry_pool", ""))
        values["entry_tag"] = rule.get("tag", values.get("entry_tag", ""))
        values["entry_job_function"] = rule.get("job_function",
                                                values.get("entry_job_function", ""))
    for kind in sequence.get("exit_rules") or []:
        values[f"exit_{kind}"] = "yes"
    return values


async def _form(request: Request, values: dict, rows: list[dict], errors: dict, *,
                sequence: dict | None, notice: str = "", status: int = 200) -> Template:
    sequence_id = sequence["id"] if sequence else None
    choices = await queries.choices()
    return page(request, "backoffice/sequences/form.html", status_code=status,
                values=values, rows=rows, errors=errors, sequence=sequence,
                choices=choices, purposes=list(campaign_rules.PURPOSES.items()),
                stage_options=[(stage, stage) for stage in choices["pool_stages"]],
                step_types=rules.STEP_TYPES, tests=rules.TESTS, units=rules.WAIT_UNITS,
                windows=rules.WINDOWS, task_kinds=rules.TASK_KINDS, bands=rules.BANDS,
                entry_kinds=rules.ENTRY_KINDS, exit_kinds=rules.EXIT_KINDS,
                cases_shown=editor.CASES_SHOWN, notice=notice,
                band_options=[(band, band.capitalize()) for band in rules.BANDS],
                versions=await queries.versions(sequence_id) if sequence_id else [],
                open_count=await queries.count_open(sequence_id) if sequence_id else 0,
                current_staff=await require_staff(request))


@get("/sequences/new", name="backoffice.sequences.new", guards=CAN_MANAGE,
     include_in_schema=False)
async def new(request: Request) -> Template:
    staff = await require_staff(request)
    values = {"purpose": campaign_rules.COMMUNITY_EMAILS, "owner": staff.email,
              **{f"exit_{kind}": "yes" for kind in rules.DEFAULT_EXITS}}
    rows = [{"key": "s1", "type": "email", "next": "s2"}, {"key": "s2", "type": "end"}]
    return await _form(request, values, rows, {}, sequence=None)


@get("/sequences/{sequence_id:int}", name="backoffice.sequences.edit", guards=CAN_MANAGE,
     include_in_schema=False)
async def edit(request: Request, sequence_id: FromPath[int],
               notice: FromQuery[str] = "") -> Template:
    sequence = await queries.sequence(sequence_id)
    return await _form(request, _settings_of(sequence), editor.to_rows(sequence["steps"]), {},
                       sequence=sequence, notice=_NOTICES.get(notice, ""))


async def _save(request: Request, sequence: dict | None) -> Template | Redirect:
    form = {key: str(value) for key, value in (await request.form()).items()}
    values = {name: form.get(name, "")[:2000] for name in _SETTINGS}
    rows = editor.from_form(form)
    op = form.get("op", "save")
    if op != "save":
        template = None
        if op.startswith("copy:") and form.get("copy_template", "").isdigit():
            try:
                template = await queries.template_content(int(form["copy_template"]))
            except NotFound:
                template = None
        rows = editor.apply(op, rows, new_type=form.get("new_type", ""), template=template)
        return await _form(request, values, rows, {}, sequence=sequence)
    staff = await require_staff(request)
    now = request.app.state.clock.now()
    try:
        draft = service.parse(values, rows)
        if sequence is None:
            sequence_id = await service.create(draft, by=staff.email, now=now)
        else:
            sequence_id = sequence["id"]
            await service.update(sequence_id, draft, by=staff.email, now=now)
    except (Invalid, Conflict) as exc:
        errors = exc.errors if isinstance(exc, Invalid) else {"__all__": str(exc)}
        return await _form(request, values, rows, errors or {"__all__": str(exc)},
                           sequence=sequence, status=422)
    notice = "created" if sequence is None else "saved"
    return Redirect(f"{_BASE}/{sequence_id}?notice={notice}", status_code=303)


@post("/sequences/new", name="backoffice.sequences.create", guards=CAN_MANAGE,
      include_in_schema=False)
async def create(request: Request) -> Template | Redirect:
    return await _save(request, None)


@post("/sequences/{sequence_id:int}", name="backoffice.sequences.update", guards=CAN_MANAGE,
      include_in_schema=False)
async def update(request: Request, sequence_id: FromPath[int]) -> Template | Redirect:
    return await _save(request, await queries.sequence(sequence_id))


@post("/sequences/{sequence_id:int}/state", name="backoffice.sequences.state",
      guards=CAN_MANAGE, include_in_schema=False)
async def set_state(request: Request, sequence_id: FromPath[int]) -> Redirect:
    action = str((await request.form()).get("action", ""))
    staff = await require_staff(request)
    await service.set_state(sequence_id, action, by=staff.email,
                            now=request.app.state.clock.now())
    return Redirect(f"{_BASE}/{sequence_id}?notice={action}", status_code=303)


@post("/sequences/{sequence_id:int}/migrate", name="backoffice.sequences.migrate",
      guards=CAN_MANAGE, include_in_schema=False)
async def migrate(request: Request, sequence_id: FromPath[int]) -> Redirect:
    staff = await require_staff(request)
    await service.migrate_enrolled(sequence_id, by=staff.email,
                                   now=request.app.state.clock.now())
    return Redirect(f"{_BASE}/{sequence_id}?notice=migrated", status_code=303)


@get("/sequences/{sequence_id:int}/enrollments", name="backoffice.sequences.enrollments",
     guards=CAN_MANAGE, include_in_schema=False)
async def enrollments(request: Request, sequence_id: FromPath[int], show: FromQuery[str] = "",
                      after: FromQuery[int | None] = None, q: FromQuery[str] = "",
                      notice: FromQuery[str] = "", enrolled: FromQuery[int | None] = None,
                      skipped: FromQuery[int | None] = None) -> Template:
    sequence = await queries.sequence(sequence_id)
    state = show if show in queries.ENROLMENT_STATES else ""
    rows = await queries.enrollments(sequence_id, state=state, after=after)
    matches = (await people.search_people(q=q[:200], limit=10)).rows if q.strip() else []
    return page(request, "backoffice/sequences/enrollments.html", sequence=sequence,
                rows=rows, state=state, states=queries.ENROLMENT_STATES, q=q,
                matches=matches, choices=await queries.choices(),
                next_after=rows[-1]["id"] if len(rows) == queries.ENROLMENT_PAGE else None,
                notice=_NOTICES.get(notice, ""), enrolled=enrolled, skipped=skipped,
                error="", current_staff=await require_staff(request))


@post("/sequences/{sequence_id:int}/enrol", name="backoffice.sequences.enrol",
      guards=CAN_MANAGE, include_in_schema=False)
async def enrol(request: Request, sequence_id: FromPath[int]) -> Template | Redirect:
    form = await request.form()
    source = str(form.get("source", "person"))
    source = source if source in ("person", "segment", "pool") else "person"
    staff = await require_staff(request)
    try:
        enrolled, skipped = await service.enrol(
            sequence_id, source=source, ref=str(form.get(source, "")).strip(),
            by=staff.email, now=request.app.state.clock.now())
    except (Conflict, NotFound, Invalid) as exc:
        sequence = await queries.sequence(sequence_id)
        return page(request, "backoffice/sequences/enrollments.html", status_code=422,
                    sequence=sequence, rows=await queries.enrollments(sequence_id),
                    state="", states=queries.ENROLMENT_STATES, q="", matches=[],
                    choices=await queries.choices(), next_after=None, notice="",
                    enrolled=None, skipped=None, error=str(exc), current_staff=staff)
    return Redirect(f"{_BASE}/{sequence_id}/enrollments?enrolled={enrolled}"
                    f"&skipped={skipped}", status_code=303)


@post("/sequences/enrollments/{enrollment_id:int}/{action:str}",
      name="backoffice.sequences.enrollment_action", guards=CAN_MANAGE,
      include_in_schema=False)
async def enrollment_action(request: Request, enrollment_id: FromPath[int],
                            action: FromPath[str]) -> Redirect:
    staff = await require_staff(request)
    sequence_id = await service.change_enrollment(enrollment_id, action, by=staff.email,
                                                  now=request.app.state.clock.now())
    return Redirect(f"{_BASE}/{sequence_id}/enrollments?notice={action}_enrollment",
                    status_code=303)


@get("/tasks", name="backoffice.tasks", include_in_schema=False)
async def tasks(request: Request, notice: FromQuery[str] = "") -> Template:
    staff = await require_staff(request)
    return page(request, "backoffice/sequences/tasks.html",
                tasks=await queries.open_tasks(staff.email), kinds=rules.TASK_KINDS,
                notice=_NOTICES.get(notice, ""), current_staff=staff)


@post("/tasks/{task_id:int}/done", name="backoffice.tasks.done", include_in_schema=False)
async def task_done(request: Request, task_id: FromPath[int]) -> Redirect:
    staff = await require_staff(request)
    await service.complete_task(task_id, by=staff.email, now=request.app.state.clock.now())
    return Redirect("/backoffice/tasks?notice=task_done", status_code=303)


ROUTES = [index, new, edit, create, update, set_state, migrate, enrollments, enrol,
          enrollment_action, tasks, task_done]
