"""/api/v1/events and their registrations (cursor)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Request, get
from litestar.params import QueryParameter

from api.auth import requires
from api.common import NO_NUL, Cursor, Limit, Slug, next_link, rows_as
from domain.events import queries

Status = Annotated[str, QueryParameter(max_length=16, pattern=NO_NUL)]


class Event(msgspec.Struct):
    id: int
    slug: str
    title: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    venue: str
    capacity: int | None
    taken: int
    registration_deadline: datetime | None
    status: str
    created_at: datetime


class Registration(msgspec.Struct):
    id: int
    person: int
    email: str
    full_name: str
    status: str
    source: str
    created_at: datetime
    checked_in_at: datetime | None
    cancelled_at: datetime | None


class RegistrationsPage(msgspec.Struct):
    items: list[Registration]
    next: str | None


class EventsPage(msgspec.Struct):
    items: list[Event]
    next: str | None


@get("/events", guards=[requires("events:read")], summary="Events, latest start first")
async def event_list(request: Request, status: Status = "", cursor: Cursor = "",
                     limit: Limit = 50) -> EventsPage:
    rows, after = await queries.api_events(status=status, cursor=cursor or None, limit=limit)
    return EventsPage(rows_as(rows, Event), next_link(request, after, status=status,
                                                      limit=limit))


@get("/events/{slug:str}/registrations", guards=[requires("events:read")],
     summary="An event's registrations")
async def registration_list(request: Request, slug: Slug,
                            status: Status = "", cursor: Cursor = "",
                            limit: Limit = 50) -> RegistrationsPage:
    event = await queries.event_by_slug(slug)
    rows, after = await queries.api_registrations(event["id"], status=status,
                                                  cursor=cursor or None, limit=limit)
    return RegistrationsPage(rows_as(rows, Registration),
                             next_link(request, after, status=status, limit=limit))


ROUTES = [event_list, registration_list]
