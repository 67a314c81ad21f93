"""Server-side sessions in Redis whose id is rotated on sign-in.

Litestar's server-side backend keeps reusing the id from the incoming cookie, which
would let an attacker who planted a session id before sign-in ride the signed-in
session. A handler sets ROTATE_FLAG in the scope; we then drop the old record and
issue a new id.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Message, ScopeSession

ROTATE_FLAG = "talentloop_rotate_session"
_NEW_ID = "talentloop_new_session_id"


class RotatingSessionBackend(ServerSideSessionBackend):
    def get_session_id(self, connection: ASGIConnection) -> str:
        rotated = connection.scope.get(_NEW_ID)
        return rotated if isinstance(rotated, str) else super().get_session_id(connection)

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection
    ) -> None:
        if not scope_session and not connection.cookies.get(self.config.key):
            # An anonymous visitor with nothing to remember gets no session record and no
            # cookie: otherwise every crawler request would create a key in Redis.
            return
        if connection.scope.get(ROTATE_FLAG) and _NEW_ID not in connection.scope:
            old_id = connection.cookies.get(self.config.key)
            if old_id:
                store = self.config.get_store_from_app(connection.scope["app"])
                await self.delete(old_id, store=store)
            connection.scope[_NEW_ID] = self.generate_session_id()  # type: ignore[literal-required]
        await super().store_in_message(scope_session, message, connection)


class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend  # type: ignore[assignment]


def session_config(*, key: str, store: str, max_age: int, secure: bool, **extra: Any
                   ) -> RotatingSessionConfig:
    return RotatingSessionConfig(
        key=key, store=store, max_age=max_age, secure=secure, httponly=True, samesite="lax",
        renew_on_access=True, **extra,
    )
