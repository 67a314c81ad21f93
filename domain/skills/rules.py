"""Pure rules for editing the skills taxonomy: slugs, the add/edit form, clashes between
spellings, and parent cycles. Matching free text lives in domain.profiles.rules."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from domain.profiles.rules import JOB_FUNCTIONS, SkillIndex, clean_skill_text, skill_key

# A skill's category is the job function it mostly belongs to ("other" is no category).
CATEGORIES: tuple[tuple[str, str], ...] = tuple(
    (key, label) for key, label in JOB_FUNCTIONS if key != "other")
MAX_NAME = 120
MAX_SLUG = 80
MAX_SYNONYMS = 30


def slugify(name: str) -> str:
    """"Ruby on Rails" → ruby-on-rails, "C++" → cpp, "C#" → csharp (the file's style)."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = text.replace("+", "p").replace("#", "sharp").replace("&", " and ")
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return slug[:MAX_SLUG].rstrip("-")


def parse_synonyms(text: str) -> list[str]:
    """Comma- or line-separated spellings, cleaned, one per distinct key, in order."""
    seen: dict[str, str] = {}
    for part in re.split(r"[,;\n]", text or ""):
        cleaned = clean_skill_text(part)
        if cleaned and skill_key(cleaned):
            seen.setdefault(skill_key(cleaned), cleaned)
    return list(seen.values())


@dataclass(frozen=True)
class SkillDraft:
    name: str
    category: str
    parent: str  # a slug, or "" for none
    synonyms: tuple[str, ...]


def parse_skill(raw: Mapping[str, str]) -> tuple[SkillDraft, dict[str, str]]:
    """The add/edit form: (draft, per-field messages). The draft is built even when there
    are messages, so clashes can be reported with them in one go; save it only when
    there are none."""
    errors: dict[str, str] = {}
    name = clean_skill_text(str(raw.get("name") or ""))
    if not name or not skill_key(name):
        errors["name"] = "Enter the skill's name."
    elif len(name) > MAX_NAME:
        errors["name"] = f"Keep the name to {MAX_NAME} characters or fewer."
    elif not slugify(name):
        errors["name"] = "Use some letters or digits in the name."
    category = str(raw.get("category") or "")
    if category not in dict(CATEGORIES):
        errors["category"] = "Choose a category from the list."
    synonyms = [s for s in parse_synonyms(str(raw.get("synonyms") or ""))
                if skill_key(s) != skill_key(name)]
    if len(synonyms) > MAX_SYNONYMS:
        errors["synonyms"] = f"List at most {MAX_SYNONYMS} synonyms."
    elif any(len(s) > MAX_NAME for s in synonyms):
        errors["synonyms"] = f"Keep each synonym to {MAX_NAME} characters or fewer."
    parent = str(raw.get("parent") or "").strip()
    return SkillDraft(name, category, parent, tuple(synonyms)), errors


def clashes(draft: SkillDraft, index: SkillIndex, own_slug: str | None) -> dict[str, str]:
    """Per-field messages for spellings that already belong to another skill: two skills
    sharing a spelling would make free text ambiguous."""
    errors: dict[str, str] = {}
    owner = index.by_key.get(skill_key(draft.name))
    if owner and owner != own_slug:
        errors["name"] = f"“{draft.name}” is already a name or synonym of " \
                         f"{index.names.get(owner, owner)}."
    taken = [(s, index.by_key[skill_key(s)]) for s in draft.synonyms
             if index.by_key.get(skill_key(s)) not in (None, own_slug)]
    if taken:
        errors["synonyms"] = "Already used by another skill: " + ", ".join(
            f"“{s}” ({index.names.get(slug, slug)})" for s, slug in taken[:5]) + "."
    return errors


def creates_cycle(skill_id: int, parent_id: int | None,
                  parents: Mapping[int, int | None]) -> bool:
    """Would making `parent_id` the parent of `skill_id` loop back to it? `parents` maps
    each skill id to its current parent id."""
    seen: set[int] = set()
    current = parent_id
    while current is not None and current not in seen:
        if current == skill_id:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


def merged_synonyms(target: Mapping, source: Mapping) -> list[str]:
    """The target's synonyms plus the source's name, slug and synonyms (so the source's
    spellings keep matching, and the seed file never brings the source back), without
    the target's own name or duplicates of one key."""
    own = skill_key(target["name"])
    seen: dict[str, str] = {}
    for spelling in (*target["synonyms"], source["name"], source["slug"], *source["synonyms"]):
        key = skill_key(spelling)
        if key and key != own:
            seen.setdefault(key, spelling[:MAX_NAME])
    return list(seen.values())
