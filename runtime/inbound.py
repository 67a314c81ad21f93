"""The inbound SMTP listener (`talentloop inbound`, one of `talentloop run`'s processes):
replies to replies+<token>@REPLY_DOMAIN, delivery status notifications and complaint
reports, each handed to domain.campaigns.inbound.receive.

The message is answered 250 only after it was stored; any failure answers 451, so the
sending server keeps it and tries again (receive() is idempotent, a retry stores nothing
twice). Messages over the size limit are refused at DATA (552) by aiosmtpd.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from aiosmtpd.smtp import SMTP, Envelope, Session

from domain.campaigns import inbound
from domain.db import close_pool, start_pool
from domain.ports import Clock, SystemClock, TaskQueue
from settings import get_settings

log = logging.getLogger("talentloop.inbound")


class InboundHandler:
    def __init__(self, *, clock: Clock, queue: TaskQueue | None) -> None:
        self.clock = clock
        self.queue = queue

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        try:
            result = await inbound.receive(raw, recipients=tuple(envelope.rcpt_tos),
                                           source="smtp", clock=self.clock, queue=self.queue)
        except Exception:  # the sender retries a 451; nothing is lost
            log.exception("inbound message could not be stored")
            return "451 4.3.0 Temporary failure, please try again later"
        log.info("inbound %s for %s", result.get("kind"), ", ".join(envelope.rcpt_tos))
        return "250 Message accepted"


async def serve(host: str, port: int, *, clock: Clock,
                queue: TaskQueue | None) -> asyncio.Server:
    """Listen in the running event loop (the one that owns the database pool)."""
    handler = InboundHandler(clock=clock, queue=queue)
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(handler, hostname="talentloop-inbound",
                     data_size_limit=inbound.MAX_RAW_BYTES),
        host=host, port=port)


async def _main() -> None:
    from workers.queue import ArqTaskQueue

    settings = get_settings()
    owns_pool = await start_pool(max_size=4)
    queue = await ArqTaskQueue.connect(settings.require_redis_url())
    server = await serve(settings.host, settings.inbound_smtp_port, clock=SystemClock(),
                         queue=queue)
    log.info("inbound SMTP listening on %s:%s", settings.host, settings.inbound_smtp_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await server.wait_closed()
        await queue.close()
        if owns_pool:
            await close_pool()


def run() -> int:
    asyncio.run(_main())
    return 0
