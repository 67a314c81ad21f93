"""/api/v1/engagement-events: batches of up to 1,000, idempotent by `external_id`: the
column is unique where set, so a resend — tomorrow or next year — is recorded once and
counted as a duplicate. External ids share one namespace across integrations: prefix them
with the system they come from ("hubspot:123").
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, post
from litestar.params import JSONBody

from api.auth import caller, requires
from api.common import NO_NUL
from domain.db import fetch, transaction
from domain.engagement import service as engagement
from domain.engagement.rules import LABELS
from domain.errors import Invalid

MAX_BATCH = 1000


class EngagementIn(msgspec.Struct, forbid_unknown_fields=True):
    external_id: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=NO_NUL)]
    person_id: Annotated[int, msgspec.Meta(ge=1, le=2_147_483_647)]
    type: Annotated[str, msgspec.Meta(max_length=40, pattern=NO_NUL)]
    occurred_at: datetime
    source: Annotated[str, msgspec.Meta(max_length=80, pattern=NO_NUL)] = ""
    payload: dict[str, Any] = {}


class Batch(msgspec.Struct, forbid_unknown_fields=True):
    events: Annotated[list[EngagementIn], msgspec.Meta(min_length=1, max_length=MAX_BATCH)]


class Ingested(msgspec.Struct):
    recorded: int
    duplicates: int


async def _check(events: list[EngagementIn]) -> None:
    errors: dict[str, str] = {}
    for index, event in enumerate(events):
        if event.type not in LABELS:
            errors[f"events[{index}].type"] = "Unknown event type."
        if "\\u0000" in json.dumps(event.payload):  # PostgreSQL's jsonb refuses NUL
            errors[f"events[{index}].payload"] = "Text in the payload cannot contain NUL."
        if event.occurred_at.tzinfo is None:
            errors[f"events[{index}].occurred_at"] = "Give a time zone (e.g. Z)."
    ids = sorted({event.person_id for event in events})
    known = {row["id"] for row in await fetch(
        "SELECT id FROM people WHERE id = ANY($1::int[]) AND merged_into IS NULL", ids)}
    for index, event in enumerate(events):
        if event.person_id not in known:
            errors[f"events[{index}].person_id"] = "There is no person with this id."
    if errors:
        raise Invalid("Nothing was recorded: fix these events and send the batch again.",
                      dict(list(errors.items())[:100]))


@post("/engagement-events", guards=[requires("engagement:write")], status_code=200,
      summary="Record a batch of engagement events (idempotent by external_id)")
async def ingest(request: Request, data: JSONBody[Batch]) -> Ingested:
    await _check(data.events)
    # the same id twice in one batch: the first one counts
    unique = list({event.external_id: event for event in reversed(data.events)}.values())
    fresh = [{"person_id": event.person_id, "type": event.type,
              "occurred_at": event.occurred_at, "external_id": event.external_id,
              "source": event.source or caller(request).actor, "payload": event.payload}
             for event in reversed(unique)]
    async with transaction():
        recorded = await engagement.record_many(fresh)
    return Ingested(recorded=recorded, duplicates=len(data.events) - recorded)


ROUTES = [ingest]
