"""The segment definition: a JSON document, validated strictly into frozen dataclasses.

    {"match": "all" | "any",
     "conditions": [
        {"field": "skills", "op": "any", "value": ["python", "machine-learning"]},
        {"match": "any", "conditions": [ … a nested group … ]}
     ]}

Every condition is `{"field", "op", "value"}` (plus `"children": false` on skills to leave
out child skills). FIELDS says, per field and operator, what the value must be; anything
else — an unknown field or operator, a value of the wrong shape, an unknown choice, too
deep or too many conditions, an extra key — is refused with an `Invalid` whose message
names the offending condition by its path ("conditions[2].conditions[0]") so the builder
can point at it. Nothing here touches the database: references (skill slugs, community
slugs, ids) are checked when compiling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import available_timezones

from domain.consent.rules import PURPOSE_LABELS
from domain.engagement.scoring import BAND_LABELS
from domain.errors import Invalid
from domain.profiles.rules import JOB_FUNCTIONS, SENIORITIES, WORK_MODES

MAX_DEPTH = 4
MAX_CONDITIONS = 40
MAX_VALUES = 100
MAX_TEXT = 120
MAX_DAYS = 3650
STAGE_KINDS = ("screen", "interview", "offer", "hired")

# Value kinds: strings (non-empty list of short strings), choices (a non-empty subset of
# a fixed list), choice (one of them), slugs (like strings, lower-case slug shape), ids
# (list of positive ints), days (1..MAX_DAYS), range ({"min", "max"} within 0..100),
# date (ISO), purpose (one consent purpose), events ({"events": [slugs],
# "within_days": int | null}), none.
FIELDS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "skills": dict.fromkeys(("any", "all", "none"), ("slugs", ())),
    "job_function": {op: ("choices", tuple(dict(JOB_FUNCTIONS))) for op in ("in", "not_in")},
    "seniority": {op: ("choices", tuple(dict(SENIORITIES))) for op in ("in", "not_in")},
    "country": dict.fromkeys(("in", "not_in"), ("countries", ())),
    "time_zone": dict.fromkeys(("in", "not_in"), ("zones", ())),
    "work_mode": {op: ("choices", tuple(dict(WORK_MODES))) for op in ("any", "none")},
    "community": dict.fromkeys(("member_of", "not_member_of"), ("slugs", ())),
    "consent": {op: ("purpose", tuple(PURPOSE_LABELS)) for op in ("given", "not_given")},
    "engagement_score": {"between": ("range", ())},
    "engagement_band": {op: ("choices", tuple(BAND_LABELS)) for op in ("in", "not_in")},
    "last_engaged": dict.fromkeys(("within_days", "not_within_days"), ("days", ())),
    "event": dict.fromkeys(("registered", "attended", "no_show", "not_registered"), ("events", ())),
    "content_viewed": {"within_days": ("days", ()), "ever": ("none", ()),
                       "never": ("none", ())},
    "application": {"applied": ("ids", ()), "not_applied": ("ids", ()),
                    "applied_any": ("none", ()), "applied_none": ("none", ())},
    "furthest_stage": {"at_least": ("choice", STAGE_KINDS)},
    "rejection_reason": {"in": ("ids", ())},
    "silver_medalist": {"is": ("none", ()), "is_not": ("none", ())},
    "source": dict.fromkeys(("in", "not_in"), ("strings", ())),
    "tag": dict.fromkeys(("any", "all", "none"), ("strings", ())),
    "created": {"after": ("date", ()), "before": ("date", ()), "within_days": ("days", ())},
    "pool": dict.fromkeys(("member_of", "not_member_of"), ("ids", ())),
}

_SLUG = re.compile(r"^[a-z0-9][a-z0-9+#.\-_]{0,79}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any = None
    children: bool = True  # skills: also match child skills in the taxonomy


@dataclass(frozen=True)
class Group:
    match: str  # "all" | "any"
    items: tuple[Condition | Group, ...]


def parse(document: Any) -> Group:
    """A definition from JSON-shaped data, or Invalid naming the offending part."""
    counter = [0]
    group = _group(document, "segment", 1, counter)
    if counter[0] == 0:
        raise Invalid("segment: add at least one condition.", {"definition": "empty"})
    return group


def to_json(item: Group | Condition) -> dict[str, Any]:
    """The canonical JSON form (what is stored): parse(to_json(g)) == g."""
    if isinstance(item, Group):
        return {"match": item.match, "conditions": [to_json(i) for i in item.items]}
    out: dict[str, Any] = {"field": item.field, "op": item.op}
    kind = FIELDS[item.field][item.op][0]
    if kind == "range":
        out["value"] = {"min": item.value[0], "max": item.value[1]}
    elif kind == "events":
        out["value"] = {"events": list(item.value[0]), "within_days": item.value[1]}
    elif item.value is not None:
        out["value"] = list(item.value) if isinstance(item.value, tuple) else item.value
    if item.field == "skills" and not item.children:
        out["children"] = False
    return out


def _fail(path: str, message: str) -> Invalid:
    return Invalid(f"{path}: {message}", {"definition": path})


def _group(raw: Any, path: str, depth: int, counter: list[int]) -> Group:
    if not isinstance(raw, dict):
        raise _fail(path, "expected a group: {\"match\": \"all\" or \"any\", \"conditions\": […]}")
    extra = set(raw) - {"match", "conditions"}
    if extra:
        raise _fail(path, f"unexpected key {sorted(extra)[0]!r} in a group.")
    if raw.get("match") not in ("all", "any"):
        raise _fail(path, "\"match\" must be \"all\" or \"any\".")
    items = raw.get("conditions")
    if not isinstance(items, list):
        raise _fail(path, "\"conditions\" must be a list.")
    if depth > MAX_DEPTH:
        raise _fail(path, f"groups nest at most {MAX_DEPTH} deep.")
    parsed: list[Condition | Group] = []
    for index, item in enumerate(items):
        where = f"{path}.conditions[{index}]" if path != "segment" else f"conditions[{index}]"
        if isinstance(item, dict) and "match" in item:
            parsed.append(_group(item, where, depth + 1, counter))
        else:
            counter[0] += 1
            if counter[0] > MAX_CONDITIONS:
                raise _fail(where, f"a segment has at most {MAX_CONDITIONS} conditions.")
            parsed.append(_condition(item, where))
    if not parsed and depth > 1:
        raise _fail(path, "an empty group matches nothing useful; remove it.")
    return Group(raw["match"], tuple(parsed))


def _condition(raw: Any, path: str) -> Condition:
    if not isinstance(raw, dict):
        raise _fail(path, "expected a condition: {\"field\", \"op\", \"value\"}.")
    extra = set(raw) - {"field", "op", "value", "children"}
    if extra:
        raise _fail(path, f"unexpected key {sorted(extra)[0]!r}.")
    field, op = raw.get("field"), raw.get("op")
    # isinstance first: a list or an object here is unhashable, and the lookup would raise
    # TypeError (a 500 in the builder) instead of naming the condition.
    if not isinstance(field, str) or field not in FIELDS:
        raise _fail(path, f"unknown field {field!r}.")
    if not isinstance(op, str) or op not in FIELDS[field]:
        raise _fail(path, f"{field} has no operator {op!r} "
                          f"(use one of: {', '.join(FIELDS[field])}).")
    kind, choices = FIELDS[field][op]
    children = raw.get("children", True)
    if "children" in raw and (field != "skills" or not isinstance(children, bool)):
        raise _fail(path, "\"children\" is a true/false option of skills conditions only.")
    value = _value(kind, choices, raw.get("value"), "value" in raw, path, field)
    return Condition(field, op, value, children)


def _value(kind: str, choices: tuple[str, ...], value: Any, present: bool, path: str,
           field: str) -> Any:
    if kind == "none":
        if present and value is not None:
            raise _fail(path, f"{field} with this operator takes no value.")
        return None
    if not present:
        raise _fail(path, "a value is needed.")
    if kind in ("strings", "slugs", "choices", "countries", "zones"):
        return _list_of_text(kind, choices, value, path)
    if kind == "ids":
        if not isinstance(value, list) or not value or len(value) > MAX_VALUES or not all(
                isinstance(v, int) and not isinstance(v, bool) and 0 < v < 2**31
                for v in value):
            raise _fail(path, f"choose at least one (at most {MAX_VALUES}).")
        return tuple(sorted(set(value)))
    if kind == "days":
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_DAYS:
            raise _fail(path, f"expected a number of days from 1 to {MAX_DAYS}.")
        return value
    if kind == "range":
        return _range(value, path)
    if kind == "date":
        try:
            return date.fromisoformat(value).isoformat()
        except (ValueError, TypeError):
            raise _fail(path, "expected a date like 2026-01-31.") from None
    if kind == "purpose":
        if value not in choices:
            raise _fail(path, f"unknown consent purpose {value!r}.")
        return value
    if kind == "choice":
        if value not in choices:
            raise _fail(path, f"choose one of: {', '.join(choices)}.")
        return value
    return _events(value, path)


def _list_of_text(kind: str, choices: tuple[str, ...], value: Any, path: str) -> tuple:
    if not isinstance(value, list) or not value or len(value) > MAX_VALUES:
        raise _fail(path, f"choose or type at least one value (at most {MAX_VALUES}).")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip() or len(item) > MAX_TEXT:
            raise _fail(path, f"values must be non-empty text of at most {MAX_TEXT} characters.")
        text = " ".join(item.split())
        if any(ord(char) < 32 or ord(char) == 127 for char in text):
            raise _fail(path, "values must not contain control characters.")
        if any(0xD800 <= ord(char) <= 0xDFFF for char in text):
            # A lone surrogate (a valid JSON escape like "\\ud800") is not Unicode text:
            # PostgreSQL could not be sent it.
            raise _fail(path, "values must be valid Unicode text.")
        if kind == "choices" and text not in choices:
            raise _fail(path, f"unknown choice {text!r}.")
        if kind == "slugs" and not _SLUG.match(text):
            raise _fail(path, f"{text!r} is not a valid identifier.")
        if kind == "countries" and not _COUNTRY.match(text):
            raise _fail(path, f"{text!r} is not a two-letter country code like DE.")
        if kind == "zones" and text not in _zones():
            raise _fail(path, f"{text!r} is not a time zone like Europe/Berlin.")
        if text not in out:
            out.append(text)
    return tuple(sorted(out))


_ZONES: frozenset[str] = frozenset()


def _zones() -> frozenset[str]:
    global _ZONES
    if not _ZONES:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def _range(value: Any, path: str) -> tuple[int, int]:
    if not isinstance(value, dict) or set(value) - {"min", "max"}:
        raise _fail(path, "expected {\"min\": 0-100, \"max\": 0-100}.")
    bounds = []
    for key, default in (("min", 0), ("max", 100)):
        bound = value.get(key, default)
        if bound is None:
            bound = default
        if not isinstance(bound, int) or isinstance(bound, bool) or not 0 <= bound <= 100:
            raise _fail(path, f"\"{key}\" must be a whole number from 0 to 100.")
        bounds.append(bound)
    if bounds[0] > bounds[1]:
        raise _fail(path, "\"min\" must not be above \"max\".")
    return bounds[0], bounds[1]


def _events(value: Any, path: str) -> tuple[tuple[str, ...], int | None]:
    if not isinstance(value, dict) or set(value) - {"events", "within_days"}:
        raise _fail(path, "expected {\"events\": [event slugs, or none for any event], "
                          "\"within_days\": days or null}.")
    slugs = value.get("events") or []
    if not isinstance(slugs, list) or len(slugs) > MAX_VALUES or not all(
            isinstance(s, str) and _SLUG.match(s) for s in slugs):
        raise _fail(path, "\"events\" must be a list of event identifiers.")
    days = value.get("within_days")
    if days is not None and (not isinstance(days, int) or isinstance(days, bool)
                             or not 1 <= days <= MAX_DAYS):
        raise _fail(path, f"\"within_days\" must be from 1 to {MAX_DAYS}, or null.")
    return tuple(sorted(set(slugs))), days
