"""What happens when applications enter a stage, run by `domain.pipeline.transitions.write`
in the same transaction as the move.

moved / reopened → the stage's automation: its email template to each candidate, a
scorecard request to the hiring team members who have not submitted one for the
application at that stage, and an availability request to each candidate.
rejected → the rejection reason's template (unless the recruiter unticked it).

Set-based: a constant number of statements whatever the number of rows. Every email's
dedupe key names the stage transition it belongs to, so a retried task or request never
sends one twice, and re-entering a stage later (a new transition) sends again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from domain.consent import service as consent
from domain.db import fetch
from domain.interviews import availability
from domain.mail import service as mail
from domain.ports import TaskQueue

TEMPLATE = "hiring_email"
SCORECARD_TEMPLATE = "stage_scorecard_request"


async def after_write(written: dict[int, int], *, kind: str, stage: dict, by: str,
                      at: datetime, rejection_reason: int | None, notify: bool,
                      queue: TaskQueue | None) -> int:
    """`written` maps application id → the id of the transition just written. Returns
    how many candidate emails were queued."""
    if not written:
        return 0
    if kind == "rejected":
        if not notify or rejection_reason is None:
            return 0
        template_id = await _reason_template(rejection_reason)
        return await send(written, template_id, stage_id=stage["id"], at=at, queue=queue,
                          prefix="rejection")
    if kind not in ("moved", "reopened"):
        return 0
    automation = await _automation(stage)
    sent = 0
    if automation.get("email"):
        template_id = await active_template_id(str(automation["email"]))
        sent = await send(written, template_id, stage_id=stage["id"], at=at, queue=queue,
                          prefix="stage")
    if automation.get("ask_scorecard"):
        await _ask_scorecards(written, stage["id"], at, queue)
    if automation.get("request_availability"):
        await availability.request_many(sorted(written), stage_id=stage["id"], by=by, now=at,
                                        queue=queue)
    return sent


async def _automation(stage: dict) -> dict:
    value = stage.get("automation")
    if value is None:
        rows = await fetch("SELECT automation FROM requisition_stages WHERE id = $1",
                           stage["id"])
        value = rows[0]["automation"] if rows else {}
    if isinstance(value, str):
        value = json.loads(value)
    return value or {}


async def active_template_id(key: str) -> int | None:
    rows = await fetch("SELECT id FROM hiring_email_templates WHERE key = $1 AND is_active",
                       key)
    return int(rows[0]["id"]) if rows else None


async def _reason_template(reason_id: int) -> int | None:
    rows = await fetch("SELECT t.id FROM rejection_reasons r JOIN hiring_email_templates t "
                       "ON t.key = r.email_template AND t.is_active WHERE r.id = $1",
                       reason_id)
    return int(rows[0]["id"]) if rows else None


async def recipients(application_ids: list[int]) -> list[dict]:
    """Each application's candidate and address, suppressed addresses left out."""
    rows = await fetch("SELECT a.id, a.person, p.email FROM applications a "
                       "JOIN people p ON p.id = a.person WHERE a.id = ANY($1::int[]) "
                       "AND p.email <> '' ORDER BY a.id", application_ids)
    suppressed = await consent.suppressed_emails([row["email"] for row in rows])
    return [row for row in rows if row["email"] not in suppressed]


async def send(written: Mapping[int, int | str], template_id: int | None, *, stage_id: int | None,
               at: datetime, queue: TaskQueue | None, prefix: str) -> int:
    """Queue template `template_id` to the candidate of each application; the key is
    `prefix:<written value>:<template>` (a transition id, or a bulk action's own id)."""
    if template_id is None:
        return 0
    context = {"template_id": template_id}
    if stage_id is not None:
        context["stage_id"] = stage_id
    return await mail.queue_emails([
        mail.Outgoing(row["person"], row["email"], {**context, "application_id": row["id"]},
                      f"hiring:{prefix}:{written[row['id']]}:{template_id}")
        for row in await recipients(sorted(written))], template=TEMPLATE, now=at, queue=queue)


async def _ask_scorecards(written: dict[int, int], stage_id: int, at: datetime,
                          queue: TaskQueue | None) -> int:
    ids = sorted(written)
    rows = await fetch(
        "SELECT a.id AS application, s.id AS staff, s.email FROM applications a "
        "JOIN requisition_members m ON m.requisition = a.requisition "
        "JOIN staff_users s ON s.id = m.staff AND s.is_active "
        "WHERE a.id = ANY($1::int[]) AND NOT EXISTS (SELECT 1 FROM scorecards c "
        "  WHERE c.application = a.id AND c.stage = $2 AND c.author = s.id "
        "  AND c.status = 'submitted') ORDER BY a.id, s.id", ids, stage_id)
    return await mail.queue_emails([
        mail.Outgoing(None, row["email"], {"application_id": row["application"],
                                           "stage_id": stage_id, "staff_id": row["staff"]},
                      f"scorecard-request:{written[row['application']]}:{row['staff']}")
        for row in rows], template=SCORECARD_TEMPLATE, now=at, queue=queue)
