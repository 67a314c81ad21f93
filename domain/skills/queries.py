"""Reading the taxonomy for the admin pages: a searchable list (keyset pages), one skill
with how much uses it, and the unmatched free text people wrote, most frequent first.

Usage counts are read on one skill's page only: a count per listed skill would cost a
GIN scan each at a million profiles, on every page of the list."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from domain.db import fetch
from domain.errors import NotFound
from domain.profiles.rules import skill_key
from domain.skills.normalise import skill_index
from domain.skills.service import reference_counts

PAGE_SIZE = 100
UNMATCHED_LIMIT = 200


@dataclass(frozen=True)
class SkillsPage:
    rows: list[dict]
    next_cursor: str | None


def _cursor(row: dict) -> str:
    raw = json.dumps([row["sort_name"], row["id"]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _after(cursor: str) -> tuple[str, int] | None:
    try:
        name, skill_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return str(name), int(skill_id)
    except (ValueError, TypeError, binascii.Error):
        return None  # a mangled cursor starts from the top


_LIST = (
    "SELECT s.id, s.slug, s.name, s.category, s.synonyms, lower(s.name) AS sort_name, "
    "coalesce(p.name, '') AS parent_name, p.id AS parent_id "
    "FROM skills s LEFT JOIN skills p ON p.id = s.parent "
    "WHERE ($1 = '' OR s.category = $1) "
    "AND ($2 = '' OR strpos(lower(s.name), $2) > 0 OR strpos(s.slug, $2) > 0 "
    "     OR EXISTS (SELECT 1 FROM unnest(s.synonyms) AS syn WHERE strpos(lower(syn), $2) > 0)) "
    "AND ($3::text IS NULL OR (lower(s.name), s.id) > ($3, $4)) "
    "ORDER BY lower(s.name), s.id LIMIT $5"
)


async def skills_page(*, q: str = "", category: str = "", cursor: str = "") -> SkillsPage:
    after = _after(cursor) if cursor else None
    rows = await fetch(_LIST, category, q.strip().lower(), after[0] if after else None,
                       after[1] if after else 0, PAGE_SIZE + 1)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return SkillsPage(rows, _cursor(rows[-1]) if more else None)


async def skill(skill_id: int) -> dict:
    """One skill with its parent, children and how many rows use it."""
    rows = await fetch(
        "SELECT s.id, s.slug, s.name, s.category, s.synonyms, s.created_at, "
        "coalesce(p.slug, '') AS parent, coalesce(p.name, '') AS parent_name "
        "FROM skills s LEFT JOIN skills p ON p.id = s.parent WHERE s.id = $1", skill_id)
    if not rows:
        raise NotFound("There is no such skill.")
    found = rows[0]
    found["synonyms"] = list(found["synonyms"] or [])
    found["children"] = await fetch("SELECT id, name FROM skills WHERE parent = $1 "
                                    "ORDER BY lower(name)", skill_id)
    found["usage"] = await reference_counts(found["slug"])
    return found


async def skill_by_slug(slug: str) -> dict | None:
    rows = await fetch("SELECT id, slug, name FROM skills WHERE slug = $1", slug)
    return rows[0] if rows else None


async def choices() -> list[tuple[str, str]]:
    """(slug, name) of every skill by name, for parent and merge pickers."""
    rows = await fetch("SELECT slug, name FROM skills ORDER BY lower(name), id")
    return [(row["slug"], row["name"]) for row in rows]


async def resolve(name_or_slug: str) -> str | None:
    """The slug a picker's typed text names exactly (a name, slug or synonym), else None:
    an admin action never acts on a guess."""
    return (await skill_index()).by_key.get(skill_key(name_or_slug or ""))


# profiles.unmatched_skills has no index: this is one scan of the profiles that have any
# unmatched text, grouped; bounded to the most frequent entries.
_UNMATCHED = (
    "SELECT lower(u) AS key, min(u) AS text, count(*) AS people "
    "FROM profiles AS p, unnest(p.unmatched_skills) AS u "
    "WHERE cardinality(p.unmatched_skills) > 0 "
    "GROUP BY lower(u) ORDER BY people DESC, lower(u) LIMIT $1"
)


async def unmatched(limit: int = UNMATCHED_LIMIT) -> list[dict]:
    """Distinct unmatched texts (case aside) with how many people wrote each, and close
    taxonomy skills as hints."""
    rows = await fetch(_UNMATCHED, limit)
    index = await skill_index()
    for row in rows:
        row["hints"] = [index.names[slug] for slug in index.suggest(row["text"], limit=3)]
    return rows
