"""Free text → taxonomy skills, for every path that takes skills as text: the candidate's
profile form, the requisition form, imports and CVs.

The SkillIndex is built from the `skills` table and cached per process. Every service
function that changes the taxonomy calls `invalidate()` after its transaction commits,
which bumps a version number: the next `skill_index()` in this process rebuilds.
Other processes (the worker, other web processes) cannot see that bump, so a cached
index also expires after `MAX_AGE_SECONDS`: a change reaches them within a minute.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from domain.db import fetch
from domain.profiles.rules import SkillIndex, split_skills

MAX_AGE_SECONDS = 60.0
MAX_TEXT = 120  # profiles.unmatched_skills holds at most this many characters


class _Cache:
    version = 0
    built: tuple[int, float, SkillIndex] | None = None


def invalidate() -> None:
    _Cache.version += 1


async def invalidate_after_commit() -> None:
    """For `after_commit(...)`: a rebuild before the commit would cache the old rows."""
    invalidate()


async def skill_index() -> SkillIndex:
    version = _Cache.version  # read before the query: a bump meanwhile forces a rebuild
    built = _Cache.built
    if built and built[0] == version and time.monotonic() - built[1] < MAX_AGE_SECONDS:
        return built[2]
    index = SkillIndex.build(await fetch("SELECT slug, name, synonyms FROM skills"))
    _Cache.built = (version, time.monotonic(), index)
    return index


def normalise_with(texts: Iterable[str], index: SkillIndex) -> tuple[list[str], list[str]]:
    """(slugs, unmatched texts), each in the order given and without duplicates (an
    unmatched text once per spelling, case aside). Commas, semicolons and new lines
    separate skills inside one text. Unlike the profile form, nothing is refused: an
    import keeps what it can, and text too long to store is dropped."""
    slugs: list[str] = []
    unmatched: dict[str, str] = {}
    for item in split_skills(texts):
        slug = index.match(item)
        if slug:
            slugs.append(slug)
        elif len(item) <= MAX_TEXT:
            unmatched.setdefault(item.casefold(), item)
    return list(dict.fromkeys(slugs)), list(unmatched.values())


async def normalise(texts: list[str]) -> tuple[list[str], list[str]]:
    """Case, spacing and punctuation, synonyms, then a close spelling (see
    domain.profiles.rules.SkillIndex.match) → taxonomy slugs; the rest is kept as text
    for profiles.unmatched_skills, where admins review it."""
    return normalise_with(texts, await skill_index())
