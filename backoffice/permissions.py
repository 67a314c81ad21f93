"""Guards built from the permission table in domain.accounts.permissions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from backoffice.auth import require_staff
from domain.accounts.permissions import Permission
from domain.audit import service as audit
from domain.ports import SystemClock

Guard = Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]


async def signed_in(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    await require_staff(connection)


def requires(permission: Permission) -> Guard:
    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        staff = await require_staff(connection)
        if not staff.can(permission):
            await audit.record(
                action="staff.permission_denied", at=SystemClock().now(), actor=staff.email,
                subject=connection.url.path, ip=connection.client.host if connection.client else "",
                detail={"permission": permission.value},
            )
            raise PermissionDeniedException("Your role does not allow this page.")

    return guard
