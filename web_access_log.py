"""Access log lines that never contain tokens: the route template (`/confirm/{token}`) is
logged, not the concrete path, and uvicorn's own access log is off for that reason
(QUALITY.md S5: no issued token in logs)."""

from __future__ import annotations

import logging

from litestar.types import Message, Scope

log = logging.getLogger("talentloop.access")
# Set on the scope by web_tracking_front for the hits it answers itself.
QUIET = "talentloop.quiet"


# A coroutine on purpose: Litestar runs a plain-function before_send hook in a worker
# thread (ensure_async_callable), a thread hop on every message of every response.
async def access_log(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start":
        return
    handler = scope.get("route_handler")
    if (handler is not None and handler.opt.get("access_log") is False) or scope.get(QUIET):
        # High-volume hits that are recorded elsewhere (web_tracking.py and its front).
        return
    client = scope.get("client") or ("-", 0)
    route = scope.get("path_template") or "(no matching route)"
    log.info("%s %s %s %s", client[0], scope.get("method", "-"), route, message["status"])
