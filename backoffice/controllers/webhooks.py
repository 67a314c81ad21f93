"""Webhook subscriptions (INTEGRATIONS_MANAGE): list, create and edit with per-field
errors, rotate the secret, enable/disable, send a test, the delivery log with "retry now".
Every change is audited (domain.integrations.webhook_admin)."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backoffice.auth import require_staff
from backoffice.permissions import requires
from domain.accounts.admin import Actor
from domain.accounts.permissions import Permission
from domain.errors import Conflict, Invalid
from domain.integrations import webhook_admin as admin
from domain.integrations import webhook_queries as queries
from domain.integrations.webhook_rules import DISABLE_AFTER_FAILURES, EVENT_TYPES, MAX_ATTEMPTS
from web_common import client_ip, page

CAN_MANAGE = [requires(Permission.INTEGRATIONS_MANAGE)]
_BASE = "/backoffice/integrations/webhooks"
TYPE_CHOICES = [(name, f"{name} ({fields})") for name, fields in EVENT_TYPES.items()]
NOTICES = {
    "created": "Webhook created. Copy its signing secret into the receiver.",
    "saved": "Webhook saved.",
    "rotated": "New signing secret: the old one no longer verifies. Update the receiver.",
    "enabled": "Webhook enabled: new events are sent to it again.",
    "disabled": "Webhook disabled: no new events are sent to it.",
}


async def _actor(request: Request) -> Actor:
    staff = await require_staff(request)
    return Actor(staff.id, staff.email, client_ip(request))


def _form(data) -> dict:
    return {"url": str(data.get("url") or "")[:2100],
            "description": str(data.get("description") or "")[:400],
            "event_types": [str(value)[:60] for value in data.getall("event_types", [])][:20],
            "allow_private_network": bool(data.get("allow_private_network"))}


@get("/integrations/webhooks", name="backoffice.webhooks.index", guards=CAN_MANAGE,
     include_in_schema=False)
async def index(request: Request) -> Template:
    return page(request, "backoffice/integrations/webhooks/index.html",
                rows=await queries.subscriptions(), current_staff=await require_staff(request))


async def _edit_page(request: Request, form: dict, errors: dict, *,
                     subscription: dict | None = None, status: int = 200) -> Template:
    return page(request, "backoffice/integrations/webhooks/form.html", status_code=status,
                form=form, errors=errors, subscription=subscription,
                type_choices=TYPE_CHOICES, current_staff=await require_staff(request))


@get("/integrations/webhooks/new", name="backoffice.webhooks.new", guards=CAN_MANAGE,
     include_in_schema=False)
async def new(request: Request) -> Template:
    return await _edit_page(request, {"url": "", "description": "", "event_types": [],
                                      "allow_private_network": False}, {})


@post("/integrations/webhooks", name="backoffice.webhooks.create", guards=CAN_MANAGE,
      include_in_schema=False)
async def create(request: Request) -> Template | Redirect:
    form = _form(await request.form())
    draft, errors = admin.parse(form)
    try:
        if errors:
            raise Invalid(errors=errors)
        subscription_id = await admin.create(draft, actor=await _actor(request),
                                             clock=request.app.state.clock)
    except Invalid as exc:
        return await _edit_page(request, form, exc.errors, status=422)
    return Redirect(f"{_BASE}/{subscription_id}?notice=created", status_code=303)


@get("/integrations/webhooks/{subscription_id:int}", name="backoffice.webhooks.detail",
     guards=CAN_MANAGE, include_in_schema=False)
async def detail(request: Request, subscription_id: FromPath[int], notice: FromQuery[str] = "",
                 tested: FromQuery[int | None] = None) -> Template:
    subscription = await queries.subscription(subscription_id)
    test = await queries.delivery(subscription_id, tested) if tested else None
    return page(request, "backoffice/integrations/webhooks/detail.html",
                subscription=subscription, notice=NOTICES.get(notice, ""), test=test,
                disable_after=DISABLE_AFTER_FAILURES, current_staff=await require_staff(request))


@get("/integrations/webhooks/{subscription_id:int}/edit", name="backoffice.webhooks.edit",
     guards=CAN_MANAGE, include_in_schema=False)
async def edit(request: Request, subscription_id: FromPath[int]) -> Template:
    subscription = await queries.subscription(subscription_id)
    form = {key: subscription[key] for key in ("url", "description", "event_types",
                                               "allow_private_network")}
    return await _edit_page(request, form, {}, subscription=subscription)


@post("/integrations/webhooks/{subscription_id:int}/edit",
      name="backoffice.webhooks.update", guards=CAN_MANAGE, include_in_schema=False)
async def update(request: Request, subscription_id: FromPath[int]) -> Template | Redirect:
    subscription = await queries.subscription(subscription_id)
    form = _form(await request.form())
    draft, errors = admin.parse(form)
    try:
        if errors:
            raise Invalid(errors=errors)
        await admin.update(subscription_id, draft, actor=await _actor(request),
                           clock=request.app.state.clock)
    except Invalid as exc:
        return await _edit_page(request, form, exc.errors, subscription=subscription,
                                status=422)
    return Redirect(f"{_BASE}/{subscription_id}?notice=saved", status_code=303)


@post("/integrations/webhooks/{subscription_id:int}/rotate",
      name="backoffice.webhooks.rotate", guards=CAN_MANAGE, include_in_schema=False)
async def rotate(request: Request, subscription_id: FromPath[int]) -> Redirect:
    await admin.rotate_secret(subscription_id, actor=await _actor(request),
                              clock=request.app.state.clock)
    return Redirect(f"{_BASE}/{subscription_id}?notice=rotated", status_code=303)


async def _set_active(request: Request, subscription_id: int, active: bool) -> Redirect:
    await queries.subscription(subscription_id)
    await admin.set_active(subscription_id, active, actor=await _actor(request),
                           clock=request.app.state.clock)
    notice = "enabled" if active else "disabled"
    return Redirect(f"{_BASE}/{subscription_id}?notice={notice}", status_code=303)


@post("/integrations/webhooks/{subscription_id:int}/enable",
      name="backoffice.webhooks.enable", guards=CAN_MANAGE, include_in_schema=False)
async def enable(request: Request, subscription_id: FromPath[int]) -> Redirect:
    return await _set_active(request, subscription_id, True)


@post("/integrations/webhooks/{subscription_id:int}/disable",
      name="backoffice.webhooks.disable", guards=CAN_MANAGE, include_in_schema=False)
async def disable(request: Request, subscription_id: FromPath[int]) -> Redirect:
    return await _set_active(request, subscription_id, False)


@post("/integrations/webhooks/{subscription_id:int}/test", name="backoffice.webhooks.test",
      guards=CAN_MANAGE, include_in_schema=False)
async def send_test(request: Request, subscription_id: FromPath[int]) -> Redirect:
    result = await admin.send_test(subscription_id, actor=await _actor(request),
                                   clock=request.app.state.clock, queue=request.app.state.queue)
    return Redirect(f"{_BASE}/{subscription_id}?tested={result['delivery_id']}",
                    status_code=303)


@get("/integrations/webhooks/{subscription_id:int}/deliveries",
     name="backoffice.webhooks.deliveries", guards=CAN_MANAGE, include_in_schema=False)
async def deliveries(request: Request, subscription_id: FromPath[int], status: FromQuery[str] = "",
                     before: FromQuery[int | None] = None, retried: FromQuery[int | None] = None,
                     problem: FromQuery[str] = "") -> Template:
    subscription = await queries.subscription(subscription_id)
    status = status if status in queries.STATUSES else ""
    found = await queries.deliveries(subscription_id, status=status, before=before)
    base = f"{_BASE}/{subscription_id}/deliveries?status={status}"
    return page(request, "backoffice/integrations/webhooks/deliveries.html",
                subscription=subscription, rows=found.rows, status=status,
                statuses=queries.STATUSES, max_attempts=MAX_ATTEMPTS,
                next_url=f"{base}&before={found.next_before}" if found.next_before else None,
                first_url=base if before else None,
                retried=await queries.delivery(subscription_id, retried) if retried else None,
                problem="That delivery cannot be retried now." if problem else "",
                current_staff=await require_staff(request))


@post("/integrations/webhooks/{subscription_id:int}/deliveries/{delivery_id:int}/retry",
      name="backoffice.webhooks.retry", guards=CAN_MANAGE, include_in_schema=False)
async def retry(request: Request, subscription_id: FromPath[int],
                delivery_id: FromPath[int]) -> Redirect:
    base = f"{_BASE}/{subscription_id}/deliveries"
    try:
        await admin.retry_now(subscription_id, delivery_id, actor=await _actor(request),
                              clock=request.app.state.clock, queue=request.app.state.queue)
    except Conflict:
        return Redirect(f"{base}?problem=1", status_code=303)
    return Redirect(f"{base}?retried={delivery_id}", status_code=303)


ROUTES = [index, new, create, detail, edit, update, rotate, enable, disable, send_test,
          deliveries, retry]
