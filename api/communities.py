"""/api/v1/communities: the list, members by cursor, and adding someone, which starts
the same double opt-in as the join form: the API cannot record a confirmed membership or
consent that the person has not given (they confirm by the emailed link)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Request, Response, get, post
from litestar.params import JSONBody, QueryParameter

from api.auth import caller, requires
from api.common import NO_NUL, Cursor, Limit, Slug, next_link, rows_as
from domain.communities import queries
from domain.communities import service as communities
from domain.consent import service as consent
from domain.consent.rules import COMMUNITY_EMAILS
from domain.errors import Invalid
from domain.people.rules import InvalidEmail, clean_name, normalise_email


class Community(msgspec.Struct):
    id: int
    slug: str
    name: str
    description: str
    is_public: bool
    interest_options: list[str]
    member_count: int


class Member(msgspec.Struct):
    id: int
    person: int
    email: str
    full_name: str
    status: str
    interests: list[str]
    requested_at: datetime
    confirmed_at: datetime | None
    left_at: datetime | None


class MembersPage(msgspec.Struct):
    items: list[Member]
    next: str | None


class NewMember(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=320, pattern=NO_NUL)]
    full_name: Annotated[str, msgspec.Meta(max_length=200, pattern=NO_NUL)] = ""
    interests: Annotated[list[Annotated[str, msgspec.Meta(max_length=80, pattern=NO_NUL)]],
                         msgspec.Meta(max_length=20)] = []


class Pending(msgspec.Struct):
    status: str
    detail: str


class CommunitiesPage(msgspec.Struct):
    items: list[Community]
    next: str | None


@get("/communities", guards=[requires("communities:read")],
     summary="Talent communities, newest first")
async def community_list(request: Request, cursor: Cursor = "",
                         limit: Limit = 50) -> CommunitiesPage:
    rows, after = await queries.api_communities(cursor=cursor or None, limit=limit)
    return CommunitiesPage(rows_as(rows, Community), next_link(request, after, limit=limit))


@get("/communities/{slug:str}/members", guards=[requires("communities:read")],
     summary="A community's memberships")
async def member_list(request: Request, slug: Slug,
                      status: Annotated[str, QueryParameter(max_length=16, pattern=NO_NUL)] = "",
                      cursor: Cursor = "", limit: Limit = 50) -> MembersPage:
    rows, after = await queries.members(await queries.community_id(slug), status=status,
                                        cursor=cursor or None, limit=limit)
    return MembersPage(rows_as(rows, Member),
                       next_link(request, after, status=status, limit=limit))


@post("/communities/{slug:str}/members", guards=[requires("communities:write")],
      status_code=202, summary="Invite someone: they confirm by email (double opt-in)")
async def add_member(request: Request, slug: Slug, data: JSONBody[NewMember]) -> Response[Pending]:
    community = await communities.get_public(slug)
    try:
        email = normalise_email(data.email)
    except InvalidEmail as exc:
        raise Invalid(str(exc), {"email": str(exc)}) from exc
    unknown = sorted(set(data.interests) - set(community["interest_options"] or ()))
    if unknown:
        raise Invalid("Choose interests from the community's list.",
                      {"interests": "Unknown: " + ", ".join(unknown)})
    text = await consent.current_text(COMMUNITY_EMAILS)
    await communities.request_membership(
        communities.JoinRequest(slug=slug, email=email, full_name=clean_name(data.full_name),
                                interests=tuple(data.interests), consent_text_id=text["id"],
                                user_agent=caller(request).actor, method="api"),
        clock=request.app.state.clock, queue=request.app.state.queue)
    return Response(Pending("pending", "A confirmation email is on its way; the membership "
                                       "starts when the person confirms."), status_code=202)


ROUTES = [community_list, member_list, add_member]
