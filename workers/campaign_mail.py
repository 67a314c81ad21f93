"""The campaign sender's outlet: wraps a composed marketing message in the shared brand
layout (templates/email/marketing_campaign, the layout the marketing test email uses),
adds the marketing headers and sends it over the pooled SMTP connections."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from email.utils import formatdate

from markupsafe import Markup

from domain.campaigns.compose import Composed
from domain.campaigns.delivery import PermanentSendError, TemporarySendError
from domain.campaigns.rules import one_line
from workers.emails import MESSAGE_POLICY, EmailRenderer, add_list_unsubscribe
from workers.mailer import PermanentMailError, SmtpPool, TemporaryMailError

TEMPLATE = "marketing_campaign"


def build_message(renderer: EmailRenderer, composed: Composed) -> EmailMessage:
    # Composed HTML is the nh3-cleaned render plus our own open pixel.
    body = Markup(composed.html)  # noqa: S704  # nosec B704
    _subject, text, html = renderer.render(TEMPLATE, {
        "subject_line": composed.subject, "body_html": body, "body_text": composed.text,
        "unsubscribe_url": composed.unsubscribe_url,
        "preferences_url": composed.preferences_url})
    message = EmailMessage(policy=MESSAGE_POLICY)
    message["Subject"] = one_line(composed.subject)
    message["From"] = renderer.sender
    message["To"] = one_line(composed.to)
    message["Reply-To"] = composed.reply_to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = composed.message_id
    add_list_unsubscribe(message, composed.unsubscribe_url)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


class CampaignOutlet:
    """domain.campaigns.delivery.Outlet over an SmtpPool; `slots` = the pool's size, so a
    worker never has more sends claimed than connections to send them on."""

    def __init__(self, pool: SmtpPool, renderer: EmailRenderer) -> None:
        self.pool = pool
        self.renderer = renderer
        self.slots = asyncio.Semaphore(pool.size)
        self._in_flight: set[asyncio.Future] = set()

    async def send(self, message: Composed) -> None:
        try:
            await self.pool.send(build_message(self.renderer, message))
        except TemporaryMailError as exc:
            raise TemporarySendError(str(exc)) from exc
        except PermanentMailError as exc:
            raise PermanentSendError(str(exc)) from exc

    def track(self, task: asyncio.Future) -> None:
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def drain(self) -> None:
        """Wait for the sends in flight (shutdown must not close the pools under them)."""
        while self._in_flight:
            await asyncio.gather(*list(self._in_flight), return_exceptions=True)
