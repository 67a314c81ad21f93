"""/api/v1/people: search, read, create-or-update by email, a mass-assignment-safe PATCH,
consent state. Never EEO self-identification nor the consent ledger's IP or user agent."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, patch, post
from litestar.params import JSONBody, QueryParameter

from api.auth import caller, requires
from api.common import NO_NUL, Cursor, Id, Limit, etagged, next_link, one_as, rows_as
from domain.db import transaction
from domain.errors import Invalid
from domain.people import queries
from domain.people import service as people
from domain.people.rules import (
    InvalidEmail,
    InvalidHint,
    clean_name,
    normalise_email,
    normalise_phone,
)
from domain.profiles import queries as profile_queries
from domain.profiles.rules import clean_links
from domain.profiles.service import ProfileUpdate, update_profile

Text = Annotated[str, msgspec.Meta(max_length=200, pattern=NO_NUL)]
Short = Annotated[str, msgspec.Meta(max_length=80, pattern=NO_NUL)]


class Consent(msgspec.Struct):
    purpose: str
    scope: str
    state: str
    occurred_at: datetime
    text_version: str
    method: str


class Membership(msgspec.Struct):
    slug: str
    community_name: str
    status: str
    interests: list[str]
    requested_at: datetime | None
    confirmed_at: datetime | None
    left_at: datetime | None


class Profile(msgspec.Struct):
    headline: str
    location: str
    time_zone: str
    links: list[str]
    skills: list[str]
    unmatched_skills: list[str]
    job_function: str
    seniority: str
    work_modes: list[str]
    open_to_relocation: bool
    open_status: str


class PersonSummary(msgspec.Struct):
    id: int
    email: str
    full_name: str
    phone: str
    linkedin: str
    source: str
    created_at: datetime
    updated_at: datetime


class Person(PersonSummary):
    communities: list[Membership]
    consents: list[Consent]
    profile: Profile | None


class PeoplePage(msgspec.Struct):
    items: list[PersonSummary]
    next: str | None


class PersonChanges(msgspec.Struct, omit_defaults=True):
    """What an integration may change; any other field is refused with 422."""

    full_name: Text | None = None
    phone: Annotated[str, msgspec.Meta(max_length=40, pattern=NO_NUL)] | None = None
    headline: Text | None = None
    city: Short | None = None
    country: Annotated[str, msgspec.Meta(max_length=2, pattern=NO_NUL)] | None = None
    time_zone: Short | None = None
    links: Annotated[list[Annotated[str, msgspec.Meta(max_length=300, pattern=NO_NUL)]],
                     msgspec.Meta(max_length=5)] | None = None
    job_function: Short | None = None
    seniority: Short | None = None
    work_modes: Annotated[list[Short], msgspec.Meta(max_length=5)] | None = None
    open_to_relocation: bool | None = None
    open_to_opportunities: Short | None = None


class NewPerson(PersonChanges, omit_defaults=True):
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=320, pattern=NO_NUL)] = ""


PATCHABLE = frozenset(PersonChanges.__struct_fields__)
CREATABLE = PATCHABLE | {"email"}
_PROFILE_FIELDS = tuple(f for f in PATCHABLE if f not in ("full_name", "phone"))


@get("/people", guards=[requires("people:read")], summary="Search people")
async def search(request: Request,
                 q: Annotated[str, QueryParameter(max_length=200, pattern=NO_NUL)] = "",
                 email: Annotated[str, QueryParameter(max_length=320, pattern=NO_NUL)] = "",
                 updated_since: Annotated[datetime | None, QueryParameter()] = None,
                 cursor: Cursor = "",
                 limit: Limit = 50) -> PeoplePage:
    found = await queries.api_people(q=q, email=email, updated_since=updated_since,
                                     cursor=cursor or None, limit=limit)
    return PeoplePage(rows_as(found.rows, PersonSummary),
                      next_link(request, found.next_cursor, q=q, email=email, limit=limit,
                                updated_since=updated_since.isoformat()
                                if updated_since else None))


async def _person(person_id: Id) -> Person:
    return one_as(await queries.api_person(person_id), Person)


@get("/people/{person_id:int}", guards=[requires("people:read")], summary="One person")
async def detail(request: Request, person_id: Id) -> Response[Person]:
    return etagged(request, await _person(person_id))


@get("/people/{person_id:int}/consent", guards=[requires("people:read")],
     summary="Consent state per purpose and scope")
async def consent_state(request: Request, person_id: Id) -> Response[list[Consent]]:
    await queries.api_person(person_id)  # 404 for an unknown, merged or erased person
    return etagged(request, rows_as(await queries.api_consents(person_id), Consent))


def _refuse_unknown(raw: Any, allowed: frozenset[str]) -> None:
    """Mass assignment: a field outside the allowed set fails the whole request."""
    if not isinstance(raw, dict):
        raise Invalid("Send a JSON object.", {"body": "Expected a JSON object."})
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise Invalid("These fields cannot be set through the API: " + ", ".join(unknown),
                      dict.fromkeys(unknown, "This field cannot be set through the API."))


async def _apply(person_id: int, changes: PersonChanges, request: Request) -> None:
    clock = request.app.state.clock
    if changes.phone is not None:
        try:
            phone = normalise_phone(changes.phone)
        except InvalidHint as exc:
            raise Invalid(str(exc), {"phone": str(exc)}) from exc
        await people.set_phone(person_id, phone, now=clock.now())
    given = {name: getattr(changes, name) for name in (*_PROFILE_FIELDS, "full_name")
             if getattr(changes, name) is not None}
    if not given:
        return
    current = await profile_queries.profile_for_edit(person_id)
    merged = {name: current.get(name) for name in ProfileUpdate.__dataclass_fields__
              if name in current}
    merged.update(given)
    if "full_name" in given:
        merged["full_name"] = clean_name(given["full_name"])
    if "links" in given:  # the profile form's own link rules (schemes, hosts, at most 5)
        merged["links"], problems = clean_links(given["links"])
        if problems:
            raise Invalid("; ".join(problems), {"links": "; ".join(problems)})
    update = ProfileUpdate(**{key: tuple(value) if isinstance(value, list) else value
                              for key, value in merged.items() if value is not None})
    await update_profile(person_id, update, clock=clock, source=caller(request).actor)


@patch("/people/{person_id:int}", guards=[requires("people:write")],
       summary="Change a person's name, phone or profile")
async def change(request: Request, person_id: Id, data: JSONBody[PersonChanges]) -> Person:
    _refuse_unknown(msgspec.json.decode(await request.body()), PATCHABLE)
    await queries.api_person(person_id)
    async with transaction():
        await _apply(person_id, data, request)
    return await _person(person_id)


@post("/people", guards=[requires("people:write")], status_code=201,
      summary="Create a person, or update the one with this email")
async def create(request: Request, data: JSONBody[NewPerson]) -> Response[Person]:
    _refuse_unknown(msgspec.json.decode(await request.body()), CREATABLE)
    try:
        email = normalise_email(data.email)
    except InvalidEmail as exc:
        raise Invalid(str(exc), {"email": str(exc)}) from exc
    async with transaction():
        found = await people.find_or_create(
            email=email, full_name=clean_name(data.full_name or ""), source="api",
            now=request.app.state.clock.now())
        await _apply(found["id"], data, request)
    return Response(await _person(found["id"]), status_code=201 if found["created"] else 200,
                    headers={"Location": f"/api/v1/people/{found['id']}"})


ROUTES = [search, detail, consent_state, change, create]
