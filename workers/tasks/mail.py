"""Send one outbound email. arq may run this twice: the claim makes the second a no-op."""

from __future__ import annotations

import logging

from arq import Retry

from domain.mail import contexts
from domain.mail import service as mail
from domain.preferences import emails as preference_links
from workers.mailer import PermanentMailError, TemporaryMailError

log = logging.getLogger(__name__)


async def send_email(ctx: dict, email_id: int) -> str:
    clock = ctx["clock"]
    row = await mail.claim(email_id, now=clock.now())
    if row is None:
        return "not claimable (already sent, failed or in progress)"
    try:
        # Marketing mail: consent is re-checked now, and the footer links and the
        # List-Unsubscribe URL are minted for this recipient (transactional mail has none).
        links = (await preference_links.marketing_links(row, clock=clock)
                 if row["kind"] == "marketing" else {})
        context = await contexts.build(row["template"], row["context"], clock=clock)
        attachments = context.pop("attachments", ())
        message = ctx["emails"].build(row["template"], {**context, **links},
                                      to=row["to_address"], email_id=email_id,
                                      list_unsubscribe=links.get("unsubscribe_url"),
                                      attachments=attachments)
        await ctx["mailer"].send(message)
    except TemporaryMailError as exc:
        if await mail.release_for_retry(email_id, error=str(exc)):
            raise Retry(defer=min(300, 5 * 2 ** row["attempts"])) from exc
        return f"failed after retries: {exc}"
    except (PermanentMailError, LookupError) as exc:
        log.error("email %s failed permanently: %s", email_id, exc)
        await mail.mark_failed(email_id, error=str(exc))
        return f"failed: {exc}"
    await mail.mark_sent(email_id, subject=str(message["Subject"]),
                         message_id=str(message["Message-ID"]), now=clock.now())
    return "sent"

TASKS = [send_email]
CRON_JOBS: list = []
