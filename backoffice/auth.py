"""Staff identity on a request: the session holds only the staff id and login time."""

from __future__ import annotations

import time

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException

from domain.accounts import service as accounts
from domain.accounts.service import Staff
from web_sessions import ROTATE_FLAG

ABSOLUTE_LIFETIME_SECONDS = 12 * 3600


async def current_staff(connection: ASGIConnection) -> Staff | None:
    """Load (once per request) the signed-in, still-active staff member, or None."""
    cached = connection.scope.get("talentloop_staff", False)
    if cached is not False:
        return cached
    staff = None
    session = connection.scope.get("session") or {}
    staff_id, login_at = session.get("staff_id"), session.get("login_at", 0)
    if isinstance(staff_id, int) and time.time() - float(login_at) < ABSOLUTE_LIFETIME_SECONDS:
        staff = await accounts.get_active(staff_id)
    connection.scope["talentloop_staff"] = staff  # type: ignore[typeddict-unknown-key]
    return staff


async def require_staff(connection: ASGIConnection) -> Staff:
    staff = await current_staff(connection)
    if staff is None:
        raise NotAuthorizedException("Sign in to continue.")
    return staff


def start_session(connection: ASGIConnection, staff: Staff) -> None:
    """Replace the session with a fresh one: the id is rotated by the session backend so a
    session id planted before sign-in (fixation) is worthless afterwards."""
    connection.scope[ROTATE_FLAG] = True  # type: ignore[literal-required]
    connection.set_session({"staff_id": staff.id, "login_at": time.time()})
