"""/api/v1/requisitions and /api/v1/applications, with stage moves through the pipeline's
own rules (domain.pipeline.moves): the token is the actor, as `api:<token name>`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Request, Response, get, post
from litestar.params import JSONBody, QueryParameter

from api.auth import caller, requires
from api.common import (
    NO_NUL,
    Cursor,
    Id,
    Limit,
    QueryId,
    etagged,
    next_link,
    one_as,
    rows_as,
)
from domain.pipeline import moves
from domain.pipeline import queries as applications
from domain.requisitions import queries as requisitions

Status = Annotated[str, QueryParameter(max_length=16, pattern=NO_NUL)]


class Stage(msgspec.Struct):
    id: int
    position: int
    name: str
    kind: str


class RequisitionSummary(msgspec.Struct):
    id: int
    slug: str
    title: str
    team: str
    locations: list[str]
    remote_policy: str
    employment_type: str
    seniority: str
    job_function: str
    status: str
    openings: int
    filled: int
    opened_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class Requisition(RequisitionSummary):
    stages: list[Stage]


class Application(msgspec.Struct):
    id: int
    requisition: int
    person: int
    stage: int
    stage_name: str
    stage_kind: str
    status: str
    source: str
    applied_at: datetime
    stage_entered_at: datetime
    last_action_at: datetime
    decided_at: datetime | None


class ApplicationsPage(msgspec.Struct):
    items: list[Application]
    next: str | None


class Move(msgspec.Struct, forbid_unknown_fields=True):
    """Move an active application to another open stage of its requisition. With
    `from_stage`, the move is refused (409) if someone moved it meanwhile."""

    to_stage: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
    from_stage: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)] | None = None


class RequisitionsPage(msgspec.Struct):
    items: list[RequisitionSummary]
    next: str | None


@get("/requisitions", guards=[requires("requisitions:read")],
     summary="Requisitions, newest first")
async def requisition_list(request: Request, status: Status = "", cursor: Cursor = "",
                           limit: Limit = 50) -> RequisitionsPage:
    rows, after = await requisitions.api_requisitions(status=status, cursor=cursor or None,
                                                      limit=limit)
    return RequisitionsPage(rows_as(rows, RequisitionSummary),
                            next_link(request, after, status=status, limit=limit))


@get("/requisitions/{requisition_id:int}", guards=[requires("requisitions:read")],
     summary="One requisition with its stages")
async def requisition_detail(request: Request, requisition_id: Id) -> Response[Requisition]:
    return etagged(request, one_as(await requisitions.api_requisition(requisition_id),
                                   Requisition))


@get("/applications", guards=[requires("applications:read")], summary="Applications")
async def application_list(request: Request, requisition: QueryId = None,
                           stage: QueryId = None, status: Status = "",
                           cursor: Cursor = "", limit: Limit = 50) -> ApplicationsPage:
    rows, after = await applications.api_applications(
        requisition=requisition, stage=stage, status=status, cursor=cursor or None,
        limit=limit)
    return ApplicationsPage(rows_as(rows, Application),
                            next_link(request, after, requisition=requisition, stage=stage,
                                      status=status, limit=limit))


@get("/applications/{application_id:int}", guards=[requires("applications:read")],
     summary="One application")
async def application_detail(request: Request, application_id: Id) -> Response[Application]:
    return etagged(request, one_as(await applications.api_application(application_id),
                                   Application))


@post("/applications/{application_id:int}/moves", guards=[requires("applications:write")],
      status_code=200, summary="Move an application to another stage")
async def move(request: Request, application_id: Id, data: JSONBody[Move]) -> Application:
    await moves.move(application_id, data.to_stage, by=caller(request).actor,
                     clock=request.app.state.clock, expected_from=data.from_stage,
                     queue=request.app.state.queue)
    return one_as(await applications.api_application(application_id), Application)


ROUTES = [requisition_list, requisition_detail, application_list, application_detail, move]
