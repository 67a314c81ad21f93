"""Candidate profiles: the skills taxonomy, profile edits and CV uploads."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from domain.audit import service as audit
from domain.db import execute, fetch, transaction
from domain.engagement import service as engagement
from domain.errors import Invalid, NotFound
from domain.ports import Clock
from domain.profiles import files, rules
from domain.skills import normalise as skills_normalise
from domain.skills import service as skills_service

SKILLS_FILE = Path(__file__).with_name("skills.json")


@lru_cache(maxsize=1)
def taxonomy() -> tuple[dict[str, Any], ...]:
    return tuple(json.loads(SKILLS_FILE.read_text(encoding="utf-8")))


async def ensure_skills() -> None:
    """Seed the skills table from skills.json (domain.skills.service.seed: new skills
    only, admins own the rest). Idempotent."""
    await skills_service.seed(taxonomy())


async def skill_index() -> rules.SkillIndex:
    """The shared, per-process cached index (domain.skills.normalise)."""
    return await skills_normalise.skill_index()


@dataclass(frozen=True)
class ProfileUpdate:
    full_name: str
    headline: str = ""
    city: str = ""
    country: str = ""
    time_zone: str = ""
    links: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    unmatched_skills: tuple[str, ...] = ()
    job_function: str = ""
    seniority: str = ""
    work_modes: tuple[str, ...] = ()
    open_to_relocation: bool = False
    open_to_opportunities: str = ""


def _guard(update: ProfileUpdate) -> None:
    """Last line of defence behind the form: a value outside a fixed list never lands."""
    allowed = {
        "country": {"", *rules.COUNTRIES},
        "time_zone": {"", *rules.time_zones()},
        "job_function": {"", *dict(rules.JOB_FUNCTIONS)},
        "seniority": {"", *dict(rules.SENIORITIES)},
        "open_to_opportunities": {"", *dict(rules.OPEN_STATUSES)},
    }
    bad = [name for name, values in allowed.items() if getattr(update, name) not in values]
    if not set(update.work_modes) <= set(dict(rules.WORK_MODES)):
        bad.append("work_modes")
    if not update.full_name.strip():
        bad.append("full_name")
    if len(update.links) > rules.MAX_LINKS:
        bad.append("links")
    if bad:
        raise Invalid(errors=dict.fromkeys(bad, "This value is not allowed."))


async def update_profile(person_id: int, update: ProfileUpdate, *, clock: Clock,
                         source: str = "portal") -> list[str]:
    """Save the profile; returns the names of the fields that changed (maybe none).
    `source` goes on the profile_updated engagement event (who made the change)."""
    _guard(update)
    now = clock.now()
    async with transaction():
        before = await _locked_profile(person_id)
        after = asdict(update)
        changed = rules.changed_fields(before, after)
        if not changed:
            return []
        status_at = _status_date(before, update, now)
        if "full_name" in changed:
            await execute("UPDATE people SET full_name = $2, updated_at = $3 WHERE id = $1",
                          person_id, update.full_name, now)
        await _upsert_profile(person_id, update, status_at, now)
        await engagement.record(person_id=person_id, type="profile_updated", occurred_at=now,
                                source=source[:80], payload={"fields": changed})
    return changed


async def _locked_profile(person_id: int) -> dict[str, Any]:
    # Locking the person serialises two saves of one profile (two tabs, a double click).
    # The lock and the read are two statements on purpose: under READ COMMITTED a single
    # SELECT … FOR UPDATE that waited still reads the joined profile from its old snapshot.
    if not await fetch("SELECT id FROM people WHERE id = $1 FOR UPDATE", person_id):
        raise NotFound("There is no such person.")
    rows = await fetch(
        "SELECT p.full_name, pr.headline, pr.city, pr.country, pr.time_zone, pr.links, "
        "pr.skills, pr.unmatched_skills, pr.job_function, pr.seniority, pr.work_modes, "
        "pr.open_to_relocation, pr.open_to_opportunities, pr.open_status_at "
        "FROM people p LEFT JOIN profiles pr ON pr.person = p.id WHERE p.id = $1",
        person_id,
    )
    row = rows[0]
    row["links"] = json.loads(row["links"]) if isinstance(row["links"], str) else row["links"]
    return row


def _status_date(before: dict[str, Any], update: ProfileUpdate, now: datetime) -> date | None:
    if not update.open_to_opportunities:
        return None
    if update.open_to_opportunities == (before["open_to_opportunities"] or ""):
        return before["open_status_at"]
    return now.date()


async def _upsert_profile(person_id: int, update: ProfileUpdate, status_at: date | None,
                          now: datetime) -> None:
    await execute(
        "INSERT INTO profiles (person, headline, city, country, time_zone, links, skills, "
        "unmatched_skills, job_function, seniority, work_modes, open_to_relocation, "
        "open_to_opportunities, open_status_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13, $14, $15) "
        "ON CONFLICT (person) DO UPDATE SET headline = EXCLUDED.headline, city = EXCLUDED.city, "
        "country = EXCLUDED.country, time_zone = EXCLUDED.time_zone, links = EXCLUDED.links, "
        "skills = EXCLUDED.skills, unmatched_skills = EXCLUDED.unmatched_skills, "
        "job_function = EXCLUDED.job_function, seniority = EXCLUDED.seniority, "
        "work_modes = EXCLUDED.work_modes, open_to_relocation = EXCLUDED.open_to_relocation, "
        "open_to_opportunities = EXCLUDED.open_to_opportunities, "
        "open_status_at = EXCLUDED.open_status_at, updated_at = EXCLUDED.updated_at",
        person_id, update.headline, update.city, update.country, update.time_zone,
        json.dumps(list(update.links)), list(update.skills), list(update.unmatched_skills),
        update.job_function, update.seniority, list(update.work_modes),
        update.open_to_relocation, update.open_to_opportunities, status_at, now,
    )


# --- CVs -------------------------------------------------------------------------------


async def upload_cv(person_id: int, *, filename: str, data: bytes, clock: Clock,
                    make_current: bool = True) -> dict:
    """Check, store and record a CV, making it the current one; the previous one stays
    as history. Invalid (errors["cv"]) when the file is not an acceptable CV.
    `make_current=False` keeps it beside the profile (a file someone sent in that person's
    name without proving the address must not replace the CV they chose)."""
    try:
        content_type = files.sniff(data)
    except files.RejectedFile as exc:
        raise Invalid(str(exc), errors={"cv": str(exc)}) from exc
    stored = await asyncio.to_thread(files.save, data)
    try:
        async with transaction():
            row = await _record_cv(
                person_id, stored, files.display_name(filename, content_type), content_type,
                clock.now(), make_current=make_current,
            )
            await engagement.record(
                person_id=person_id, type="cv_uploaded", occurred_at=clock.now(),
                source="portal", payload={"file_type": files.EXTENSIONS[content_type][1:]},
            )
    except BaseException:
        files.remove(stored.key)  # the row never committed: leave no orphan on disk
        raise
    return row


async def _record_cv(person_id: int, stored: files.StoredFile, display_name: str,
                     content_type: str, now: datetime, *, make_current: bool) -> dict:
    # One current CV per person (a unique partial index): serialise uploads per person.
    if not await fetch("SELECT id FROM people WHERE id = $1 FOR UPDATE", person_id):
        raise NotFound("There is no such person.")
    if make_current:
        await execute(
            "UPDATE cv_files SET is_current = false, replaced_at = $2 "
            "WHERE person = $1 AND is_current", person_id, now,
        )
    rows = await fetch(
        "INSERT INTO cv_files (person, storage_key, display_name, content_type, size_bytes, "
        "sha256, is_current, uploaded_at, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
        "RETURNING id, display_name, content_type, size_bytes, sha256, uploaded_at",
        person_id, stored.key, display_name, content_type, stored.size, stored.sha256,
        make_current, now, "" if make_current else "sent with an application, not signed in",
    )
    return rows[0]


@dataclass(frozen=True)
class CvDownload:
    path: Path
    display_name: str
    content_type: str


_CV_COLUMNS = "id, person, storage_key, display_name, content_type FROM cv_files"


async def cv_for_owner(*, person_id: int, cv_id: int) -> CvDownload:
    """The candidate's own CV (current or earlier). Anyone else's id is simply not found,
    so ids reveal nothing about who has uploaded what."""
    rows = await fetch(f"SELECT {_CV_COLUMNS} WHERE id = $1 AND person = $2",
                       cv_id, person_id)
    return _download(rows)


async def cv_for_staff(*, cv_id: int, actor: str, ip: str, clock: Clock) -> CvDownload:
    """A CV for staff allowed to see candidates; every download is in the audit log."""
    rows = await fetch(f"SELECT {_CV_COLUMNS} WHERE id = $1", cv_id)
    download = _download(rows)
    await audit.record(action="staff.cv_downloaded", at=clock.now(), actor=actor,
                       subject=f"cv:{cv_id}", ip=ip, detail={"person": rows[0]["person"]})
    return download


def _download(rows: list[dict]) -> CvDownload:
    if not rows:
        raise NotFound("There is no CV at this address.")
    path = files.path_of(rows[0]["storage_key"])
    if not path.is_file():
        raise NotFound("This CV file is no longer available.")
    return CvDownload(path, rows[0]["display_name"], rows[0]["content_type"])
