"""/api/v1/pools (shared pools only: a private pool is its owner's), their members, and a
shared saved segment's member count (the maintained count, domain.segments.queries)."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Request, get

from api.auth import requires
from api.common import Cursor, Id, Limit, next_link, rows_as
from domain.pools import queries as pools
from domain.segments import queries as segments

NOBODY = 0  # no staff id: only what is shared with everyone


class Pool(msgspec.Struct):
    id: int
    name: str
    kind: str
    job_function: str
    members: int | None
    updated_at: datetime


class PoolMember(msgspec.Struct):
    id: int
    person: int
    name: str
    email: str
    stage: str
    source: str
    added_at: datetime


class PoolMembersPage(msgspec.Struct):
    items: list[PoolMember]
    next: str | None


class SegmentCount(msgspec.Struct):
    id: int
    name: str
    count: int


class PoolsPage(msgspec.Struct):
    items: list[Pool]
    next: str | None


@get("/pools", guards=[requires("pools:read")], summary="Shared talent pools, newest first")
async def pool_list(request: Request, cursor: Cursor = "", limit: Limit = 50) -> PoolsPage:
    rows, after = await pools.api_shared_pools(cursor=cursor or None, limit=limit)
    return PoolsPage(rows_as(rows, Pool), next_link(request, after, limit=limit))


@get("/pools/{pool_id:int}/members", guards=[requires("pools:read")],
     summary="A shared pool's members")
async def member_list(request: Request, pool_id: Id, cursor: Cursor = "",
                      limit: Limit = 50) -> PoolMembersPage:
    await pools.pool(pool_id, NOBODY)  # 404 unless shared
    found = await pools.members(pool_id, cursor=cursor or None, limit=limit)
    return PoolMembersPage(rows_as(found.rows, PoolMember),
                           next_link(request, found.next_cursor, limit=limit))


@get("/segments/{segment_id:int}/count", guards=[requires("pools:read")],
     summary="A shared saved segment's member count")
async def segment_count(request: Request, segment_id: Id) -> SegmentCount:
    found = await segments.segment(segment_id, NOBODY)
    count = await segments.saved_count(found["definition"], now=request.app.state.clock.now())
    return SegmentCount(found["id"], found["name"], count)


ROUTES = [pool_list, member_list, segment_count]
