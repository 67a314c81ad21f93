"""Guards built from the permission table in domain.accounts.permissions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar import Request, Response
from litestar.background_tasks import BackgroundTask
from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from backoffice.auth import require_staff
from domain.accounts.permissions import Permission
from domain.accounts.service import Staff
from domain.audit import service as audit
from domain.errors import DomainError, PermissionDenied
from domain.ports import SystemClock
from web_errors import exception_handlers

Guard = Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]
# One audit entry per staff member, method and route per minute: enough to see who probes
# what, too few for a crawler (or a stuck browser tab) to flood the log.
DENIAL_WINDOW_SECONDS = 60


async def signed_in(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    await require_staff(connection)


async def record_denial(connection: ASGIConnection, staff: Staff,
                        permission: Permission | None, reason: str = "") -> None:
    """Audit a refused request as a security event (rate-limited per staff and route)."""
    method = connection.scope.get("method", "GET")
    # The route template, not the path: paths can carry ids (and tokens, QUALITY.md S5).
    route = str(connection.scope.get("path_template") or connection.url.path)
    key = f"talentloop:denied:{staff.id}:{method}:{route}"
    if not await connection.app.state.redis.set(key, "1", nx=True, ex=DENIAL_WINDOW_SECONDS):
        return
    await audit.record(
        action="staff.permission_denied", at=SystemClock().now(), actor=staff.email,
        subject=connection.url.path, ip=connection.client.host if connection.client else "",
        detail={"permission": permission.value if permission else "", "method": method,
                "route": route, **({"reason": reason} if reason else {})},
    )


def denied_handler(request: Request, exc: PermissionDenied) -> Response:
    """A service refused (an ownership or role rule checked below the route guards): the
    same 403 page as anywhere, and the same security event as a guard's refusal."""
    response = exception_handlers()[DomainError](request, exc)
    staff = request.scope.get("talentloop_staff")
    if isinstance(staff, Staff):
        response.background = BackgroundTask(record_denial, request, staff, None, str(exc))
    return response


def requires(permission: Permission) -> Guard:
    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        staff = await require_staff(connection)
        if not staff.can(permission):
            await record_denial(connection, staff, permission)
            raise PermissionDeniedException("Your role does not allow this page.")

    return guard
