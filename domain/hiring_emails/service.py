"""Hiring email templates: list, create, update, deactivate, and which reason sends which.

A template is checked when it is saved (merge fields, syntax, a render against sample
values), so the automation that sends it later never meets a template that cannot render.
Keys are fixed once created: stage automation and rejection reasons refer to them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.accounts.service import Staff
from domain.audit import service as audit
from domain.db import fetch, transaction
from domain.errors import Invalid, NotFound
from domain.hiring_emails import rendering
from domain.ports import Clock
from settings import get_settings

PURPOSES = {"stage": "On entering a stage", "rejection": "Rejection",
            "general": "General (bulk emails)"}
MAX_KEY, MAX_NAME, MAX_SUBJECT, MAX_BODY = 80, 120, 200, 20_000
_KEY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class TemplateDraft:
    key: str
    name: str
    purpose: str
    subject: str
    body: str


def parse(raw: dict, *, new: bool) -> TemplateDraft:
    """The template form; raises Invalid with one message per field."""
    key = str(raw.get("key") or "").strip().lower()
    name = " ".join(str(raw.get("name") or "").split())
    purpose = str(raw.get("purpose") or "")
    subject = " ".join(str(raw.get("subject") or "").split())
    body = str(raw.get("body") or "").replace("\r\n", "\n").strip()
    errors: dict[str, str] = {}
    if new and (not _KEY.match(key) or len(key) > MAX_KEY):
        errors["key"] = (f"Use lowercase letters, digits and dashes (at most {MAX_KEY}), "
                         "e.g. “moved-to-interview”.")
    if not name or len(name) > MAX_NAME:
        errors["name"] = f"Give the template a name of at most {MAX_NAME} characters."
    if purpose not in PURPOSES:
        errors["purpose"] = "Choose what the template is for."
    if not subject or len(subject) > MAX_SUBJECT:
        errors["subject"] = f"Write a subject of at most {MAX_SUBJECT} characters."
    if not body or len(body) > MAX_BODY:
        errors["body"] = f"Write the message, at most {MAX_BODY:,} characters."
    for field, message in rendering.problems(subject, body).items():
        errors.setdefault(field, message)
    if errors:
        raise Invalid("Please correct the highlighted fields.", errors)
    return TemplateDraft(key=key, name=name, purpose=purpose, subject=subject, body=body)


async def templates() -> list[dict]:
    return await fetch("SELECT * FROM hiring_email_templates "
                       "ORDER BY is_active DESC, purpose, name")


async def get(template_id: int) -> dict:
    rows = await fetch("SELECT * FROM hiring_email_templates WHERE id = $1", template_id)
    if not rows:
        raise NotFound("There is no such email template.")
    return rows[0]


async def by_key(key: str) -> dict:
    """An active template by its key; Invalid (field `template`) otherwise."""
    rows = await fetch("SELECT * FROM hiring_email_templates WHERE key = $1 AND is_active",
                       key)
    if not rows:
        raise Invalid("Choose an active email template.",
                      {"template": "Choose an email template."})
    return rows[0]


async def choices(*purposes: str) -> list[tuple[str, str]]:
    """(key, name) of the active templates of these purposes (all when none given)."""
    rows = await fetch("SELECT key, name FROM hiring_email_templates WHERE is_active "
                       "AND (cardinality($1::varchar[]) = 0 OR purpose = ANY($1::varchar[])) "
                       "ORDER BY name", list(purposes))
    return [(row["key"], row["name"]) for row in rows]


async def active_keys(*purposes: str) -> set[str]:
    return {key for key, _ in await choices(*purposes)}


async def create(draft: TemplateDraft, *, by: Staff, clock: Clock) -> int:
    now = clock.now()
    async with transaction():
        rows = await fetch(
            "INSERT INTO hiring_email_templates (key, name, purpose, subject, body, "
            "is_active, updated_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, "
            "true, $6, $7, $7) ON CONFLICT (key) DO NOTHING RETURNING id",
            draft.key, draft.name, draft.purpose, draft.subject, draft.body, by.email, now)
        if not rows:
            message = "Another template already uses this key."
            raise Invalid(message, {"key": message})
        template_id = int(rows[0]["id"])
        await _audit("hiring_email.created", template_id, by, now, {"key": draft.key})
    return template_id


async def update(template_id: int, draft: TemplateDraft, *, by: Staff, clock: Clock) -> None:
    now = clock.now()
    async with transaction():
        rows = await fetch(
            "UPDATE hiring_email_templates SET name = $2, purpose = $3, subject = $4, "
            "body = $5, updated_by = $6, updated_at = $7 WHERE id = $1 RETURNING key",
            template_id, draft.name, draft.purpose, draft.subject, draft.body, by.email, now)
        if not rows:
            raise NotFound("There is no such email template.")
        await _audit("hiring_email.updated", template_id, by, now, {"key": rows[0]["key"]})


async def set_active(template_id: int, active: bool, *, by: Staff, clock: Clock) -> None:
    """A deactivated template is no longer offered nor sent by automation; stages and
    reasons that name it simply send nothing until it is active again."""
    now = clock.now()
    async with transaction():
        rows = await fetch("UPDATE hiring_email_templates SET is_active = $2, updated_by = $3, "
                           "updated_at = $4 WHERE id = $1 RETURNING key",
                           template_id, active, by.email, now)
        if not rows:
            raise NotFound("There is no such email template.")
        await _audit("hiring_email.activated" if active else "hiring_email.deactivated",
                     template_id, by, now, {"key": rows[0]["key"]})


async def set_reason_email(reason_id: int, key: str, *, by: Staff, clock: Clock) -> None:
    """Which rejection template a reason sends ('' = none)."""
    key = key.strip()
    if key and key not in await active_keys("rejection"):
        message = "Choose one of the active rejection templates."
        raise Invalid(message, {f"email-{reason_id}": message})
    now = clock.now()
    async with transaction():
        rows = await fetch("UPDATE rejection_reasons SET email_template = $2 WHERE id = $1 "
                           "RETURNING id", reason_id, key)
        if not rows:
            raise NotFound("There is no such rejection reason.")
        await audit.record(action="rejection_reason.email_set", at=now, actor=by.email,
                           subject=f"rejection_reason:{reason_id}", detail={"template": key})


def preview(template: dict, requisition: dict | None = None) -> rendering.Rendered:
    """The template rendered with the sample candidate, for this requisition (its title
    and link) when given, else for a sample one."""
    values = dict(rendering.SAMPLE_CONTEXT)
    if requisition is not None:
        settings = get_settings()
        values |= {"job_title": requisition["title"],
                   "company": settings.company_name or "talentloop",
                   "applications_url": f"{settings.base_url}/account/applications",
                   "job_url": f"{settings.base_url}/jobs/{requisition['slug']}"}
    return rendering.render(template["subject"], template["body"], values)


async def _audit(action: str, template_id: int, by: Staff, now, detail: dict) -> None:
    await audit.record(action=action, at=now, actor=by.email,
                       subject=f"hiring_email:{template_id}", detail=detail)
