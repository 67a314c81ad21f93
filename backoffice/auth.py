"""Staff identity on a request.

The session holds the staff id, the account's session epoch at sign-in and the sign-in
time. A session counts while it is younger than 12 hours (absolute), its record is still
in Redis (30 minutes idle: the record's TTL, renewed by each request), the account is
active and its epoch is unchanged: disabling the account or taking a role away bumps the
epoch, so every session ends on its next request. Roles are read on every request, so a
role added takes effect at once without ending anything.
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException

from backoffice import session_index
from domain.accounts import service as accounts
from domain.accounts.service import Staff
from domain.ports import SystemClock
from web_sessions import SESSION_ENDED, rotate_session_id

ABSOLUTE_LIFETIME_SECONDS = 12 * 3600
STAFF_STORE = "staff_sessions"


def session_now(connection: ASGIConnection) -> float:
    """Seconds since the epoch by the session clock (a test moves it; the business clock in
    app.state.clock moves separately, e.g. days ahead to close an event)."""
    clock = getattr(connection.app.state, "session_clock", None) or SystemClock()
    return clock.now().timestamp()


def session_cookie(connection: ASGIConnection) -> str:
    """The id of this request's staff session ("" without one)."""
    names = getattr(connection.app.state, "session_cookies", ("", ""))
    return connection.cookies.get(names[-1], "") if names[-1] else ""


async def _load(connection: ASGIConnection, session: dict) -> Staff | None:
    staff_id, epoch = session.get("staff_id"), session.get("epoch")
    if not isinstance(staff_id, int) or not isinstance(epoch, int):
        return None
    if session_now(connection) - float(session.get("login_at", 0)) >= ABSOLUTE_LIFETIME_SECONDS:
        return None
    staff = await accounts.get_active(staff_id)
    if staff is None or staff.session_epoch != epoch:
        return None
    return staff


async def current_staff(connection: ASGIConnection) -> Staff | None:
    """Load (once per request) the signed-in, still-active staff member, or None."""
    cached = connection.scope.get("talentloop_staff", False)
    if cached is not False:
        return cached
    session = connection.scope.get("session") or {}
    staff = await _load(connection, session)
    if staff is None and ("staff_id" in session or (not session and session_cookie(connection))):
        # A cookie or session that no longer signs anyone in: drop it for good and let the
        # sign-in page say that the session ended. A session without a staff id is a
        # sign-in in progress (an SSO flow, a pending second factor): left alone.
        connection.scope[SESSION_ENDED] = True  # type: ignore[literal-required]
        connection.clear_session()
    elif staff is not None:
        await _touch(connection, staff, session)
    connection.scope["talentloop_staff"] = staff  # type: ignore[typeddict-unknown-key]
    return staff


def _client(connection: ASGIConnection) -> tuple[str, str]:
    ip = connection.client.host if connection.client else ""
    return ip, connection.headers.get("user-agent", "")[:400]


async def _touch(connection: ASGIConnection, staff: Staff, session: dict) -> None:
    session_id = session_cookie(connection)
    if not session_id:
        return
    ip, agent = _client(connection)
    await session_index.touch(connection.app.state.redis, staff.id, session_id,
                              started=float(session.get("login_at", 0)),
                              now=session_now(connection), ip=ip, user_agent=agent,
                              epoch=staff.session_epoch)


async def require_staff(connection: ASGIConnection) -> Staff:
    staff = await current_staff(connection)
    if staff is None:
        raise NotAuthorizedException("Sign in to continue.")
    return staff


async def start_session(connection: ASGIConnection, staff: Staff, **extra: object) -> None:
    """Replace the session with a fresh one: the id is rotated by the session backend so a
    session id planted before sign-in (fixation) is worthless afterwards. `extra` keys
    (e.g. a required TOTP enrolment) go into the new session."""
    session_id = rotate_session_id(connection)
    now = session_now(connection)
    connection.set_session({"staff_id": staff.id, "epoch": staff.session_epoch,
                            "login_at": now, **extra})
    ip, agent = _client(connection)
    await session_index.record(connection.app.state.redis, staff.id, session_id, started=now,
                               now=now, ip=ip, user_agent=agent, epoch=staff.session_epoch)


async def end_session(connection: ASGIConnection) -> None:
    """Sign this session out (its record is deleted when the response is sent)."""
    session = connection.scope.get("session") or {}
    staff_id, session_id = session.get("staff_id"), session_cookie(connection)
    if isinstance(staff_id, int) and session_id:
        await session_index.forget(connection.app.state.redis, staff_id, session_id)
    connection.clear_session()


def staff_store(connection: ASGIConnection):
    return connection.app.stores.get(STAFF_STORE)
