"""Candidate identity on a portal request.

The portal session holds only the person id, the login epoch and the login time. A
session is valid while its epoch equals the person's current one: "sign out everywhere"
bumps the epoch, which ends every other session at its next request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from domain.db import fetch
from web_sessions import ROTATE_FLAG

ABSOLUTE_LIFETIME_SECONDS = 30 * 24 * 3600


@dataclass(frozen=True)
class Candidate:
    person_id: int
    email: str
    full_name: str


async def current_candidate(connection: ASGIConnection) -> Candidate | None:
    """The signed-in candidate (loaded once per request), or None."""
    cached = connection.scope.get("talentloop_candidate", False)
    if cached is not False:
        return cached
    candidate = await _load(connection.scope.get("session") or {})
    connection.scope["talentloop_candidate"] = candidate  # type: ignore[typeddict-unknown-key]
    return candidate


async def _load(session: dict) -> Candidate | None:
    person_id, epoch = session.get("person_id"), session.get("epoch")
    login_at = float(session.get("login_at", 0))
    if not isinstance(person_id, int) or not isinstance(epoch, int):
        return None
    if time.time() - login_at > ABSOLUTE_LIFETIME_SECONDS:
        return None
    rows = await fetch(
        "SELECT p.id, p.email, p.full_name FROM people p JOIN candidate_logins l "
        "ON l.person = p.id WHERE p.id = $1 AND l.session_epoch = $2",
        person_id, epoch,
    )
    return Candidate(rows[0]["id"], rows[0]["email"], rows[0]["full_name"]) if rows else None


async def require_candidate(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard: signed-in candidates only; others are sent to sign in and brought back."""
    if await current_candidate(connection) is None:
        raise NotAuthorizedException("Sign in to continue.")


def start_candidate_session(connection: ASGIConnection, person_id: int, epoch: int) -> None:
    connection.scope[ROTATE_FLAG] = True  # type: ignore[literal-required]
    connection.set_session({"person_id": person_id, "epoch": epoch, "login_at": time.time()})
