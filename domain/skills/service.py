"""Changing the skills taxonomy (admins): seed it from the data file, add, edit and merge
skills, and turn unmatched free text into skills. Every change runs under one advisory
lock (two admins cannot create a clash between them), is audited, and refreshes the
cached SkillIndex once it commits."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from domain.audit import service as audit
from domain.db import after_commit, execute, fetch, transaction
from domain.errors import Invalid, NotFound
from domain.ports import Clock
from domain.profiles.rules import SkillIndex, clean_skill_text, skill_key
from domain.skills import normalise
from domain.skills.rules import (
    SkillDraft,
    clashes,
    creates_cycle,
    merged_synonyms,
    slugify,
)

_LOCK = "SELECT pg_advisory_xact_lock(hashtext('talentloop:skills-taxonomy'))"

# Every column holding skill slugs: (table, column). A merge rewrites each of them.
REFERENCES: tuple[tuple[str, str], ...] = (
    ("profiles", "skills"), ("requisitions", "required_skills"),
    ("requisitions", "nice_skills"), ("talent_pools", "skills"),
)


async def _locked_index() -> SkillIndex:
    await execute(_LOCK)
    return SkillIndex.build(await fetch("SELECT slug, name, synonyms FROM skills"))


# --- Seeding ---------------------------------------------------------------------------

_INSERT_SEED = """
INSERT INTO skills (slug, name, category, synonyms, created_at)
SELECT s->>'slug', s->>'name', s->>'category',
       ARRAY(SELECT jsonb_array_elements_text(s->'synonyms')), now()
FROM jsonb_array_elements($1::jsonb) AS s
ON CONFLICT (slug) DO NOTHING
RETURNING slug
"""
_LINK_SEED_PARENTS = """
UPDATE skills AS child SET parent = parent_skill.id
FROM jsonb_array_elements($1::jsonb) AS s
JOIN skills AS parent_skill ON parent_skill.slug = s->>'parent'
WHERE child.slug = s->>'slug' AND child.slug = ANY($2::text[])
"""


async def seed(entries: Iterable[Mapping[str, Any]]) -> list[str]:
    """Add the data file's skills that the table does not have yet; returns their slugs.

    The file seeds the taxonomy, then admins own it: a skill already there is never
    renamed, re-parented or re-categorised from the file, and a file skill whose name or
    slug is now a synonym of another skill (it was merged into that one) is not brought
    back. Idempotent."""
    async with transaction():
        index = await _locked_index()
        new = [entry for entry in entries
               if entry["slug"] not in index.names
               and not index.by_key.get(skill_key(entry["name"]))
               and not index.by_key.get(skill_key(entry["slug"]))]
        if not new:
            return []
        payload = json.dumps(new)
        added = [row["slug"] for row in await fetch(_INSERT_SEED, payload)]
        await execute(_LINK_SEED_PARENTS, payload, added)
        after_commit(normalise.invalidate_after_commit)
    return added


# --- Add and edit ----------------------------------------------------------------------


async def clash_errors(draft: SkillDraft, own_slug: str | None = None) -> dict[str, str]:
    """Spellings of the draft already used by another skill, per field (for a form that
    has other errors too: everything is reported at once)."""
    fresh = SkillIndex.build(await fetch("SELECT slug, name, synonyms FROM skills"))
    return clashes(draft, fresh, own_slug)


async def _parent_id(slug: str) -> int | None:
    if not slug:
        return None
    rows = await fetch("SELECT id FROM skills WHERE slug = $1", slug)
    if not rows:
        raise Invalid("Choose a parent from the list.",
                      {"parent": "Choose a parent from the list."})
    return rows[0]["id"]


def _refuse(errors: dict[str, str]) -> None:
    if errors:
        raise Invalid("Please correct the highlighted fields.", errors)


async def add(draft: SkillDraft, *, by: str, clock: Clock) -> dict:
    """Create a skill; its slug comes from the name. Invalid (per field) on a clash."""
    slug = slugify(draft.name)
    async with transaction():
        index = await _locked_index()
        errors = clashes(draft, index, None)
        if slug in index.names and "name" not in errors:
            errors["name"] = f"A skill with the address “{slug}” already exists."
        _refuse(errors)
        parent = await _parent_id(draft.parent)
        rows = await fetch(
            "INSERT INTO skills (slug, name, category, parent, synonyms, created_at) "
            "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, slug, name",
            slug, draft.name, draft.category, parent, list(draft.synonyms), clock.now())
        await audit.record(action="skills.added", at=clock.now(), actor=by,
                           subject=f"skill:{slug}", detail={"name": draft.name})
        after_commit(normalise.invalidate_after_commit)
    return rows[0]


async def _skill(skill_id: int, *, lock: bool = False) -> dict:
    sql = "SELECT id, slug, name, category, parent, synonyms FROM skills WHERE id = $1"
    rows = await fetch(sql + " FOR UPDATE" if lock else sql, skill_id)
    if not rows:
        raise NotFound("There is no such skill.")
    return rows[0]


async def update(skill_id: int, draft: SkillDraft, *, by: str, clock: Clock) -> None:
    """Rename, re-categorise, re-parent, change synonyms. The slug stays: it is what
    profiles, requisitions and pools store."""
    async with transaction():
        index = await _locked_index()
        skill = await _skill(skill_id, lock=True)
        errors = clashes(draft, index, skill["slug"])
        parent = None
        if "parent" not in errors:
            try:
                parent = await _parent_id(draft.parent)
            except Invalid as exc:
                errors.update(exc.errors)
        if parent is not None and await _would_cycle(skill_id, parent):
            errors["parent"] = "That parent sits under this skill: choose another."
        _refuse(errors)
        await execute("UPDATE skills SET name = $2, category = $3, parent = $4, synonyms = $5 "
                      "WHERE id = $1", skill_id, draft.name, draft.category, parent,
                      list(draft.synonyms))
        changed = [field for field, before, after in (
            ("name", skill["name"], draft.name), ("category", skill["category"], draft.category),
            ("parent", skill["parent"], parent),
            ("synonyms", list(skill["synonyms"] or []), list(draft.synonyms)),
        ) if before != after]
        await audit.record(action="skills.updated", at=clock.now(), actor=by,
                           subject=f"skill:{skill['slug']}",
                           detail={"fields": changed, "name": draft.name,
                                   "previous_name": skill["name"]})
        after_commit(normalise.invalidate_after_commit)


async def _would_cycle(skill_id: int, parent_id: int) -> bool:
    rows = await fetch("SELECT id, parent FROM skills")
    return creates_cycle(skill_id, parent_id, {row["id"]: row["parent"] for row in rows})


# --- Merge -----------------------------------------------------------------------------


def _rewrite_sql(table: str, column: str) -> str:
    # Replace $1 by $2 keeping the first position of each slug: dedupes when both were
    # there. `@>` on the array uses its GIN index where the column has one.
    return (
        f"UPDATE {table} SET {column} = ARRAY("  # noqa: S608 - names from REFERENCES  # nosec B608
        f"SELECT r.v FROM unnest({column}) WITH ORDINALITY AS x(s, n), "
        "LATERAL (SELECT CASE WHEN x.s = $1::varchar THEN $2::varchar ELSE x.s END AS v) AS r "
        f"GROUP BY r.v ORDER BY min(x.n))::varchar[] WHERE {column} @> ARRAY[$1::varchar]"
    )


def _count_sql(table: str, column: str) -> str:
    return f"SELECT count(*) FROM {table} WHERE {column} @> ARRAY[$1::varchar]"  # noqa: S608  # nosec B608 # names from REFERENCES


async def reference_counts(slug: str) -> dict[str, int]:
    """How many rows name this slug, per "table.column" (what a merge would rewrite)."""
    counts = {}
    for table, column in REFERENCES:
        rows = await fetch(_count_sql(table, column), slug)
        counts[f"{table}.{column}"] = rows[0]["count"]
    return counts


async def merge(source_id: int, target_id: int, *, by: str, clock: Clock) -> dict[str, int]:
    """Merge skill `source_id` into `target_id` in one transaction: every reference to the
    source's slug becomes the target's, the source's children move under the target, its
    spellings become the target's synonyms, and the source is deleted. Returns the
    number of rows rewritten per "table.column"."""
    if source_id == target_id:
        raise Invalid("A skill cannot be merged into itself.",
                      {"into": "Choose a different skill to merge into."})
    async with transaction():
        await execute(_LOCK)
        source = await _skill(source_id, lock=True)
        target = await _skill(target_id, lock=True)
        counts = {}
        for table, column in REFERENCES:
            status = await execute(_rewrite_sql(table, column), source["slug"], target["slug"])
            counts[f"{table}.{column}"] = int(status.split()[-1])
        # A requisition needing the target no longer also lists it as nice to have.
        await execute("UPDATE requisitions SET nice_skills = array_remove(nice_skills, $1) "
                      "WHERE required_skills @> ARRAY[$1::varchar] "
                      "AND nice_skills @> ARRAY[$1::varchar]", target["slug"])
        children = await execute("UPDATE skills SET parent = $2 WHERE parent = $1",
                                 source_id, target_id)
        if target["parent"] == source_id:
            await execute("UPDATE skills SET parent = $2 WHERE id = $1", target_id,
                          source["parent"])
        await execute("UPDATE skills SET synonyms = $2 WHERE id = $1", target_id,
                      merged_synonyms(target, source))
        await execute("DELETE FROM skills WHERE id = $1", source_id)
        counts["skills.parent"] = int(children.split()[-1])
        await audit.record(action="skills.merged", at=clock.now(), actor=by,
                           subject=f"skill:{target['slug']}",
                           detail={"merged": source["slug"], "into": target["slug"],
                                   "counts": counts})
        after_commit(normalise.invalidate_after_commit)
    return counts


# --- Unmatched free text ---------------------------------------------------------------

# Which profiles wrote this text (case aside): profiles.unmatched_skills has no index, so
# this is one scan, run only when an admin maps a text.
_MOVE_UNMATCHED = """
UPDATE profiles SET
    skills = CASE WHEN skills @> ARRAY[$2::varchar] THEN skills
                  ELSE skills || $2::varchar END,
    unmatched_skills = ARRAY(SELECT u FROM unnest(unmatched_skills) WITH ORDINALITY AS x(u, n)
                             WHERE lower(u) <> $1 ORDER BY n)::varchar[]
WHERE EXISTS (SELECT 1 FROM unnest(unmatched_skills) AS u WHERE lower(u) = $1)
"""


def _clean_text(text: str) -> str:
    cleaned = clean_skill_text(text or "")
    if not skill_key(cleaned):
        raise Invalid("There is no text to map.", {"text": "There is no text to map."})
    return cleaned


async def _move_unmatched(text: str, slug: str) -> int:
    status = await execute(_MOVE_UNMATCHED, text.lower(), slug)
    return int(status.split()[-1])


async def map_unmatched(text: str, slug: str, *, by: str, clock: Clock) -> int:
    """Make `text` a synonym of the skill `slug` (unless it already matches it) and move it
    from unmatched_skills to skills in every profile that has it. Returns how many
    profiles changed."""
    text = _clean_text(text)
    async with transaction():
        index = await _locked_index()
        rows = await fetch("SELECT id, name, synonyms FROM skills WHERE slug = $1", slug)
        if not rows:
            message = "Choose a skill from the list."
            raise Invalid(message, {"slug": message})
        owner = index.by_key.get(skill_key(text))
        if owner and owner != slug:
            message = f"“{text}” already means {index.names.get(owner, owner)}."
            raise Invalid(message, {"slug": message})
        if owner is None:
            await execute("UPDATE skills SET synonyms = array_append(synonyms, $2) "
                          "WHERE id = $1", rows[0]["id"], text[:120])
        moved = await _move_unmatched(text, slug)
        await audit.record(action="skills.unmatched_mapped", at=clock.now(), actor=by,
                           subject=f"skill:{slug}", detail={"text": text, "profiles": moved})
        after_commit(normalise.invalidate_after_commit)
    return moved


async def add_unmatched(text: str, draft: SkillDraft, *, by: str,
                        clock: Clock) -> tuple[dict, int]:
    """Add a new skill (usually named after the text) and move the text into it in every
    profile that has it. Returns (the skill, how many profiles changed)."""
    text = _clean_text(text)
    async with transaction():
        owner = (await _locked_index()).by_key.get(skill_key(text))
        if owner:
            message = f"“{text}” already means another skill ({owner}): map it instead."
            raise Invalid(message, {"name": message})
        skill = await add(draft, by=by, clock=clock)
        if skill_key(text) not in {skill_key(s) for s in (draft.name, *draft.synonyms)}:
            await execute("UPDATE skills SET synonyms = array_append(synonyms, $2) "
                          "WHERE id = $1", skill["id"], text[:120])
        moved = await _move_unmatched(text, skill["slug"])
        await audit.record(action="skills.unmatched_mapped", at=clock.now(), actor=by,
                           subject=f"skill:{skill['slug']}",
                           detail={"text": text, "profiles": moved})
    return skill, moved
