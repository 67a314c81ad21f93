"""Campaign management: the form, create and edit (any edit returns the campaign to
draft), submit, approve (four eyes), reject, schedule, duplicate, the CSV audience, and
the hand-over to the sender (domain.campaigns.sending) for pause, resume, cancel and the
sends left in doubt. Every transition is audited.

Approval records the revision it approved; the sender sends only while
approved_revision = revision. An edit bumps the revision and clears the approval in the
same UPDATE that checks the state, so an approval racing an edit cannot survive it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.accounts.permissions import Permission
from domain.accounts.service import Staff
from domain.audit import service as audit
from domain.campaigns import audience, campaign_rules, rules, sending
from domain.campaigns.campaign_rules import Schedule
from domain.consent.rules import COMMUNITY_EMAILS, EVENT_EMAILS
from domain.db import after_commit, fetch, fetchval, transaction
from domain.errors import Conflict, Invalid, NotFound, PermissionDenied
from domain.ports import Clock, TaskQueue

MAX_NAME = 160
MAX_REASON = 500
EDITABLE = campaign_rules.EDITABLE


@dataclass(frozen=True)
class CampaignDraft:
    name: str
    template_id: int
    purpose: str
    consent_scope: str
    subject: str
    html_body: str
    text_body: str
    merge_values: dict[str, Any]
    audience_kind: str
    audience_ref: str
    event_filter: str
    exclude_applicants: bool
    schedule: Schedule
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def text_is_custom(self) -> bool:
        return bool(self.text_body)


def _text(raw: dict, name: str, limit: int = 60_000) -> str:
    value = raw.get(name)
    return str(value if value is not None else "")[:limit]


async def _template(raw: dict, errors: dict[str, str]) -> dict | None:
    ref = _text(raw, "template", 12).strip()
    rows = await fetch("SELECT * FROM marketing_templates WHERE id = $1 "
                       "AND archived_at IS NULL", int(ref)) if ref.isdigit() else []
    if not rows:
        errors["template"] = "Choose the template the campaign starts from."
        return None
    return rows[0]


async def _audience(raw: dict, errors: dict[str, str],
                    staff_id: int | None) -> tuple[str, str, str]:
    """(kind, ref, event_filter) from the audience part of the form."""
    kind = _text(raw, "audience_kind", 16)
    ref = {"segment": _text(raw, "segment_id", 12), "pool": _text(raw, "pool_id", 12),
           "community": _text(raw, "community_slug", 80), "event": _text(raw, "event_id", 12),
           "csv": ""}.get(kind)
    if ref is None:
        errors["audience_kind"] = "Choose who the campaign goes to."
        return "segment", "", ""
    event_filter = _text(raw, "event_filter", 16) if kind == "event" else ""
    table = {"segment": "segments", "pool": "talent_pools", "event": "events"}.get(kind)
    # Someone else's private segment or pool is not offered, nor accepted.
    private = (" AND (visibility = 'shared' OR owner = $2)" if kind in ("segment", "pool")
               and staff_id is not None else "")
    args = (staff_id,) if private else ()
    if table is not None and not (ref.isdigit() and 0 < int(ref) < 2**31 and await fetchval(
            f"SELECT 1 FROM {table} WHERE id = $1{private}", int(ref), *args)):  # noqa: S608  # nosec B608 # table from a fixed map
        errors["audience_ref"] = f"Choose the {kind} the campaign goes to."
    if kind == "community" and not await fetchval(
            "SELECT 1 FROM talent_communities WHERE slug = $1", ref):
        errors["audience_ref"] = "Choose the community the campaign goes to."
    if event_filter not in audience.EVENT_FILTERS:
        errors["event_filter"] = "Choose which of the event's people."
    return kind, ref, event_filter


async def _scope(raw: dict, purpose: str, kind: str, ref: str,
                 errors: dict[str, str]) -> str:
    """The consent scope: a community slug for community emails, an event slug for event
    emails; defaults to the audience's own community or event."""
    scope = _text(raw, "consent_scope", 80).strip()
    if purpose == COMMUNITY_EMAILS:
        scope = scope or (ref if kind == "community" else "")
        if not await fetchval("SELECT 1 FROM talent_communities WHERE slug = $1", scope):
            errors["consent_scope"] = "Choose the community whose email consent applies."
    elif purpose == EVENT_EMAILS:
        if not scope and kind == "event" and ref.isdigit():
            scope = await fetchval("SELECT slug FROM events WHERE id = $1", int(ref)) or ""
        if not await fetchval("SELECT 1 FROM events WHERE slug = $1", scope):
            errors["consent_scope"] = "Choose the event whose email consent applies."
    return scope


async def _merge_values(raw: dict, errors: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    event, requisition = _text(raw, "merge_event", 12), _text(raw, "merge_requisition", 12)
    if event:
        rows = await fetch("SELECT id, title FROM events WHERE id = $1",
                           int(event)) if event.isdigit() else []
        if rows:
            values |= {"event_id": rows[0]["id"], "event_title": rows[0]["title"]}
        else:
            errors["merge_event"] = "Choose an event from the list."
    if requisition:
        rows = await fetch("SELECT id, title FROM requisitions WHERE id = $1",
                           int(requisition)) if requisition.isdigit() else []
        if rows:
            values |= {"requisition_id": rows[0]["id"], "requisition": rows[0]["title"]}
        else:
            errors["merge_requisition"] = "Choose a job from the list."
    return values


def _content(raw: dict, template: dict | None, errors: dict[str, str]) -> tuple[str, str, str]:
    """Subject, HTML and text: the template's when the form leaves them empty (a new
    campaign), else the edited ones, held to the template checks."""
    subject = rules.one_line(_text(raw, "subject"))
    html_body = _text(raw, "html_body").replace("\r\n", "\n").strip()
    text_body = _text(raw, "text_body").replace("\r\n", "\n").strip()
    if not subject and not html_body and template is not None:
        text = template["text_body"] if template["text_is_custom"] else ""
        return template["subject"], template["html_body"], text
    html_body = rules.checked_content(subject, html_body, text_body, errors)
    return subject, html_body, text_body


async def parse(raw: dict, *, staff_id: int | None = None) -> CampaignDraft:
    """The campaign form; raises Invalid with one message per field. With `staff_id`,
    a private segment or pool must be that staff member's own."""
    errors: dict[str, str] = {}
    name = " ".join(_text(raw, "name", 1000).split())
    if not name or len(name) > MAX_NAME:
        errors["name"] = f"Give the campaign a name of at most {MAX_NAME} characters."
    template = await _template(raw, errors)
    purpose = template["purpose"] if template else COMMUNITY_EMAILS
    kind, ref, event_filter = await _audience(raw, errors, staff_id)
    scope = await _scope(raw, purpose, kind, ref, errors)
    merge_values = await _merge_values(raw, errors)
    subject, html_body, text_body = _content(raw, template, errors)
    schedule = campaign_rules.parse_schedule(raw, errors)
    if errors or template is None:
        raise Invalid("Please correct the highlighted fields.", errors)
    return CampaignDraft(
        name=name, template_id=template["id"], purpose=purpose, consent_scope=scope,
        subject=subject, html_body=html_body, text_body=text_body, merge_values=merge_values,
        audience_kind=kind, audience_ref=ref, event_filter=event_filter,
        exclude_applicants=str(raw.get("exclude_applicants") or "") in {"on", "1", "true"},
        schedule=schedule)


async def get(campaign_id: int) -> dict:
    rows = await fetch("SELECT * FROM campaigns WHERE id = $1", campaign_id)
    if not rows:
        raise NotFound("There is no such campaign.")
    found = rows[0]
    if isinstance(found["merge_values"], str):
        found["merge_values"] = json.loads(found["merge_values"])
    return found


async def _audit(action: str, campaign_id: int, by: Staff, at: datetime,
                 detail: dict) -> None:
    await audit.record(action=action, at=at, actor=by.email,
                       subject=f"campaign:{campaign_id}", detail=detail)


_COLUMNS = ("name, template, purpose, consent_scope, subject, html_body, text_body, "
            "text_is_custom, merge_values, audience_kind, audience_ref, event_filter, "
            "exclude_applicants, send_at, zone_mode, time_zone, window_days, window_start, "
            "window_end, rate_per_minute")


def _values(draft: CampaignDraft) -> tuple:
    s = draft.schedule
    return (draft.name, draft.template_id, draft.purpose, draft.consent_scope, draft.subject,
            draft.html_body, draft.text_body, draft.text_is_custom,
            json.dumps(draft.merge_values), draft.audience_kind, draft.audience_ref,
            draft.event_filter, draft.exclude_applicants, s.send_at, s.zone_mode,
            s.time_zone, s.window_days, s.window_start, s.window_end, s.rate_per_minute)


async def create(draft: CampaignDraft, *, by: Staff, clock: Clock) -> int:
    now = clock.now()
    async with transaction():
        campaign_id = int(await fetchval(
            f"INSERT INTO campaigns ({_COLUMNS}, state, revision, created_by, created_at, "  # noqa: S608  # nosec B608 # constant column list
            "updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, "
            "$11, $12, $13, $14, $15, $16, $17, $18, $19, $20, 'draft', 1, $21, $22, $21, $22) "
            "RETURNING id", *_values(draft), by.email, now))
        await _audit("campaign.created", campaign_id, by, now,
                     {"name": draft.name, "template": draft.template_id})
    return campaign_id


async def bump_revision(campaign_id: int, assignments: str, args: tuple, *, by: Staff,
                now: datetime) -> dict:
    """Apply an edit only while the campaign may be edited, and return it to draft with a
    new revision and no approval, in one statement. Returns the old state and new
    revision; Conflict when sending has started (or it is over)."""
    n = len(args)
    rows = await fetch(
        f"WITH old AS (SELECT id, state FROM campaigns WHERE id = $1 FOR UPDATE) "  # noqa: S608  # nosec B608 # assignments are constant fragments
        f"UPDATE campaigns c SET {assignments}, state = 'draft', revision = c.revision + 1, "
        "approved_revision = NULL, approved_by = '', approved_at = NULL, "
        f"updated_by = ${n + 2}, updated_at = ${n + 3} FROM old WHERE c.id = old.id "
        f"AND c.state = ANY(${n + 4}::varchar[]) RETURNING old.state AS was, c.revision",
        campaign_id, *args, by.email, now, list(EDITABLE))
    if rows:
        return rows[0]
    found = await get(campaign_id)
    raise Conflict(f"This campaign is {found['state']}: it can no longer be edited. "
                   "Duplicate it to send a changed copy.")


async def update(campaign_id: int, draft: CampaignDraft, *, by: Staff, clock: Clock) -> int:
    """Save an edit; returns the new revision. The campaign goes back to draft."""
    now = clock.now()
    assignments = ", ".join(f"{column.strip()} = ${i + 2}{'::jsonb' if i == 8 else ''}"
                            for i, column in enumerate(_COLUMNS.split(",")))
    async with transaction():
        changed = await bump_revision(campaign_id, assignments, _values(draft), by=by, now=now)
        if draft.audience_kind != "csv":
            await fetch("DELETE FROM campaign_csv_people WHERE campaign = $1", campaign_id)
        await _audit("campaign.updated", campaign_id, by, now,
                     {"name": draft.name, "revision": changed["revision"],
                      "was": changed["was"]})
    return int(changed["revision"])


async def _move(campaign_id: int, action: str, sql: str, *args: Any) -> dict:
    """Run a state transition guarded by its source states; Conflict if it no longer
    applies (somebody else moved the campaign meanwhile)."""
    rows = await fetch(sql, campaign_id, *args)
    if rows:
        return rows[0]
    found = await get(campaign_id)
    label = campaign_rules.STATE_LABELS.get(found["state"], found["state"])
    raise Conflict(f"This campaign cannot be {action} now: it is {label.lower()}.")


async def submit(campaign_id: int, *, by: Staff, clock: Clock) -> None:
    """Ask for approval. The content must pass the template checks and the audience must
    be one that can be evaluated."""
    campaign = await get(campaign_id)
    problems = rules.problems(campaign["subject"], campaign["html_body"],
                              campaign["text_body"] if campaign["text_is_custom"] else "")
    if problems:
        raise Invalid("Fix the content before submitting it.", problems)
    await audience.source(campaign, now=clock.now())
    now = clock.now()
    async with transaction():
        moved = await _move(
            campaign_id, "submitted",
            "UPDATE campaigns SET state = 'submitted', submitted_by = $2, submitted_at = $3 "
            "WHERE id = $1 AND state = 'draft' RETURNING name, revision", by.email, now)
        await _audit("campaign.submitted", campaign_id, by, now,
                     {"name": moved["name"], "revision": moved["revision"]})


async def approve(campaign_id: int, revision: int, *, by: Staff, clock: Clock) -> None:
    """Approve the revision the approver saw: someone with approval rights who neither
    wrote nor last edited it. A revision that moved on since is refused."""
    if Permission.CAMPAIGNS_APPROVE not in by.permissions:
        raise PermissionDenied("You may not approve campaigns.")
    campaign = await get(campaign_id)
    if not campaign_rules.may_approve(by.email, campaign):
        raise PermissionDenied("Someone other than the author must approve this campaign.")
    if campaign["revision"] != revision:
        raise Conflict("The campaign was changed after you opened it: review it again.")
    now = clock.now()
    async with transaction():
        moved = await _move(
            campaign_id, "approved",
            "UPDATE campaigns SET state = 'approved', approved_revision = revision, "
            "approved_by = $2, approved_at = $3 WHERE id = $1 AND state = 'submitted' "
            "AND revision = $4 AND lower(created_by) <> lower($2) "
            "AND lower(updated_by) <> lower($2) RETURNING name, revision",
            by.email, now, revision)
        await _audit("campaign.approved", campaign_id, by, now,
                     {"name": moved["name"], "revision": moved["revision"]})


async def reject(campaign_id: int, reason: str, *, by: Staff, clock: Clock) -> None:
    reason = " ".join(reason.split())
    if not reason or len(reason) > MAX_REASON:
        raise Invalid("Say why, so the author can fix it.",
                      {"reason": f"Give a reason of at most {MAX_REASON} characters."})
    if Permission.CAMPAIGNS_APPROVE not in by.permissions:
        raise PermissionDenied("You may not reject campaigns.")
    now = clock.now()
    async with transaction():
        moved = await _move(
            campaign_id, "rejected",
            "UPDATE campaigns SET state = 'draft' WHERE id = $1 AND state = 'submitted' "
            "RETURNING name, revision")
        await _audit("campaign.rejected", campaign_id, by, now,
                     {"name": moved["name"], "revision": moved["revision"], "reason": reason})


def may_schedule(staff: Staff, campaign: dict) -> bool:
    """The author, whoever last edited it or the approver starts the sending."""
    people = {str(campaign.get(name) or "").lower()
              for name in ("created_by", "updated_by", "approved_by")}
    return staff.email.lower() in people


async def schedule(campaign_id: int, *, by: Staff, clock: Clock,
                   queue: TaskQueue | None) -> None:
    """Approved → scheduled; the sender starts it at send_at (at once when that is
    empty or past)."""
    campaign = await get(campaign_id)
    if not may_schedule(by, campaign):
        raise PermissionDenied("Only the author or the approver can schedule this campaign.")
    now = clock.now()
    async with transaction():
        moved = await _move(
            campaign_id, "scheduled",
            "UPDATE campaigns SET state = 'scheduled' WHERE id = $1 AND state = 'approved' "
            "AND approved_revision = revision RETURNING name, revision, send_at")
        await _audit("campaign.scheduled", campaign_id, by, now,
                     {"name": moved["name"], "revision": moved["revision"],
                      "send_at": moved["send_at"].isoformat() if moved["send_at"] else None})
        if queue is not None and (moved["send_at"] is None or moved["send_at"] <= now):
            async def start() -> None:
                await sending.kick(campaign_id, queue)
            after_commit(start)


async def duplicate(campaign_id: int, *, by: Staff, clock: Clock) -> int:
    """A new draft with the same content, audience and schedule (not yet approved)."""
    now = clock.now()
    async with transaction():
        new_id = await fetchval(
            f"INSERT INTO campaigns ({_COLUMNS}, state, revision, created_by, created_at, "  # noqa: S608  # nosec B608 # constant column list
            "updated_by, updated_at) SELECT left('Copy of ' || name, 160), "
            f"{_COLUMNS.split(', ', 1)[1]}, 'draft', 1, $2, $3, $2, $3 FROM campaigns "
            "WHERE id = $1 RETURNING id", campaign_id, by.email, now)
        if new_id is None:
            raise NotFound("There is no such campaign.")
        await fetch("INSERT INTO campaign_csv_people (campaign, person) SELECT $2, person "
                    "FROM campaign_csv_people WHERE campaign = $1", campaign_id, new_id)
        await _audit("campaign.duplicated", int(new_id), by, now, {"from": campaign_id})
    return int(new_id)


# --- The sender's controls (domain.campaigns.sending owns the states past scheduled) ----

async def pause(campaign_id: int, *, by: Staff, clock: Clock) -> None:
    await sending.pause(campaign_id, by, clock)


async def resume(campaign_id: int, *, by: Staff, clock: Clock,
                 queue: TaskQueue | None) -> None:
    await sending.resume(campaign_id, by, clock, queue)


async def cancel(campaign_id: int, *, by: Staff, clock: Clock) -> None:
    await sending.cancel(campaign_id, by, clock)


async def decide_in_doubt(campaign_id: int, send_ids: list[int], decision: str, *,
                          by: Staff, clock: Clock) -> int:
    """A human's decision on this campaign's sends left in doubt (CAMPAIGNS_APPROVE)."""
    if Permission.CAMPAIGNS_APPROVE not in by.permissions:
        raise PermissionDenied("You may not decide on sends in doubt.")
    if not send_ids:
        raise Invalid("Choose the emails to decide on.", {"send": "Tick at least one."})
    ours = [row["id"] for row in await fetch(
        "SELECT id FROM marketing_sends WHERE campaign = $1 AND id = ANY($2::bigint[]) "
        "AND state = 'in_doubt'", campaign_id, send_ids)]
    if not ours:
        raise Conflict("Those emails are no longer in doubt.")
    return await sending.decide_in_doubt(ours, decision, by, clock)
