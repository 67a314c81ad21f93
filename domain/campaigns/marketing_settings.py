"""The marketing settings (MARKETING_SETTINGS): the frequency cap shared by campaigns and
sequences, and the marketing pause the complaint rate sets (only an admin lifts it)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.accounts.service import Staff
from domain.audit import service as audit
from domain.db import fetch, transaction
from domain.errors import Conflict, Invalid
from domain.ports import Clock

MAX_CAP_MESSAGES, MAX_CAP_DAYS = 50, 90


@dataclass(frozen=True)
class CapForm:
    cap_messages: int
    cap_days: int


async def current() -> dict:
    """The settings row, created with the defaults (2 per 7 days) if missing."""
    await fetch("INSERT INTO marketing_settings (id, cap_messages, cap_days, paused_reason, "
                "updated_by) VALUES (1, 2, 7, '', '') ON CONFLICT (id) DO NOTHING")
    return (await fetch("SELECT * FROM marketing_settings WHERE id = 1"))[0]


def _whole(raw: str, low: int, high: int) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isdigit() and low <= int(raw) <= high else None


def parse_cap(raw: dict) -> CapForm:
    errors: dict[str, str] = {}
    messages = _whole(str(raw.get("cap_messages") or ""), 1, MAX_CAP_MESSAGES)
    days = _whole(str(raw.get("cap_days") or ""), 1, MAX_CAP_DAYS)
    if messages is None:
        errors["cap_messages"] = f"A whole number of emails from 1 to {MAX_CAP_MESSAGES}."
    if days is None:
        errors["cap_days"] = f"A whole number of days from 1 to {MAX_CAP_DAYS}."
    if errors or messages is None or days is None:
        raise Invalid("Please correct the highlighted fields.", errors)
    return CapForm(messages, days)


async def save_cap(form: CapForm, *, by: Staff, clock: Clock) -> None:
    now = clock.now()
    await current()
    async with transaction():
        old = (await fetch("SELECT cap_messages, cap_days FROM marketing_settings "
                           "WHERE id = 1 FOR UPDATE"))[0]
        await fetch("UPDATE marketing_settings SET cap_messages = $1, cap_days = $2, "
                    "updated_by = $3, updated_at = $4 WHERE id = 1",
                    form.cap_messages, form.cap_days, by.email, now)
        await audit.record(action="marketing_settings.cap_changed", at=now, actor=by.email,
                           subject="marketing_settings",
                           detail={"from": [old["cap_messages"], old["cap_days"]],
                                   "to": [form.cap_messages, form.cap_days]})


async def lift_pause(*, by: Staff, clock: Clock) -> None:
    now = clock.now()
    await current()
    async with transaction():
        rows = await fetch("UPDATE marketing_settings SET paused_at = NULL, paused_reason = '', "
                           "updated_by = $1, updated_at = $2 WHERE id = 1 "
                           "AND paused_at IS NOT NULL RETURNING id", by.email, now)
        if not rows:
            raise Conflict("Marketing email is not paused.")
        await audit.record(action="marketing_settings.pause_lifted", at=now, actor=by.email,
                           subject="marketing_settings", detail={})
