"""Tags on people: free labels set by staff one by one or in bulk, matched by segments.

Tags are normalised (spaces collapsed, at most MAX_TAG characters) and compared without
case, so "Python  meetup" and "python meetup" are one tag; the first spelling is kept.
"""

from __future__ import annotations

from datetime import datetime

from domain.db import fetch
from domain.errors import Invalid

MAX_TAG = 60
MAX_TAGS_AT_ONCE = 10


def parse_tags(raw: str) -> list[str]:
    """Comma-separated tags from a form field; raises Invalid naming the field `tags`."""
    tags: list[str] = []
    for part in str(raw or "").split(","):
        tag = " ".join(part.split())
        if not tag:
            continue
        if len(tag) > MAX_TAG:
            raise Invalid("A tag is too long.",
                          {"tags": f"Keep each tag to at most {MAX_TAG} characters."})
        if tag.casefold() not in {t.casefold() for t in tags}:
            tags.append(tag)
    if not tags:
        raise Invalid("Give at least one tag.", {"tags": "Type a tag, e.g. “relocating”."})
    if len(tags) > MAX_TAGS_AT_ONCE:
        raise Invalid("Too many tags.",
                      {"tags": f"Add at most {MAX_TAGS_AT_ONCE} tags at once."})
    return tags


async def add_tags(person_ids: list[int], tags: list[str], *, by: str,
                   at: datetime) -> int:
    """Tag every person with every tag in one statement; returns the rows added (a person
    who already has a tag, in any case, keeps it unchanged)."""
    if not person_ids or not tags:
        return 0
    rows = await fetch(
        "WITH wanted AS (SELECT DISTINCT ON (p, lower(t)) p, t "
        "                FROM unnest($1::int[]) p CROSS JOIN unnest($2::varchar[]) t) "
        "INSERT INTO person_tags (person, tag, added_by, added_at) "
        "SELECT w.p, coalesce((SELECT tag FROM person_tags x WHERE lower(x.tag) = lower(w.t) "
        "                      LIMIT 1), w.t), $3, $4 FROM wanted w "
        "WHERE NOT EXISTS (SELECT 1 FROM person_tags e "
        "                  WHERE e.person = w.p AND lower(e.tag) = lower(w.t)) "
        "ON CONFLICT (person, tag) DO NOTHING RETURNING id",
        sorted(set(person_ids)), tags, by, at)
    return len(rows)


async def remove_tag(person_id: int, tag: str) -> bool:
    rows = await fetch("DELETE FROM person_tags WHERE person = $1 AND lower(tag) = lower($2) "
                       "RETURNING id", person_id, tag)
    return bool(rows)


async def tags_of(person_id: int) -> list[str]:
    rows = await fetch("SELECT tag FROM person_tags WHERE person = $1 ORDER BY lower(tag)",
                       person_id)
    return [row["tag"] for row in rows]
