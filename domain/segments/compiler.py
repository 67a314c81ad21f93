"""A parsed segment → one parameterised SQL condition over `people p` (with `profiles pr`
and `engagement_scores es` left-joined). No value from the definition is ever written
into the SQL text: every value travels as a `$n` parameter with an explicit cast, and the
SQL fragments are fixed strings chosen by field and operator.

Truth is two-valued by construction. A positive fragment may yield NULL where a joined
row is missing (no profile, never engaged); NULL only ever sits where it reads as false
(WHERE, AND, OR), and every negative operator compiles to `NOT coalesce(<positive>,
false)`, so "not in Germany" includes the people whose country is unknown. That is also
the evaluator's definition (tests/segments_support.py) which the property tests hold the
SQL to.

Index use: the positive fragments are sargable on the typed columns (GIN on
profiles.skills, btree on function/seniority/country, on engagement score/band/last
engagement, and per-person indexes under every EXISTS).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from domain.db import fetch
from domain.errors import Invalid
from domain.segments.definition import STAGE_KINDS, Condition, Group

BASE_FROM = ("FROM people p LEFT JOIN profiles pr ON pr.person = p.id "
             "LEFT JOIN engagement_scores es ON es.person = p.id")
# Erased-but-retained and merged-away records are nobody's audience.
BASE_WHERE = "p.merged_into IS NULL AND p.email NOT LIKE 'erased-%@invalid'"
NEGATIVE = {"not_in", "none", "not_member_of", "not_given", "not_within_days",
            "not_registered", "never", "not_applied", "applied_none", "is_not"}
# The positive operator each negative one negates.
POSITIVE_OF = {"not_in": "in", "none": "any", "not_member_of": "member_of",
               "not_given": "given", "not_within_days": "within_days",
               "not_registered": "registered", "never": "ever", "not_applied": "applied",
               "applied_none": "applied_any", "is_not": "is"}


@dataclass(frozen=True)
class Catalog:
    """The reference data a definition names: skill slug → parent slug, and slug → id for
    communities and events. Built by `load_catalog`; pure data for the evaluator too."""

    skill_parents: dict[str, str | None]
    communities: dict[str, int]
    events: dict[str, int]

    def with_children(self, slug: str) -> tuple[str, ...]:
        """The skill and every skill below it in the taxonomy."""
        children: dict[str, list[str]] = {}
        for child, parent in self.skill_parents.items():
            if parent:
                children.setdefault(parent, []).append(child)
        found, todo = [slug], [slug]
        while todo:
            for child in children.get(todo.pop(), []):
                if child not in found:
                    found.append(child)
                    todo.append(child)
        return tuple(sorted(found))


@dataclass
class Params:
    values: list[Any] = field(default_factory=list)

    def add(self, value: Any, cast: str) -> str:
        self.values.append(value)
        return f"${len(self.values)}::{cast}"


@dataclass(frozen=True)
class Compiled:
    where: str  # a boolean SQL expression over p, pr, es
    args: tuple[Any, ...]


def _walk(group: Group):
    for item in group.items:
        if isinstance(item, Group):
            yield from _walk(item)
        else:
            yield item


async def load_catalog(group: Group) -> Catalog:
    """The skills taxonomy and the communities and events this definition names."""
    skills = {row["slug"]: row["parent"] for row in await fetch(
        "SELECT s.slug, p.slug AS parent FROM skills s LEFT JOIN skills p ON p.id = s.parent")}
    communities = {row["slug"]: row["id"] for row in await fetch(
        "SELECT slug, id FROM talent_communities")}
    wanted = sorted({slug for c in _walk(group) if c.field == "event" for slug in c.value[0]})
    events = {row["slug"]: row["id"] for row in await fetch(
        "SELECT slug, id FROM events WHERE slug = ANY($1::varchar[])", wanted)} if wanted else {}
    return Catalog(skills, communities, events)


def compile_segment(group: Group, catalog: Catalog, *, now: datetime) -> Compiled:
    params = Params()
    where = _group(group, catalog, params, now, "conditions")
    return Compiled(where, tuple(params.values))


def _group(group: Group, catalog: Catalog, params: Params, now: datetime, path: str) -> str:
    parts = []
    for index, item in enumerate(group.items):
        where = f"{path}[{index}]"
        if isinstance(item, Group):
            parts.append(_group(item, catalog, params, now, f"{where}.conditions"))
        else:
            parts.append(_condition(item, catalog, params, now, where))
    if not parts:
        return "TRUE" if group.match == "all" else "FALSE"
    joiner = " AND " if group.match == "all" else " OR "
    return "(" + joiner.join(parts) + ")"


def _condition(cond: Condition, catalog: Catalog, params: Params, now: datetime,
               path: str) -> str:
    negative = cond.op in NEGATIVE
    op = POSITIVE_OF.get(cond.op, cond.op)
    sql = _positive(cond, op, catalog, params, now, path)
    return f"NOT coalesce({sql}, false)" if negative else f"({sql})"


def _cut(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def _day_start(iso: str) -> datetime:
    return datetime.combine(date.fromisoformat(iso), time(), tzinfo=UTC)


def _positive(cond: Condition, op: str, catalog: Catalog, params: Params, now: datetime,
              path: str) -> str:
    f, v = cond.field, cond.value
    if f == "skills":
        return _skills(cond, op, catalog, params, path)
    if f in ("job_function", "seniority", "country", "time_zone"):
        return f"pr.{f} = ANY({params.add(list(v), 'varchar[]')})"
    if f == "work_mode":
        return f"pr.work_modes && {params.add(list(v), 'varchar[]')}"
    if f == "community":
        unknown = [slug for slug in v if slug not in catalog.communities]
        if unknown:
            raise Invalid(f"{path}: no community {unknown[0]!r}.", {"definition": path})
        ids = params.add([catalog.communities[slug] for slug in v], "int[]")
        return ("EXISTS (SELECT 1 FROM community_memberships m WHERE m.person = p.id "  # nosec B608 # fixed fragments, $n params
                f"AND m.status = 'confirmed' AND m.community = ANY({ids}))")
    if f == "consent":
        purpose = params.add(v, "varchar")
        # Some scope whose latest decisive entry is a 'given' one.
        return ("EXISTS (SELECT 1 FROM consent_records c WHERE c.person = p.id "  # nosec B608 # fixed fragments, $n params
                f"AND c.purpose = {purpose} AND c.action = 'given' AND NOT EXISTS ("
                "SELECT 1 FROM consent_records later WHERE later.person = c.person "
                "AND later.purpose = c.purpose AND later.scope = c.scope "
                "AND later.action IN ('given', 'withdrawn', 'expired') "
                "AND (later.occurred_at, later.id) > (c.occurred_at, c.id)))")
    if f == "engagement_score":
        low, high = v
        if low == 0:  # never engaged reads as 0
            return f"coalesce(es.score, 0) <= {params.add(high, 'int')}"
        return f"es.score BETWEEN {params.add(low, 'int')} AND {params.add(high, 'int')}"
    if f == "engagement_band":
        bands = params.add(list(v), "varchar[]")
        if "cold" in v:
            return f"(es.band = ANY({bands}) OR es.person IS NULL)"
        return f"es.band = ANY({bands})"
    if f == "last_engaged":
        return f"es.last_engaged_at >= {params.add(_cut(now, v), 'timestamptz')}"
    if f == "event":
        return _event(op, v, catalog, params, now, path)
    if f == "content_viewed":
        since = "" if op == "ever" else \
            f" AND e.occurred_at >= {params.add(_cut(now, v), 'timestamptz')}"
        return ("EXISTS (SELECT 1 FROM engagement_events e WHERE e.person = p.id "  # nosec B608 # fixed fragments, $n params
                f"AND e.type = 'content_viewed'{since})")
    if f == "application":
        which = "" if op == "applied_any" else \
            f" AND a.requisition = ANY({params.add(list(v), 'int[]')})"
        return f"EXISTS (SELECT 1 FROM applications a WHERE a.person = p.id{which})"  # nosec B608 # fixed fragments, $n params
    if f == "furthest_stage":
        kinds = list(STAGE_KINDS[STAGE_KINDS.index(v):])
        return ("EXISTS (SELECT 1 FROM applications a JOIN stage_transitions t "  # nosec B608 # fixed fragments, $n params
                "ON t.application = a.id JOIN requisition_stages s ON s.id = t.to_stage "
                f"WHERE a.person = p.id AND s.kind = ANY({params.add(kinds, 'varchar[]')}))")
    if f == "rejection_reason":
        return ("EXISTS (SELECT 1 FROM applications a WHERE a.person = p.id "  # nosec B608 # fixed fragments, $n params
                f"AND a.rejection_reason = ANY({params.add(list(v), 'int[]')}))")
    if f == "silver_medalist":
        return ("EXISTS (SELECT 1 FROM applications a WHERE a.person = p.id "
                "AND a.silver_medalist)")
    if f == "source":
        return f"p.source = ANY({params.add(list(v), 'varchar[]')})"
    if f == "tag":
        return _tag(op, v, params)
    if f == "created":
        if op == "after":
            return f"p.created_at >= {params.add(_day_start(v), 'timestamptz')}"
        if op == "before":
            return f"p.created_at < {params.add(_day_start(v), 'timestamptz')}"
        return f"p.created_at >= {params.add(_cut(now, v), 'timestamptz')}"
    if f == "pool":
        return ("EXISTS (SELECT 1 FROM pool_members pm WHERE pm.person = p.id "  # nosec B608 # fixed fragments, $n params
                f"AND pm.pool = ANY({params.add(list(v), 'int[]')}))")
    raise Invalid(f"{path}: unknown field {f!r}.", {"definition": path})  # pragma: no cover


def _skills(cond: Condition, op: str, catalog: Catalog, params: Params, path: str) -> str:
    unknown = [slug for slug in cond.value if slug not in catalog.skill_parents]
    if unknown:
        raise Invalid(f"{path}: no skill {unknown[0]!r} in the taxonomy.", {"definition": path})
    groups = [catalog.with_children(s) if cond.children else (s,) for s in cond.value]
    if op == "any":
        every = sorted({slug for g in groups for slug in g})
        return f"pr.skills && {params.add(every, 'varchar[]')}"
    # all: each named skill, itself or one of its children.
    singles = sorted(g[0] for g in groups if len(g) == 1)
    parts = [f"pr.skills @> {params.add(singles, 'varchar[]')}"] if singles else []
    parts += [f"pr.skills && {params.add(list(g), 'varchar[]')}" for g in groups if len(g) > 1]
    return " AND ".join(parts)


def _event(op: str, value: tuple, catalog: Catalog, params: Params, now: datetime,
           path: str) -> str:
    slugs, days = value
    unknown = [slug for slug in slugs if slug not in catalog.events]
    if unknown:
        raise Invalid(f"{path}: no event {unknown[0]!r}.", {"definition": path})
    status = {"registered": "r.status <> 'cancelled'", "attended": "r.status = 'attended'",
              "no_show": "r.status = 'no_show'"}[op]
    which = f" AND r.event = ANY({params.add([catalog.events[s] for s in slugs], 'int[]')})" \
        if slugs else ""
    when = f" AND ev.starts_at >= {params.add(_cut(now, days), 'timestamptz')}" \
        if days else ""
    return ("EXISTS (SELECT 1 FROM event_registrations r JOIN events ev ON ev.id = r.event "  # nosec B608 # fixed fragments, $n params
            f"WHERE r.person = p.id AND {status}{which}{when})")


def _tag(op: str, value: tuple, params: Params) -> str:
    lowered = sorted({tag.lower() for tag in value})
    tags = params.add(lowered, "varchar[]")
    if op == "all":
        return ("(SELECT count(DISTINCT lower(t.tag)) FROM person_tags t WHERE t.person = p.id "  # nosec B608 # fixed fragments, $n params
                f"AND lower(t.tag) = ANY({tags})) = {params.add(len(lowered), 'int')}")
    return ("EXISTS (SELECT 1 FROM person_tags t WHERE t.person = p.id "  # nosec B608 # fixed fragments, $n params
            f"AND lower(t.tag) = ANY({tags}))")
