"""Pools, the pure part: names, stages and what a silver-medalist pool is called."""

from __future__ import annotations

from domain.errors import Invalid
from domain.pools.tables import DEFAULT_STAGES
from domain.profiles.rules import JOB_FUNCTIONS, label_of

VISIBILITIES = {"shared": "Shared with the team", "private": "Only me"}
MAX_NAME = 120
MAX_STAGES = 12
# A silver medalist has applied and been assessed well: further along than a sourced lead.
SILVER_STAGE = "interested"


def silver_pool_key(job_function: str) -> str:
    return f"silver:{job_function or 'general'}"


def silver_pool_name(job_function: str) -> str:
    label = label_of(JOB_FUNCTIONS, job_function) if job_function else "All functions"
    return f"Silver medalists — {label}"


def stage_label(stage: str) -> str:
    return stage.replace("_", " ").capitalize()


def parse_pool(raw: dict) -> dict:
    """The new/edit pool form → clean values, or Invalid with per-field messages."""
    errors: dict[str, str] = {}
    name = " ".join(str(raw.get("name") or "").split())
    if not name or len(name) > MAX_NAME:
        errors["name"] = f"Give the pool a name of at most {MAX_NAME} characters."
    description = str(raw.get("description") or "").strip()
    if len(description) > 2000:
        errors["description"] = "Use at most 2,000 characters."
    visibility = str(raw.get("visibility") or "shared")
    if visibility not in VISIBILITIES:
        errors["visibility"] = "Choose who can see the pool."
    stages = parse_stages(str(raw.get("stages") or ""), errors)
    if errors:
        raise Invalid("Please correct the highlighted fields.", errors)
    return {"name": name, "description": description, "visibility": visibility,
            "stages": stages}


def parse_stages(text: str, errors: dict[str, str]) -> list[str]:
    """Comma-separated stage names, in order; blank → the default five."""
    stages: list[str] = []
    for part in text.split(","):
        stage = "_".join(part.strip().lower().split())
        if stage and stage not in stages:
            stages.append(stage)
    if not stages:
        return list(DEFAULT_STAGES)
    if len(stages) > MAX_STAGES or any(len(s) > 40 for s in stages):
        errors["stages"] = f"List at most {MAX_STAGES} stages of up to 40 characters."
    return stages


REVIEW_ACTIONS = ("advance", "skip", "reject", "save")
MAX_NOTE = 2000


def next_stage(stages: list[str], stage: str) -> str | None:
    """The stage after `stage`, or None at the last one (or an unknown stage)."""
    if stage not in stages:
        return None
    index = stages.index(stage)
    return stages[index + 1] if index + 1 < len(stages) else None
