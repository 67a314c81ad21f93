"""The skills taxonomy (SKILLS_MANAGE): the searchable list, adding and editing a skill,
merging one into another (preview, then one transaction), and the unmatched free text
people wrote, to map onto a skill or add as a new one."""

from __future__ import annotations

from urllib.parse import quote

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backoffice.auth import require_staff
from backoffice.permissions import requires
from domain.accounts.permissions import Permission
from domain.errors import Invalid
from domain.skills import queries, service
from domain.skills.rules import CATEGORIES, parse_skill
from web_common import page

CAN_MANAGE = [requires(Permission.SKILLS_MANAGE)]
_BASE = "/backoffice/skills"
_NOTICES = {"added": "Skill added.", "saved": "Skill saved.",
            "merged": "Skills merged: every reference now names this skill."}


@get("/skills", name="backoffice.skills.index", guards=CAN_MANAGE, include_in_schema=False)
async def index(request: Request, q: FromQuery[str] = "", category: FromQuery[str] = "",
                after: FromQuery[str] = "", notice: FromQuery[str] = "") -> Template:
    q, category = q.strip()[:80], category if category in dict(CATEGORIES) else ""
    found = await queries.skills_page(q=q, category=category, cursor=after[:200])
    next_url = None
    if found.next_cursor:
        next_url = f"{_BASE}?q={quote(q)}&category={category}&after={found.next_cursor}"
    return page(request, "backoffice/skills/index.html", skills=found.rows, q=q,
                category=category, categories=list(CATEGORIES), next_url=next_url,
                category_labels=dict(CATEGORIES), notice=_NOTICES.get(notice, ""),
                current_staff=await require_staff(request))


def _raw(form: dict) -> dict[str, str]:
    return {key: str(form.get(key) or "")[:4000]
            for key in ("name", "category", "parent", "synonyms", "from_text")}


async def _form(request: Request, values: dict, errors: dict, *, skill: dict | None = None,
                status: int = 200, notice: str = "") -> Template:
    choices = await queries.choices()
    if skill:  # a skill cannot be its own parent
        choices = [(slug, name) for slug, name in choices if slug != skill["slug"]]
    return page(request, "backoffice/skills/form.html", status_code=status, values=values,
                errors=errors, skill=skill, categories=list(CATEGORIES),
                parent_choices=choices, notice=notice,
                current_staff=await require_staff(request))


@get("/skills/new", name="backoffice.skills.new", guards=CAN_MANAGE, include_in_schema=False)
async def new(request: Request, text: FromQuery[str] = "") -> Template:
    text = text.strip()[:120]
    return await _form(request, {"name": text, "category": "", "parent": "", "synonyms": "",
                                 "from_text": text}, {})


@post("/skills/new", name="backoffice.skills.create", guards=CAN_MANAGE,
      include_in_schema=False)
async def create(request: Request) -> Template | Redirect:
    staff = await require_staff(request)
    raw = _raw(dict(await request.form()))
    draft, errors = parse_skill(raw)
    try:
        if errors:
            raise Invalid(errors={**await service.clash_errors(draft), **errors})
        if raw["from_text"].strip():
            skill, _ = await service.add_unmatched(raw["from_text"], draft, by=staff.email,
                                                   clock=request.app.state.clock)
        else:
            skill = await service.add(draft, by=staff.email, clock=request.app.state.clock)
    except Invalid as exc:
        return await _form(request, raw, exc.errors, status=422)
    return Redirect(f"{_BASE}/{skill['id']}?notice=added", status_code=303)


def _values(skill: dict) -> dict[str, str]:
    return {"name": skill["name"], "category": skill["category"], "parent": skill["parent"],
            "synonyms": ", ".join(skill["synonyms"]), "from_text": ""}


@get("/skills/{skill_id:int}", name="backoffice.skills.detail", guards=CAN_MANAGE,
     include_in_schema=False)
async def detail(request: Request, skill_id: FromPath[int],
                 notice: FromQuery[str] = "") -> Template:
    skill = await queries.skill(skill_id)
    return await _form(request, _values(skill), {}, skill=skill,
                       notice=_NOTICES.get(notice, ""))


@post("/skills/{skill_id:int}", name="backoffice.skills.update", guards=CAN_MANAGE,
      include_in_schema=False)
async def update(request: Request, skill_id: FromPath[int]) -> Template | Redirect:
    staff = await require_staff(request)
    skill = await queries.skill(skill_id)  # 404 before reading the form
    raw = _raw(dict(await request.form()))
    draft, errors = parse_skill(raw)
    try:
        if errors:
            raise Invalid(errors={**await service.clash_errors(draft, skill["slug"]), **errors})
        await service.update(skill_id, draft, by=staff.email, clock=request.app.state.clock)
    except Invalid as exc:
        return await _form(request, raw, exc.errors, skill=skill, status=422)
    return Redirect(f"{_BASE}/{skill_id}?notice=saved", status_code=303)


async def _merge_page(request: Request, skill: dict, into: str, errors: dict,
                      status: int = 200) -> Template:
    target = await queries.skill_by_slug(into) if into else None
    if into and target is None and not errors:
        errors = {"into": "Choose a skill from the list."}
        status = 422
    if target and target["id"] == skill["id"]:
        errors, target, status = {"into": "Choose a different skill."}, None, 422
    return page(request, "backoffice/skills/merge.html", status_code=status, skill=skill,
                target=target, into=into, errors=errors,
                choices=[c for c in await queries.choices() if c[0] != skill["slug"]],
                current_staff=await require_staff(request))


@get("/skills/{skill_id:int}/merge", name="backoffice.skills.merge_preview",
     guards=CAN_MANAGE, include_in_schema=False)
async def merge_preview(request: Request, skill_id: FromPath[int],
                        into: FromQuery[str] = "") -> Template:
    """Pick the skill to merge into; with `into`, the counts that the merge will rewrite
    (the source's usage: every reference of its slug)."""
    return await _merge_page(request, await queries.skill(skill_id), into.strip()[:80], {})


@post("/skills/{skill_id:int}/merge", name="backoffice.skills.merge", guards=CAN_MANAGE,
      include_in_schema=False)
async def merge(request: Request, skill_id: FromPath[int]) -> Template | Redirect:
    staff = await require_staff(request)
    skill = await queries.skill(skill_id)
    into = str((await request.form()).get("into") or "").strip()[:80]
    target = await queries.skill_by_slug(into)
    if target is None:
        return await _merge_page(request, skill, "", {"into": "Choose a skill from the list."},
                                 status=422)
    try:
        await service.merge(skill_id, target["id"], by=staff.email,
                            clock=request.app.state.clock)
    except Invalid as exc:
        return await _merge_page(request, skill, "", exc.errors, status=422)
    return Redirect(f"{_BASE}/{target['id']}?notice=merged", status_code=303)


async def _unmatched_page(request: Request, *, errors: dict | None = None, notice: str = "",
                          values: dict | None = None, status: int = 200) -> Template:
    return page(request, "backoffice/skills/unmatched.html", status_code=status,
                entries=await queries.unmatched(), names=[n for _, n in await queries.choices()],
                errors=errors or {}, values=values or {}, notice=notice,
                limit=queries.UNMATCHED_LIMIT, current_staff=await require_staff(request))


@get("/skills/unmatched", name="backoffice.skills.unmatched", guards=CAN_MANAGE,
     include_in_schema=False)
async def unmatched(request: Request, notice: FromQuery[str] = "",
                    people: FromQuery[int] = 0) -> Template:
    text = ""
    if notice == "mapped":
        text = f"Mapped: {people} {'person' if people == 1 else 'people'} now have that skill."
    return await _unmatched_page(request, notice=text)


@post("/skills/unmatched/map", name="backoffice.skills.map_unmatched", guards=CAN_MANAGE,
      include_in_schema=False)
async def map_unmatched(request: Request) -> Template | Redirect:
    staff = await require_staff(request)
    form = await request.form()
    text, typed = str(form.get("text") or "")[:120], str(form.get("skill") or "")[:120]
    row = str(form.get("row") or "0")[:6]
    field = f"skill-{row}" if row.isdigit() else "skill-0"
    slug = await queries.resolve(typed)
    try:
        if slug is None:
            raise Invalid("Type the name of a skill from the list.",
                          {"slug": "Type the name of a skill from the list."})
        moved = await service.map_unmatched(text, slug, by=staff.email,
                                            clock=request.app.state.clock)
    except Invalid as exc:
        message = next(iter(exc.errors.values()), str(exc))
        return await _unmatched_page(request, errors={field: message},
                                     values={field: typed}, status=422)
    return Redirect(f"{_BASE}/unmatched?notice=mapped&people={moved}", status_code=303)


ROUTES = [index, new, create, detail, update, merge_preview, merge, unmatched, map_unmatched]
