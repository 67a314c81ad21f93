"""Saved segments: create, update and delete named definitions, and turn one into a
dynamic pool. A definition is saved only once it parses and compiles against the current
taxonomy, communities and events, so a saved segment always runs."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from domain.audit import service as audit
from domain.db import fetch, transaction
from domain.errors import Invalid, NotFound
from domain.segments import membership, queries
from domain.segments.definition import parse, to_json

VISIBILITIES = ("shared", "private")


async def checked(definition: Any, *, now: datetime) -> dict:
    """The canonical JSON of a definition that runs, or Invalid naming the problem."""
    group = parse(definition)
    await queries.compiled_sql(group, now=now)
    return to_json(group)


def _name(raw: Any, errors: dict[str, str]) -> str:
    name = " ".join(str(raw or "").split())
    if not name or len(name) > 120:
        errors["name"] = "Give the segment a name of at most 120 characters."
    return name


async def save(segment_id: int | None, *, name: str, description: str, visibility: str,
               definition: Any, owner_id: int, by: str, now: datetime) -> int:
    errors: dict[str, str] = {}
    clean_name = _name(name, errors)
    if len(description) > 2000:
        errors["description"] = "Use at most 2,000 characters."
    if visibility not in VISIBILITIES:
        errors["visibility"] = "Choose who can see the segment."
    try:
        canonical = await checked(definition, now=now)
    except Invalid as exc:
        errors["definition"] = str(exc)
    if errors:
        raise Invalid("Please correct the highlighted fields.", errors)
    async with transaction():
        if segment_id is None:
            rows = await fetch(
                "INSERT INTO segments (name, description, definition, visibility, owner, "
                "created_by, created_at, updated_at) "
                "VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $7) "
                "ON CONFLICT (name) DO NOTHING RETURNING id",
                clean_name, description, json.dumps(canonical), visibility, owner_id, by, now)
        else:
            rows = await fetch(
                "UPDATE segments SET name = $2, description = $3, definition = $4::jsonb, "
                "visibility = $5, updated_at = $6 WHERE id = $1 AND NOT EXISTS ("
                "SELECT 1 FROM segments o WHERE o.name = $2 AND o.id <> $1) RETURNING id",
                segment_id, clean_name, description, json.dumps(canonical), visibility, now)
        if not rows:
            raise Invalid("That name is taken.", {"name": "Another segment has this name."})
        saved = rows[0]["id"]
        await membership.ensure(canonical, now=now)  # the worker builds it within a minute
        await audit.record(action="segment.saved", at=now, actor=by, subject=f"segment:{saved}",
                           detail={"name": clean_name, "definition": canonical})
        return saved


async def delete(segment_id: int, *, by: str, now: datetime) -> None:
    rows = await fetch("DELETE FROM segments WHERE id = $1 RETURNING name", segment_id)
    if not rows:
        raise NotFound("No such segment.")
    await audit.record(action="segment.deleted", at=now, actor=by,
                       subject=f"segment:{segment_id}", detail={"name": rows[0]["name"]})


async def to_dynamic_pool(segment: dict, *, owner_id: int, by: str, now: datetime) -> int:
    """A dynamic pool whose members are the segment's, evaluated live; it keeps its own
    copy of the definition, so later edits of the segment do not move the pool."""
    canonical = await checked(segment["definition"], now=now)
    rows = await fetch(
        "INSERT INTO talent_pools (name, description, kind, visibility, owner, segment, "
        "created_by, created_at, updated_at) VALUES ($1, $2, 'dynamic', $3, $4, $5::jsonb, "
        "$6, $7, $7) ON CONFLICT (name) DO NOTHING RETURNING id",
        segment["name"], segment["description"] or f"Everyone matching “{segment['name']}”.",
        segment["visibility"], owner_id, json.dumps(canonical), by, now)
    if not rows:
        raise Invalid("A pool with this name exists.",
                      {"pool": f"A pool named “{segment['name']}” exists already; rename the "
                               "segment or that pool first."})
    pool_id = rows[0]["id"]
    await membership.ensure(canonical, now=now)
    await audit.record(action="pool.created", at=now, actor=by, subject=f"pool:{pool_id}",
                       detail={"name": segment["name"], "kind": "dynamic",
                               "segment": segment["id"]})
    return pool_id
