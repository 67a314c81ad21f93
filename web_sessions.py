"""Server-side sessions in Redis: id rotated on sign-in, and no stale write-backs.

Litestar's server-side backend (1) keeps reusing the id from the incoming cookie, which
would let an attacker who planted a session id before sign-in ride the signed-in
session, and (2) writes the session it loaded back to the store at the end of every
request. With (2), a slow request that overlaps a sign-out stores the signed-in session
again and undoes the sign-out. So:

- a handler that signs someone in sets ROTATE_FLAG (or calls rotate_session_id, which
  also tells it the new id); we drop the old record and issue a new id;
- a session the request did not change is not written (its cookie is still refreshed,
  so the idle timeout counts from the last request, not the last change);
- a changed session whose record disappeared while the request ran (signed out
  meanwhile) is not written either.
"""

from __future__ import annotations

import copy
import secrets
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Empty, Message, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items

ROTATE_FLAG = "talentloop_rotate_session"
# Set on a request whose session had ended (revoked, expired, stale): the sign-in page
# it is sent to then says so (web_errors).
SESSION_ENDED = "talentloop_session_ended"
_NEW_ID = "talentloop_new_session_id"
_ROTATED = "talentloop_session_rotated"
_LOADED = "talentloop_session_as_loaded"
SESSION_ID_BYTES = 32


def rotate_session_id(connection: ASGIConnection) -> str:
    """Rotate the session id when this request ends (a sign-in) and return the new id now,
    so the caller can index the session under the id it is about to get."""
    connection.scope[ROTATE_FLAG] = True  # type: ignore[literal-required]
    new_id = connection.scope.get(_NEW_ID)
    if not isinstance(new_id, str):
        new_id = secrets.token_hex(SESSION_ID_BYTES)
        connection.scope[_NEW_ID] = new_id  # type: ignore[literal-required]
    return new_id


class RotatingSessionBackend(ServerSideSessionBackend):
    def get_session_id(self, connection: ASGIConnection) -> str:
        rotated = connection.scope.get(_NEW_ID)
        return rotated if isinstance(rotated, str) else super().get_session_id(connection)

    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        data = await super().load_from_connection(connection)
        connection.scope[_LOADED] = copy.deepcopy(data)  # type: ignore[literal-required]
        return data

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection
    ) -> None:
        cookie_id = connection.cookies.get(self.config.key)
        if not scope_session and not cookie_id:
            # An anonymous visitor with nothing to remember gets no session record and no
            # cookie: otherwise every crawler request would create a key in Redis.
            return
        if connection.scope.get(ROTATE_FLAG):
            await self._rotate(connection, cookie_id)
        elif scope_session is not Empty and cookie_id:
            if scope_session == connection.scope.get(_LOADED):
                self._refresh_cookie(message, cookie_id)
                return
            if connection.scope.get(_LOADED) and not await self._exists(connection, cookie_id):
                return  # signed out by another request while this one ran
        await super().store_in_message(scope_session, message, connection)

    async def _rotate(self, connection: ASGIConnection, old_id: str | None) -> None:
        if connection.scope.get(_ROTATED):
            return
        connection.scope[_ROTATED] = True  # type: ignore[literal-required]
        if old_id:
            await self.delete(old_id, store=self._store(connection))
        if not isinstance(connection.scope.get(_NEW_ID), str):
            connection.scope[_NEW_ID] = self.generate_session_id()  # type: ignore[literal-required]

    def _store(self, connection: ASGIConnection) -> Any:
        return self.config.get_store_from_app(connection.scope["app"])

    async def _exists(self, connection: ASGIConnection, session_id: str) -> bool:
        return bool(await self._store(connection).exists(session_id))

    def _refresh_cookie(self, message: Message, session_id: str) -> None:
        if message["type"] != "http.response.start":
            return
        params = dict(extract_dataclass_items(self.config, exclude_none=True,
                                              include=Cookie.__dict__.keys()))
        cookie = Cookie(value=session_id, key=self.config.key, **params)
        MutableScopeHeaders.from_message(message).add("Set-Cookie", cookie.to_header(header=""))


class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend  # type: ignore[assignment]


def session_config(*, key: str, store: str, max_age: int, secure: bool, **extra: Any
                   ) -> RotatingSessionConfig:
    return RotatingSessionConfig(
        key=key, store=store, max_age=max_age, secure=secure, httponly=True, samesite="lax",
        renew_on_access=True, **extra,
    )
