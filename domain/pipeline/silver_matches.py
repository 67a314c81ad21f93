"""Silver medalists of earlier requisitions who match this one: listed first on its page
so that a similar role starts from people already assessed as strong.

A match shares at least one of this requisition's required or nice skills (with the
person's profile skills or the earlier requisition's required skills) or its job
function. People who already applied here are left out: they are in the pipeline.
"""

from __future__ import annotations

from domain.db import fetch
from domain.pipeline.silver_rules import overlap, rank_key

LIMIT = 20

# `&&` on requisitions.required_skills uses its GIN index; the profile side is per row.
_MATCHES = (
    "WITH target AS (SELECT id, job_function, required_skills || nice_skills AS skills "
    "                FROM requisitions WHERE id = $1) "
    "SELECT a.person, coalesce(nullif(p.full_name, ''), p.email) AS name, "
    "r.id AS requisition, r.title, r.job_function, r.required_skills, a.decided_at, "
    "coalesce(pr.skills, ARRAY[]::varchar[]) AS profile_skills, "
    "coalesce(pr.job_function, '') AS profile_function, t.skills AS target_skills, "
    "t.job_function AS target_function "
    "FROM target t JOIN applications a ON a.silver_medalist AND a.requisition <> t.id "
    "JOIN requisitions r ON r.id = a.requisition JOIN people p ON p.id = a.person "
    "LEFT JOIN profiles pr ON pr.person = a.person "
    "WHERE (r.required_skills && t.skills OR pr.skills && t.skills "
    "       OR (t.job_function <> '' AND t.job_function IN (r.job_function, pr.job_function))) "
    "AND NOT EXISTS (SELECT 1 FROM applications here "
    "                WHERE here.person = a.person AND here.requisition = t.id)")


async def for_requisition(requisition_id: int) -> list[dict]:
    """One row per person (their best-matching earlier requisition), best overlap first:
    person, name, requisition, title, shared (skill keys), same_function."""
    best: dict[int, dict] = {}
    for row in await fetch(_MATCHES, requisition_id):
        shared = overlap(list(row["target_skills"]), list(row["profile_skills"]),
                         list(row["required_skills"]))
        function = row["target_function"]
        same = bool(function) and function in (row["job_function"], row["profile_function"])
        match = {"person": row["person"], "name": row["name"],
                 "requisition": row["requisition"], "title": row["title"],
                 "shared": shared, "same_function": same}
        key = rank_key(shared, same, row["name"])
        if row["person"] not in best or key < rank_key(best[row["person"]]["shared"],
                                                      best[row["person"]]["same_function"],
                                                      row["name"]):
            best[row["person"]] = match
    ranked = sorted(best.values(),
                    key=lambda m: (*rank_key(m["shared"], m["same_function"], m["name"]),
                                   m["person"]))
    return ranked[:LIMIT]
