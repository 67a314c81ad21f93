"""Recording bounces and complaints (from the webhook or a DSN/ARF report by mail) and
acting on them by the rules of bounce_rules: suppress, mark the send, warn, pause.

Each report is stored once in inbound_messages (kind bounce | complaint). There,
`from_address` is the address the report is about and `message_id` the Message-ID of
our original email, so a provider retrying its webhook, or a DSN delivered twice,
changes nothing the second time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.audit import service as audit
from domain.campaigns import bounce_rules
from domain.db import fetch, fetchval, transaction
from domain.engagement import service as engagement
from domain.mail import service as mail
from domain.ports import TaskQueue
from domain.privacy import suppression

_SEND_COLUMNS = ("s.id AS send, s.person, s.campaign, s.enrollment, s.step_key, "
                 "p.email AS person_email")


def _id_variants(message_id: str) -> list[str]:
    bare = message_id.strip().strip("<>")
    return [f"<{bare}>", bare] if bare else []


async def find_send(message_ids: list[str], email: str = "") -> dict[str, Any] | None:
    """Our send a report or reply is about: by Message-ID, else the address's latest."""
    variants = [v for message_id in message_ids for v in _id_variants(message_id)]
    if variants:
        rows = await fetch(
            f"SELECT {_SEND_COLUMNS} FROM marketing_sends s JOIN people p ON p.id = s.person "  # noqa: S608
            "WHERE s.message_id = ANY($1::text[]) ORDER BY s.id DESC LIMIT 1",  # nosec B608 # constant columns
            variants)
        if rows:
            return rows[0]
    if not email:
        return None
    rows = await fetch(
        f"SELECT {_SEND_COLUMNS} FROM marketing_sends s JOIN people p ON p.id = s.person "  # noqa: S608
        "WHERE p.email = $1 AND s.sent_at IS NOT NULL "  # nosec B608 # constant columns
        "ORDER BY s.sent_at DESC LIMIT 1", email.strip().lower())
    return rows[0] if rows else None


async def _seen(kind: str, address: str, message_id: str, status: str) -> bool:
    if not message_id:
        return False
    found = await fetchval(
        "SELECT 1 FROM inbound_messages WHERE kind = $1 AND from_address = $2 "
        "AND message_id = $3 AND status_code = $4 LIMIT 1", kind, address, message_id, status)
    return found is not None


async def _store(kind: str, target: dict | None, *, address: str, message_id: str,
                 source: str, at: datetime, bounce_kind: str = "", status: str = "",
                 diagnostic: str = "") -> int:
    return int(await fetchval(
        "INSERT INTO inbound_messages (kind, send, person, source, from_address, subject, "
        "body_text, bounce_kind, status_code, diagnostic, message_id, received_at) "
        "VALUES ($1, $2, $3, $4, $5, '', '', $6, $7, $8, $9, $10) RETURNING id",
        kind, target and target["send"], target and target["person"], source[:16],
        address[:320], bounce_kind, status[:16], diagnostic[:2000], message_id[:300], at))


def _payload(target: dict, **extra: Any) -> dict[str, Any]:
    return {"send": target["send"], "campaign": target["campaign"],
            "enrollment": target["enrollment"], "step": target["step_key"] or None, **extra}


async def bounce(*, email: str, message_id: str, kind: str, status: str, diagnostic: str,
                 at: datetime, source: str) -> dict[str, Any]:
    """A hard or soft bounce of one address. Idempotent per (address, message, status)."""
    async with transaction():
        target = await find_send([message_id], email)
        address = (email or (target or {}).get("person_email") or "").strip().lower()
        if await _seen("bounce", address, message_id, status):
            return {"kind": "bounce", "duplicate": True}
        await _store("bounce", target, address=address, message_id=message_id, source=source,
                     at=at, bounce_kind=kind, status=status, diagnostic=diagnostic)
        if target is not None:
            await fetch(
                "UPDATE marketing_sends SET bounced_at = coalesce(bounced_at, $2), "
                "bounce_kind = CASE WHEN bounce_kind = 'hard' THEN 'hard' ELSE $3 END "
                "WHERE id = $1", target["send"], at, kind)
            await engagement.record(person_id=target["person"], type="email_bounced",
                                    occurred_at=at, source="email",
                                    payload=_payload(target, bounce=kind, status=status))
        suppressed = await _suppress_after_bounce(address, kind, status, at=at)
    return {"kind": "bounce", "bounce_kind": kind, "send": target and target["send"],
            "suppressed": suppressed}


async def _suppress_after_bounce(address: str, kind: str, status: str, *,
                                 at: datetime) -> bool:
    if not address:
        return False
    if kind == "hard":
        await suppression.suppress(address, reason="hard_bounce", now=at, detail=status)
        return True
    soft = await fetchval(
        "SELECT count(*) FROM inbound_messages WHERE kind = 'bounce' AND bounce_kind = 'soft' "
        "AND from_address = $1 AND received_at > $2 AND received_at <= $3",
        address, at - bounce_rules.SOFT_WINDOW, at)
    if soft >= bounce_rules.SOFT_LIMIT:
        await suppression.suppress(address, reason="soft_bounces", now=at,
                                   detail=f"{soft} soft bounces in 30 days, last {status}")
        return True
    return False


async def complaint(*, email: str, message_id: str, at: datetime, source: str,
                    queue: TaskQueue | None) -> dict[str, Any]:
    """Someone reported our email as spam: suppress them, then check the rate."""
    async with transaction():
        target = await find_send([message_id], email)
        address = (email or (target or {}).get("person_email") or "").strip().lower()
        if await _seen("complaint", address, message_id, ""):
            return {"kind": "complaint", "duplicate": True}
        await _store("complaint", target, address=address, message_id=message_id,
                     source=source, at=at)
        if address:
            await suppression.suppress(address, reason="complaint", now=at, detail=source)
        if target is not None:
            await engagement.record(person_id=target["person"], type="email_complained",
                                    occurred_at=at, source="email", payload=_payload(target))
        level = await check_complaint_rate(now=at, queue=queue)
    return {"kind": "complaint", "send": target and target["send"], "level": level}


async def complaint_rate(*, now: datetime) -> tuple[int, int]:
    """(complaints, marketing emails sent) over the complaint window."""
    since = now - bounce_rules.COMPLAINT_WINDOW
    complaints = await fetchval(
        "SELECT count(*) FROM inbound_messages WHERE kind = 'complaint' "
        "AND received_at > $1 AND received_at <= $2", since, now)
    sends = await fetchval(
        "SELECT count(*) FROM marketing_sends WHERE sent_at > $1 AND sent_at <= $2 "
        "AND state IN ('sent', 'in_doubt')", since, now)
    return int(complaints), int(sends)


async def check_complaint_rate(*, now: datetime, queue: TaskQueue | None) -> str:
    """Warn admins at 0.1%, pause marketing at 0.3% (each once: the settings row, locked
    here, remembers). Returns the level reached ('' | warn | pause)."""
    async with transaction():
        await fetch("INSERT INTO marketing_settings (id, cap_messages, cap_days, paused_reason, "
                    "updated_by) VALUES (1, 2, 7, '', '') ON CONFLICT (id) DO NOTHING")
        state = (await fetch("SELECT paused_at, complaint_warned_at FROM marketing_settings "
                             "WHERE id = 1 FOR UPDATE"))
        complaints, sends = await complaint_rate(now=now)
        level = bounce_rules.complaint_level(complaints, sends)
        if not level or not state:
            return level
        figures = {"complaints": complaints, "sends": sends,
                   "rate_percent": round(100 * complaints / max(sends, 1), 3)}
        warned = state[0]["complaint_warned_at"]
        if warned is None or warned <= now - bounce_rules.COMPLAINT_WINDOW:
            await _warn(figures, now=now, queue=queue)
        if level == "pause" and state[0]["paused_at"] is None:
            await _pause(figures, now=now, queue=queue)
    return level


async def _warn(figures: dict, *, now: datetime, queue: TaskQueue | None) -> None:
    await fetch("UPDATE marketing_settings SET complaint_warned_at = $1 WHERE id = 1", now)
    await audit.record(action="marketing.complaint_rate_warning", at=now, actor="system",
                       subject="marketing_settings:1", detail=figures)
    await _email_admins("warning", figures, now=now, queue=queue)


async def _pause(figures: dict, *, now: datetime, queue: TaskQueue | None) -> None:
    reason = (f"Complaint rate {figures['rate_percent']}% over the last 30 days "
              f"({figures['complaints']} complaints in {figures['sends']} marketing emails) "
              f"reached {100 * bounce_rules.COMPLAINT_PAUSE:g}%.")
    await fetch("UPDATE marketing_settings SET paused_at = $1, paused_reason = $2, "
                "updated_by = 'system', updated_at = $1 WHERE id = 1", now, reason)
    await audit.record(action="marketing.paused_for_complaints", at=now, actor="system",
                       subject="marketing_settings:1", detail={**figures, "reason": reason})
    await _email_admins("paused", figures, now=now, queue=queue)


async def _email_admins(level: str, figures: dict, *, now: datetime,
                        queue: TaskQueue | None) -> None:
    admins = await fetch("SELECT email FROM staff_users WHERE 'admin' = ANY(roles) "
                         "AND is_active ORDER BY id")
    for admin in admins:
        await mail.queue_email(
            person_id=None, to=admin["email"], template="complaint_rate_alert",
            context={"level": level, **figures},
            dedupe_key=f"complaint_rate_alert:{level}:{admin['email']}:{now:%Y%m%d%H%M%S}",
            now=now, queue=queue)


async def alert_context(template: str, stored: dict, *, clock: Any) -> dict:
    from settings import get_settings

    return {**stored, "paused": stored.get("level") == "paused",
            "warn_percent": f"{100 * bounce_rules.COMPLAINT_WARN:g}",
            "pause_percent": f"{100 * bounce_rules.COMPLAINT_PAUSE:g}",
            "campaigns_url": f"{get_settings().base_url}/backoffice/campaigns"}


EMAIL_CONTEXTS: dict = {"complaint_rate_alert": alert_context}
