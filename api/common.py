"""What every API resource shares: cursor pages with a `next` link, ETags, conversion of
read-model rows into the response Structs."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response
from litestar.params import PathParameter, QueryParameter

T = TypeVar("T")
MAX_LIMIT = 200
# PostgreSQL text cannot hold NUL: refused as a 400 here, never a 500 from the driver.
NO_NUL = "^[^\\x00]*$"
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="Rows per page (≤ 200).")]
Cursor = Annotated[str, QueryParameter(max_length=200, pattern=NO_NUL,
                                        description="Opaque cursor from `next`.")]


def rows_as(rows: list[dict], kind: type[T]) -> list[T]:
    return [msgspec.convert(row, kind, from_attributes=False) for row in rows]


def one_as(row: dict, kind: type[T]) -> T:
    return msgspec.convert(row, kind)


def next_link(request: Request, cursor: str | None, **params: Any) -> str | None:
    """The next page's URL with the same filters (empty ones left out)."""
    if cursor is None:
        return None
    query = {key: value for key, value in params.items() if value not in (None, "")}
    return f"{request.url.path}?{urlencode({**query, 'cursor': cursor})}"


def etagged(request: Request, body: Any) -> Response:
    """200 with a strong ETag of the JSON, or 304 when the client's copy is current."""
    encoded = msgspec.json.encode(body)
    tag = f'"{hashlib.sha256(encoded).hexdigest()[:32]}"'
    wanted = [part.strip().removeprefix("W/") for part in
              request.headers.get("if-none-match", "").split(",")]
    if tag in wanted or "*" in wanted:
        return Response(b"", status_code=304, headers={"ETag": tag})
    return Response(encoded, media_type="application/json", headers={"ETag": tag})


# Ids are PostgreSQL integers: a larger number is a 400 here, not an overflow below.
Id = Annotated[int, PathParameter(ge=1, le=2_147_483_647)]
QueryId = Annotated[int | None, QueryParameter(ge=1, le=2_147_483_647)]
QueryText = Annotated[str, QueryParameter(max_length=200, pattern=NO_NUL)]
Slug = Annotated[str, PathParameter(max_length=80, pattern=NO_NUL)]
