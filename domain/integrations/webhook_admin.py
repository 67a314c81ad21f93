"""Webhook subscriptions for admins (INTEGRATIONS_MANAGE): create, edit, rotate the
secret, enable/disable, send a test, retry a delivery now. Every change is audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from domain.accounts.admin import Actor
from domain.audit import service as audit
from domain.db import fetch, transaction
from domain.errors import Conflict, Invalid, NotFound
from domain.integrations import webhook_delivery as delivery
from domain.integrations import webhook_rules as rules
from domain.ports import Clock, TaskQueue
from settings import get_settings


@dataclass(frozen=True)
class Draft:
    url: str
    description: str
    event_types: list[str]
    allow_private_network: bool


def parse(form: dict[str, Any]) -> tuple[Draft, dict[str, str]]:
    """Check a subscription form; errors by field name."""
    url = str(form.get("url") or "").strip()
    description = str(form.get("description") or "").strip()
    event_types = rules.parse_event_types(list(form.get("event_types") or []))
    draft = Draft(url, description, event_types, bool(form.get("allow_private_network")))
    errors: dict[str, str] = {}
    problem = rules.url_problem(url)
    if problem:
        errors["url"] = problem
    if len(description) > 200:
        errors["description"] = "Keep the description under 200 characters."
    if not event_types:
        errors["event_types"] = "Choose at least one event type."
    return draft, errors


async def _check_target(draft: Draft) -> None:
    """At save time as at send time: the host must resolve to public addresses unless
    the admin allowed private networks (the check runs again before every delivery)."""
    errors: dict[str, str] = {}
    try:
        await delivery.resolve_checked(draft.url, allow_private=draft.allow_private_network)
    except delivery.Refused as exc:
        errors["url"] = f"This URL is refused: {exc}."
    if errors:
        raise Invalid(errors=errors)


def _subject(subscription_id: int) -> str:
    return f"webhook:{subscription_id}"


async def _audit(action: str, subscription_id: int, actor: Actor, clock: Clock,
                 **detail: Any) -> None:
    await audit.record(action=action, at=clock.now(), actor=actor.email,
                       subject=_subject(subscription_id), ip=actor.ip, detail=detail)


async def create(draft: Draft, *, actor: Actor, clock: Clock) -> int:
    await _check_target(draft)
    now = clock.now()
    async with transaction():
        rows = await fetch(
            "INSERT INTO webhook_subscriptions (url, description, event_types, secret, owner, "
            "active, allow_private_network, consecutive_failures, disabled_reason, "
            "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, true, $6, 0, '', $7, $7) "
            "RETURNING id", draft.url, draft.description, draft.event_types,
            rules.new_secret(), actor.staff_id, draft.allow_private_network, now)
        subscription_id = int(rows[0]["id"])
        await _audit("webhook.created", subscription_id, actor, clock, url=draft.url,
                     event_types=draft.event_types,
                     allow_private_network=draft.allow_private_network)
    return subscription_id


async def update(subscription_id: int, draft: Draft, *, actor: Actor, clock: Clock) -> None:
    await _check_target(draft)
    async with transaction():
        rows = await fetch(
            "UPDATE webhook_subscriptions SET url = $2, description = $3, event_types = $4, "
            "allow_private_network = $5, updated_at = $6 WHERE id = $1 RETURNING id",
            subscription_id, draft.url, draft.description, draft.event_types,
            draft.allow_private_network, clock.now())
        if not rows:
            raise NotFound("There is no such webhook.")
        await _audit("webhook.updated", subscription_id, actor, clock, url=draft.url,
                     event_types=draft.event_types,
                     allow_private_network=draft.allow_private_network)


async def rotate_secret(subscription_id: int, *, actor: Actor, clock: Clock) -> None:
    async with transaction():
        rows = await fetch("UPDATE webhook_subscriptions SET secret = $2, updated_at = $3 "
                           "WHERE id = $1 RETURNING id", subscription_id, rules.new_secret(),
                           clock.now())
        if not rows:
            raise NotFound("There is no such webhook.")
        await _audit("webhook.secret_rotated", subscription_id, actor, clock)


async def set_active(subscription_id: int, active: bool, *, actor: Actor,
                     clock: Clock) -> None:
    """Enabling clears the failure count and the auto-disable note."""
    now = clock.now()
    async with transaction():
        rows = await fetch(
            "UPDATE webhook_subscriptions SET active = $2::boolean, updated_at = $3, "
            "disabled_at = CASE WHEN $2::boolean THEN NULL ELSE $3::timestamptz END, "
            "disabled_reason = CASE WHEN $2 THEN '' ELSE 'Disabled by an admin.' END, "
            "consecutive_failures = CASE WHEN $2 THEN 0 ELSE consecutive_failures END "
            "WHERE id = $1 AND active <> $2 RETURNING id", subscription_id, active, now)
        if rows:
            await _audit("webhook.enabled" if active else "webhook.disabled",
                         subscription_id, actor, clock)


async def send_test(subscription_id: int, *, actor: Actor, clock: Clock,
                    queue: TaskQueue | None) -> dict[str, Any]:
    """A `webhook.test` event to this subscription only, sent now; returns the result."""
    now = clock.now()
    async with transaction():
        rows = await fetch(
            "WITH ev AS (INSERT INTO webhook_events (event_id, type, person, payload, "
            "occurred_at) SELECT $2, $3, NULL, $4::jsonb, $5 "
            "WHERE EXISTS (SELECT 1 FROM webhook_subscriptions WHERE id = $1) RETURNING id) "
            "INSERT INTO webhook_deliveries (subscription, event, status, attempts, "
            "next_attempt_at, last_error, created_at) SELECT $1, ev.id, 'pending', 0, $5, "
            "'', $5 FROM ev RETURNING id", subscription_id, str(uuid.uuid4()),
            rules.TEST_EVENT, '{"test": true}', now)
        if not rows:
            raise NotFound("There is no such webhook.")
        await _audit("webhook.test_sent", subscription_id, actor, clock)
    return await _send_now(int(rows[0]["id"]), clock=clock, queue=queue)


async def _send_now(delivery_id: int, *, clock: Clock, queue: TaskQueue | None) -> dict:
    result = await delivery.deliver_one(delivery_id, clock=clock, queue=queue)
    return {"delivery_id": delivery_id, **(result or {
        "status": "pending", "status_code": None, "error": "", "elapsed_ms": 0})}


async def retry_now(subscription_id: int, delivery_id: int, *, actor: Actor, clock: Clock,
                    queue: TaskQueue | None) -> dict[str, Any]:
    """One more attempt now for a failed or given-up delivery of this subscription."""
    async with transaction():
        rows = await fetch(
            "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = $3 "
            "WHERE id = $1 AND subscription = $2 AND status IN ('failed', 'gave_up') "
            "RETURNING id", delivery_id, subscription_id, clock.now())
        if not rows:
            raise Conflict("Only a failed or given-up delivery can be retried.")
        await _audit("webhook.retried", subscription_id, actor, clock, delivery=delivery_id)
    return await _send_now(delivery_id, clock=clock, queue=queue)


async def email_context(template: str, stored: dict, *, clock: Clock) -> dict:
    subscription_id = int(stored["subscription_id"])
    rows = await fetch("SELECT url, disabled_reason FROM webhook_subscriptions WHERE id = $1",
                       subscription_id)
    if not rows:
        raise LookupError(f"webhook subscription {subscription_id} is gone")
    return {"url": rows[0]["url"], "reason": rows[0]["disabled_reason"],
            "manage_url": f"{get_settings().base_url}/backoffice/integrations/webhooks/"
                          f"{subscription_id}"}


EMAIL_CONTEXTS: dict = {"webhook_disabled": email_context}
