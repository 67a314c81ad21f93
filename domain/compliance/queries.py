"""Read models for the EEO report and requisition metrics.

The EEO queries return counts per group and stage only: self-identification is joined
to applications inside the database and leaves it aggregated, never per person
(EEOC OLC letter 2002; 29 CFR 1607.4(B)).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.compliance import rules
from domain.compliance.rules import DIMENSIONS, StageRow
from domain.db import fetch

# Not steps of selection: leaving the flow is what the rates measure.
OFF_FLOW = ["rejected", "withdrawn"]
# Across requisitions, stages are compared by kind (each has its own stage names).
KIND_LEVELS = [(1, "applied", "Applied"), (2, "screen", "Screen"),
               (3, "interview", "Interview"), (4, "offer", "Offer"), (5, "hired", "Hired")]
_KIND_CASE = "CASE s.kind " + " ".join(
    f"WHEN '{kind}' THEN {level}" for level, kind, _ in KIND_LEVELS) + " END"
# Time in stage ends when the next step starts; these stages have no next step.
TERMINAL = ["hired", "rejected", "withdrawn"]


async def requisitions() -> list[dict]:
    return await fetch("SELECT id, title, status FROM requisitions "
                       "WHERE status <> 'draft' ORDER BY lower(title), id")


async def flow_stages(requisition_id: int | None) -> list[tuple[int, str]]:
    """(level, name) of the selection flow, in order."""
    if requisition_id is None:
        return [(level, label) for level, _, label in KIND_LEVELS]
    rows = await fetch("SELECT position, name FROM requisition_stages WHERE requisition = $1 "
                       "AND kind <> ALL($2::varchar[]) ORDER BY position",
                       requisition_id, OFF_FLOW)
    return [(row["position"], row["name"]) for row in rows]


async def reached_counts(dimension: str, requisition_id: int | None) -> list[tuple[str, int, int]]:
    """(group answer, highest level reached, applicants): aggregates only."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown EEO dimension {dimension!r}")
    level = "s.position" if requisition_id is not None else _KIND_CASE
    scope = "a.requisition = $2" if requisition_id is not None else "$2::int IS NULL"
    # `dimension` is one of DIMENSIONS' keys and `level` constant SQL; values are parameters.
    rows = await fetch(
        f"WITH reached AS (SELECT t.application, max({level}) AS level "  # noqa: S608  # nosec B608 # a DIMENSIONS key, constant CASE
        "FROM stage_transitions t JOIN applications a ON a.id = t.application "
        "JOIN requisition_stages s ON s.id = t.to_stage "
        f"WHERE s.kind <> ALL($1::varchar[]) AND {scope} GROUP BY t.application) "
        f"SELECT coalesce(e.{dimension}, 'declined') AS grp, r.level, count(*)::int AS n "
        "FROM reached r LEFT JOIN eeo_self_identifications e ON e.application = r.application "
        "WHERE r.level IS NOT NULL GROUP BY 1, 2",
        OFF_FLOW, requisition_id,
    )
    return [(row["grp"], int(row["level"]), int(row["n"])) for row in rows]


async def first_hire_at(requisition_id: int) -> datetime | None:
    rows = await fetch(
        "SELECT min(t.at) AS at FROM stage_transitions t JOIN applications a "
        "ON a.id = t.application WHERE a.requisition = $1 AND t.kind = 'hired'",
        requisition_id)
    return rows[0]["at"] if rows else None


async def stage_stays(requisition_id: int) -> list[dict]:
    """Per stage of the flow: finished stays in days, and how many are still in it."""
    return await fetch(
        "SELECT s.id, s.position, s.name, coalesce(array_agg(extract(epoch FROM "
        "x.left_at - x.at)::float8 / 86400.0) FILTER (WHERE x.left_at IS NOT NULL), "
        "'{}') AS days, count(x.at) FILTER (WHERE x.left_at IS NULL)::int AS current "
        "FROM requisition_stages s LEFT JOIN (SELECT t.to_stage, t.at, lead(t.at) OVER "
        "(PARTITION BY t.application ORDER BY t.at, t.id) AS left_at "
        "FROM stage_transitions t JOIN applications a ON a.id = t.application "
        "WHERE a.requisition = $1) x ON x.to_stage = s.id "
        "WHERE s.requisition = $1 AND s.kind <> ALL($2::varchar[]) "
        "GROUP BY s.id ORDER BY s.position",
        requisition_id, TERMINAL)


@dataclass(frozen=True)
class DimensionReport:
    key: str
    label: str
    rows: list[StageRow]


async def eeo_report(requisition_id: int | None, *, minimum: int) -> list[DimensionReport]:
    """The four-fifths report for one requisition (or all), one table per dimension."""
    stages = await flow_stages(requisition_id)
    levels = [level for level, _ in stages]
    reports = []
    for key, (label, _) in DIMENSIONS.items():
        reached = rules.reached_by_level(await reached_counts(key, requisition_id), key,
                                         levels)
        reports.append(DimensionReport(key, label, rules.stage_rows(
            stages, reached, key, minimum=minimum)))
    return reports


async def requisition_metrics(requisition: dict) -> dict:
    """Time to fill and time in stage (definitions on the metrics page)."""
    hired_at = await first_hire_at(requisition["id"])
    stays = []
    for row in await stage_stays(requisition["id"]):
        days = list(row["days"])
        stays.append({"name": row["name"], "finished": len(days), "current": row["current"],
                      "median": rules.median(days), "p90": rules.percentile(days, 0.9)})
    return {"first_hire_at": hired_at,
            "time_to_fill": rules.days_between(requisition["opened_at"], hired_at),
            "stages": stays}
