"""Which domain service supplies the render context for each email template.

Each context that sends mail lists its templates in EMAIL_CONTEXTS; a builder receives
(template, stored_context, clock=...) and returns the render context. Minting tokens at
render time means no raw token is ever stored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from domain.accounts import invites as staff_invites
from domain.bulk import emails as bulk_emails
from domain.campaigns import inbound as marketing_inbound
from domain.campaigns import templates as marketing_templates
from domain.communities import service as communities
from domain.events import emails as events_emails
from domain.events import messaging as events_messaging
from domain.hiring_emails import emails as hiring_emails
from domain.identity import emails as identity_emails
from domain.integrations import webhook_admin
from domain.interviews import availability as interview_availability
from domain.interviews import emails as interview_emails
from domain.interviews import reminders as interview_reminders
from domain.offers import emails as offer_emails
from domain.pipeline import emails as pipeline_emails
from domain.ports import Clock
from domain.preferences import emails as preferences_emails
from domain.privacy import emails as privacy_emails

ContextBuilder = Callable[..., Awaitable[dict]]

BUILDERS: dict[str, ContextBuilder] = {
    "community_confirm": communities.email_context,
    "community_already_member": communities.email_context,
    **bulk_emails.EMAIL_CONTEXTS,
    **staff_invites.EMAIL_CONTEXTS,
    **events_emails.EMAIL_CONTEXTS,
    **events_messaging.EMAIL_CONTEXTS,
    **hiring_emails.EMAIL_CONTEXTS,
    **marketing_inbound.EMAIL_CONTEXTS,
    **marketing_templates.EMAIL_CONTEXTS,
    **identity_emails.EMAIL_CONTEXTS,
    **interview_availability.EMAIL_CONTEXTS,
    **interview_emails.EMAIL_CONTEXTS,
    **interview_reminders.EMAIL_CONTEXTS,
    **offer_emails.EMAIL_CONTEXTS,
    **pipeline_emails.EMAIL_CONTEXTS,
    **preferences_emails.EMAIL_CONTEXTS,
    **privacy_emails.EMAIL_CONTEXTS,
    **webhook_admin.EMAIL_CONTEXTS,
}


async def build(template: str, stored: dict, *, clock: Clock) -> dict:
    builder = BUILDERS.get(template)
    if builder is None:
        raise LookupError(f"no context builder for email template {template!r}")
    return await builder(template, stored, clock=clock)
