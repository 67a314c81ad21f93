"""Hiring reference data every installation needs: the "Standard" stage template and the
rejection reasons. Idempotent: existing rows (possibly edited by an admin) are left alone."""

from __future__ import annotations

import json
from datetime import datetime

from domain.db import fetch, transaction
from domain.hiring_emails.defaults import REASON_TEMPLATES, STAGE_TEMPLATES, ensure_templates

STANDARD = "Standard"
# (name, kind, candidate-facing label, late stage)
STANDARD_STAGES = (
    ("Applied", "applied", "Application received", False),
    ("Screen", "screen", "Under review", False),
    ("Interview", "interview", "Interviewing", False),
    ("Final interview", "interview", "Interviewing", True),
    ("Offer", "offer", "Offer", True),
    ("Hired", "hired", "Hired", False),
    ("Rejected", "rejected", "Not selected", False),
    ("Withdrawn", "withdrawn", "Withdrawn", False),
)
# What interviewers rate at each stage (1-4). Without attributes a scorecard has no ratings,
# so nobody could ever reach the silver-medalist average; admins edit these per template
# and requisitions per stage.
SCORECARD_ATTRIBUTES = {
    "Screen": ["Motivation", "Communication"],
    "Interview": ["Skills for the role", "Problem solving", "Communication"],
    "Final interview": ["Skills for the role", "Collaboration", "Growth potential"],
}
REJECTION_REASONS = (
    ("Not enough experience", "company"), ("Skills mismatch", "company"),
    ("Position filled", "company"), ("Other candidate chosen", "company"),
    ("Failed assessment", "company"), ("Withdrew", "candidate"),
    ("Accepted another offer", "candidate"), ("Salary expectations", "candidate"),
)


async def ensure_hiring_defaults(*, now: datetime) -> None:
    async with transaction():
        await ensure_templates(now=now)  # before the stages and reasons that name them
        rows = await fetch(
            "INSERT INTO stage_templates (name, description, silver_threshold, created_at, "
            "updated_at) VALUES ($1, $2, 3.00, $3, $3) ON CONFLICT (name) DO NOTHING "
            "RETURNING id", STANDARD, "The usual process: screen, interviews, offer.", now)
        if rows:  # only a template created just now gets the stages
            for position, (name, kind, label, late) in enumerate(STANDARD_STAGES, start=1):
                await fetch(
                    "INSERT INTO template_stages (template, position, name, kind, "
                    "candidate_label, late_stage, automation, scorecard_attributes) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::varchar[])",
                    rows[0]["id"], position, name, kind, label, late,
                    json.dumps({"email": STAGE_TEMPLATES.get(name, ""),
                                "ask_scorecard": kind == "interview",
                                "request_availability": False}),
                    SCORECARD_ATTRIBUTES.get(name, []))
        await fetch(
            "INSERT INTO rejection_reasons (label, by, email_template, is_active, created_at) "
            "SELECT label, by, email, true, $3 FROM unnest($1::varchar[], $2::varchar[], "
            "$4::varchar[]) AS r(label, by, email) ON CONFLICT (label) DO NOTHING",
            [label for label, _ in REJECTION_REASONS], [by for _, by in REJECTION_REASONS],
            now, [REASON_TEMPLATES.get(label, "") for label, _ in REJECTION_REASONS])
