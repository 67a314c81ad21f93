"""B9's data: one open requisition with N applications, each with its `applied`
transition, written with COPY (people by INSERT … SELECT generate_series, server-side).

Every application starts in the Screen stage, so a bulk batch can go to Interview and
back, round after round.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

BY = "bench@bench.invalid"


@dataclass(frozen=True)
class Seeded:
    requisition: int
    ids: list[int]  # application ids, ascending (the list's order)
    stages: dict[str, int]  # stage kind (first of each) → id
    moving: tuple[int, int]  # the two open stages bulk batches go between


async def seed(conn: Any, applications: int) -> Seeded:
    tag = f"b9-{os.getpid()}-{applications}"
    now = datetime.now(UTC)
    requisition = await conn.fetchval(
        "INSERT INTO requisitions (slug, title, team, status, openings, filled, "
        "screening_questions, template_name, opened_at, created_at, updated_at) "
        "VALUES ($1, 'Bench engineer', 'Bench', 'open', 1, 0, '[]'::jsonb, 'Standard', $2, "
        "$2, $2) RETURNING id", tag, now - timedelta(days=30))
    rows = await conn.fetch(
        "INSERT INTO requisition_stages (requisition, position, name, kind, candidate_label, "
        "late_stage, automation, scorecard_attributes) SELECT $1, s.position, s.name, s.kind, "
        # No stage automation: B9 measures the move with its transitions and audit rows, as
        # QUALITY.md defines it; the Standard template's stage emails would add 1,000
        # emails and outbox rows per move (bench/README.md gives that figure apart).
        "s.candidate_label, s.late_stage, '{}'::jsonb, s.scorecard_attributes "
        "FROM template_stages s JOIN stage_templates t ON t.id = s.template "
        "WHERE t.name = 'Standard' RETURNING id, position, kind", requisition)
    stages: dict[str, int] = {}
    for row in sorted(rows, key=lambda r: r["position"]):
        stages.setdefault(row["kind"], row["id"])
    if "screen" not in stages or "interview" not in stages:
        raise RuntimeError("B9 needs the Standard template's screen and interview stages")
    people = [row["id"] for row in await conn.fetch(
        "INSERT INTO people (email, full_name, source, created_at, updated_at) "
        "SELECT $2 || '-' || n || '@bench.invalid', 'Bench applicant ' || n, 'bench', $3, $3 "
        "FROM generate_series(1, $1) AS n RETURNING id", applications, tag,
        now - timedelta(days=40))]
    ids = [row["id"] for row in await conn.fetch(
        "SELECT nextval(pg_get_serial_sequence('applications', 'id')) AS id "
        "FROM generate_series(1, $1)", applications)]
    moving = (stages["screen"], stages["interview"])
    applied = [now - timedelta(days=29, seconds=n) for n in range(applications)]
    await conn.copy_records_to_table(
        "applications", columns=["id", "requisition", "person", "stage", "status", "source",
                                 "answers", "knockout", "silver_medalist", "applied_at",
                                 "stage_entered_at", "last_action_at"],
        records=[(app_id, requisition, person, moving[0], "active", "portal",
                  "{}", False, False, applied[n], applied[n], applied[n])
                 for n, (app_id, person) in enumerate(zip(ids, people, strict=True))])
    await conn.copy_records_to_table(
        "stage_transitions", columns=["application", "from_stage", "to_stage", "kind", "by",
                                      "at", "reason"],
        records=[(app_id, None, moving[0], "applied", f"person:{person}",
                  applied[n], "") for n, (app_id, person) in enumerate(zip(ids, people,
                                                                          strict=True))])
    await conn.execute("ANALYZE applications")
    await conn.execute("ANALYZE stage_transitions")
    await conn.execute("ANALYZE people")
    return Seeded(requisition, ids, stages, moving)
