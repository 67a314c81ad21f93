"""Hiring setup (admins): stage templates and the rejection reasons list. Audited.

Editing a template never touches requisitions already created from it: each has its own
copy of the stages, so a live pipeline never changes under its candidates.
"""

from __future__ import annotations

import json
from datetime import datetime

from domain.accounts.service import Staff
from domain.audit import service as audit
from domain.db import fetch, transaction
from domain.errors import Invalid, NotFound
from domain.ports import Clock
from domain.requisitions.queries import decoded
from domain.requisitions.stages import TemplateDraft

REASON_SIDES = {"company": "The company decided", "candidate": "The candidate decided"}


async def templates() -> list[dict]:
    return await fetch(
        "SELECT t.*, count(s.id) AS stage_count FROM stage_templates t "
        "LEFT JOIN template_stages s ON s.template = t.id GROUP BY t.id ORDER BY t.name")


async def template_with_stages(template_id: int) -> tuple[dict, list[dict]]:
    rows = await fetch("SELECT * FROM stage_templates WHERE id = $1", template_id)
    if not rows:
        raise NotFound("There is no such stage template.")
    stages = await fetch("SELECT * FROM template_stages WHERE template = $1 "
                         "ORDER BY position", template_id)
    return rows[0], [decoded(stage, "automation") for stage in stages]


async def save_template(template_id: int | None, draft: TemplateDraft, *, by: Staff,
                        clock: Clock) -> int:
    """Create (template_id None) or replace a template's fields and stages."""
    now = clock.now()
    async with transaction():
        clash = await fetch("SELECT id FROM stage_templates WHERE lower(name) = lower($1) "
                            "AND id IS DISTINCT FROM $2", draft.name, template_id)
        if clash:
            message = "Another template already has this name."
            raise Invalid(message, {"name": message})
        if template_id is None:
            rows = await fetch(
                "INSERT INTO stage_templates (name, description, silver_threshold, "
                "created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
                draft.name, draft.description, draft.silver_threshold, now)
        else:
            rows = await fetch(
                "UPDATE stage_templates SET name = $2, description = $3, "
                "silver_threshold = $4, updated_at = $5 WHERE id = $1 RETURNING id",
                template_id, draft.name, draft.description, draft.silver_threshold, now)
            if not rows:
                raise NotFound("There is no such stage template.")
        saved = rows[0]["id"]
        await fetch("DELETE FROM template_stages WHERE template = $1", saved)
        for position, stage in enumerate(draft.stages, start=1):
            await fetch(
                "INSERT INTO template_stages (template, position, name, kind, "
                "candidate_label, late_stage, automation, scorecard_attributes) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)", saved, position,
                stage.name, stage.kind, stage.candidate_label, stage.late_stage,
                json.dumps(stage.automation()), stage.scorecard_attributes)
        await _audit("stage_template.created" if template_id is None
                     else "stage_template.updated", f"stage_template:{saved}", by, now,
                     {"name": draft.name, "stages": [s.name for s in draft.stages]})
    return saved


async def reasons() -> list[dict]:
    return await fetch("SELECT * FROM rejection_reasons ORDER BY is_active DESC, by DESC, "
                       "label")


async def add_reason(label: str, side: str, *, by: Staff, clock: Clock) -> None:
    label = _reason_label(label)
    if side not in REASON_SIDES:
        raise Invalid("Say who decides.", {"by": "Say who decides."})
    now = clock.now()
    async with transaction():
        rows = await fetch("INSERT INTO rejection_reasons (label, by, email_template, "
                           "is_active, created_at) VALUES ($1, $2, '', true, $3) "
                           "ON CONFLICT (label) DO NOTHING RETURNING id", label, side, now)
        if not rows:
            message = "That reason is already on the list."
            raise Invalid(message, {"label": message})
        await _audit("rejection_reason.added", f"rejection_reason:{rows[0]['id']}", by, now,
                     {"label": label, "by": side})


async def rename_reason(reason_id: int, label: str, *, by: Staff, clock: Clock) -> None:
    label = _reason_label(label)
    now = clock.now()
    async with transaction():
        if await fetch("SELECT 1 FROM rejection_reasons WHERE label = $1 AND id <> $2",
                       label, reason_id):
            message = "That reason is already on the list."
            raise Invalid(message, {"label": message})
        rows = await fetch("UPDATE rejection_reasons SET label = $2 WHERE id = $1 "
                           "RETURNING id", reason_id, label)
        if not rows:
            raise NotFound("There is no such rejection reason.")
        await _audit("rejection_reason.renamed", f"rejection_reason:{reason_id}", by, now,
                     {"label": label})


async def set_reason_active(reason_id: int, active: bool, *, by: Staff,
                            clock: Clock) -> None:
    """Deactivated reasons stay on past rejections but can no longer be picked."""
    now = clock.now()
    async with transaction():
        rows = await fetch("UPDATE rejection_reasons SET is_active = $2 WHERE id = $1 "
                           "RETURNING id", reason_id, active)
        if not rows:
            raise NotFound("There is no such rejection reason.")
        await _audit("rejection_reason.activated" if active
                     else "rejection_reason.deactivated", f"rejection_reason:{reason_id}",
                     by, now, {})


def _reason_label(label: str) -> str:
    text = " ".join(label.split())
    if not text or len(text) > 120:
        message = "Give the reason in at most 120 characters."
        raise Invalid(message, {"label": message})
    return text


async def _audit(action: str, subject: str, by: Staff, now: datetime, detail: dict) -> None:
    await audit.record(action=action, at=now, actor=by.email, subject=subject, detail=detail)
