"""Silver medalists: rejecting a strong candidate late keeps them in the CRM.

The reject dialog first asks `candidates()` who would qualify and shows one sentence and
one checkbox each; the reject itself goes through `reject_one` / `reject_many`, which
lock the applications, decide again under the lock (a scorecard or a move may have
happened since the dialog was drawn), reject through `moves` / `bulk` unchanged, and call
`on_silver_medalist` for the ticked ones that still qualify — all in one transaction, so
a mark never exists without its rejection.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from domain.audit import service as audit
from domain.db import fetch, fetchval, transaction
from domain.pipeline import bulk, moves, transitions
from domain.pipeline.bulk import BulkResult
from domain.pipeline.silver_rules import (
    DEFAULT_THRESHOLD,
    SilverCandidate,
    qualifies,
    to_mark,
)
from domain.pools import rules as pool_rules
from domain.pools import service as pools
from domain.ports import Clock, TaskQueue
from domain.sequences import enrolment as sequence_enrolment

# The average is the one `domain.interviews.scorecards.average` gives (every submitted
# scorecard of the application, all stages, rounded to 2 places), computed per row here
# so a bulk selection costs one query instead of one per application.
_ROWS = (
    "SELECT a.id, a.person, a.status, s.name AS stage_name, s.late_stage, r.job_function, "
    "coalesce(nullif(p.full_name, ''), p.email) AS name, "
    "(SELECT round(avg(r.rating)::numeric, 2) FROM scorecard_ratings r "
    " JOIN scorecards c ON c.id = r.scorecard "
    " WHERE c.application = a.id AND c.status = 'submitted') AS average "
    "FROM applications a JOIN requisition_stages s ON s.id = a.stage "
    "JOIN requisitions r ON r.id = a.requisition JOIN people p ON p.id = a.person "
    "WHERE a.id = ANY($1::int[]) AND a.requisition = $2 ORDER BY a.id")


async def threshold(requisition_id: int) -> Decimal:
    """The requisition's template threshold, found by the template name it was created
    from; DEFAULT_THRESHOLD when that template no longer exists (see silver_rules)."""
    value = await fetchval(
        "SELECT t.silver_threshold FROM requisitions r JOIN stage_templates t "
        "ON t.name = r.template_name WHERE r.id = $1", requisition_id)
    return Decimal(value) if value is not None else DEFAULT_THRESHOLD


async def candidates(requisition_id: int, application_ids: list[int]) -> list[SilverCandidate]:
    """Which of these applications rejecting now would make silver medalists."""
    if not application_ids:
        return []
    limit = await threshold(requisition_id)
    rows = await fetch(_ROWS, sorted(set(application_ids)), requisition_id)
    return [SilverCandidate(row["id"], row["person"], row["name"], row["stage_name"],
                            float(row["average"]), limit,
                            pool_rules.silver_pool_name(row["job_function"]))
            for row in rows
            if qualifies(status=row["status"], late_stage=row["late_stage"],
                         average=None if row["average"] is None else float(row["average"]),
                         threshold=limit)]


async def reject_one(application_id: int, reason_id: int | None, *, ticked: list[int],
                     by: str, note: str = "", clock: Clock, notify: bool = True,
                     queue: TaskQueue | None = None) -> list[int]:
    """`moves.reject`, then mark the application if ticked and still qualifying.
    Returns the ids marked."""
    async with transaction():
        requisition_id = await moves.requisition_of(application_id)
        await transitions.lock(requisition_id, [application_id])
        found = await candidates(requisition_id, [application_id])
        await moves.reject(application_id, reason_id, by=by, note=note, clock=clock,
                           notify=notify, queue=queue)
        return await _mark(to_mark(found, ticked, [application_id]), by, clock.now())


async def reject_many(requisition_id: int, ids: list[int], reason_id: int | None, *,
                      ticked: list[int], by: str, note: str = "", clock: Clock,
                      notify: bool = True,
                      queue: TaskQueue | None = None) -> tuple[BulkResult, list[int]]:
    """`bulk.reject` on exactly the selection, then mark the ticked qualifying ones."""
    async with transaction():
        # Locked in id order like bulk.reject itself, so the two never deadlock.
        await transitions.lock(requisition_id, sorted(set(ids)))
        found = await candidates(requisition_id, ids)
        result = await bulk.reject(requisition_id, ids, reason_id, by=by, note=note,
                                   clock=clock, notify=notify, queue=queue)
        return result, await _mark(to_mark(found, ticked, result.done), by, clock.now())


async def _mark(chosen: list[SilverCandidate], by: str, at: datetime) -> list[int]:
    for candidate in chosen:
        await on_silver_medalist(candidate.application_id, stage_name=candidate.stage_name,
                                 average=candidate.average, by=by, at=at)
    return [c.application_id for c in chosen]


async def on_silver_medalist(application_id: int, *, stage_name: str, average: float,
                             by: str, at: datetime) -> None:
    """The hook run once per new silver medalist, inside the rejecting transaction.

    It records the flag on the application, a `silver_medalist` event on the person's
    timeline (requisition, function and skills) and an audit entry, and adds the person
    to the shared silver-medalist pool of the requisition's job function (created on
    first use, at the pool's "interested" stage), then enrols them in the nurture
    sequences entered by such a rejection, where their consent allows."""
    rows = await fetch(
        "UPDATE applications a SET silver_medalist = true FROM requisitions r "
        "WHERE a.id = $1 AND r.id = a.requisition RETURNING a.person, r.id AS requisition, "
        "r.title, r.job_function, r.required_skills", application_id)
    row = rows[0]
    detail = {"requisition": row["title"], "requisition_id": row["requisition"],
              "stage": stage_name, "average": average, "job_function": row["job_function"],
              "skills": list(row["required_skills"])}
    await fetch(
        "INSERT INTO engagement_events (person, type, occurred_at, source, payload) "
        "VALUES ($1, 'silver_medalist', $2, $3, $4::jsonb)",
        row["person"], at, f"requisition:{row['requisition']}", json.dumps(detail))
    pool_id = await pools.silver_pool_for(row["job_function"], list(row["required_skills"]),
                                          now=at)
    await pools.add_people(pool_id, [row["person"]], stage=pool_rules.SILVER_STAGE,
                           source=f"silver_medalist:application:{application_id}", by=by,
                           at=at)
    detail["pool_id"] = pool_id
    await audit.record(action="application.silver_medalist", at=at, actor=by,
                       subject=f"application:{application_id}", detail=detail)
    # Nurture sequences entered by this rejection, where the person's consent allows.
    await sequence_enrolment.on_silver_medalist(row["person"],
                                                job_function=row["job_function"] or "", at=at)
