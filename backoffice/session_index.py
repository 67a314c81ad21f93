"""Which back-office sessions each staff member has open, for "Your sessions".

A Redis hash per staff member maps session id → JSON (started, last seen, IP, user agent,
epoch). Written at sign-in and refreshed at most once a minute by the requests of a live
session; entries whose session record is gone (signed out, idle timeout) or whose epoch
is stale (disabled, lost a role) are pruned when the list is read. Pages name a session by
a hash of its id, never the id itself: the id is the credential.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

INDEX_KEY = "talentloop:staff-session-index:{staff_id}"
TOUCH_EVERY_SECONDS = 60
# Longer than any session can live (12 h absolute): a forgotten index expires on its own.
INDEX_TTL_SECONDS = 13 * 3600


@dataclass(frozen=True)
class OpenSession:
    handle: str
    started: float
    seen: float
    ip: str
    user_agent: str
    current: bool

    @property
    def started_at(self) -> datetime:
        return datetime.fromtimestamp(self.started, UTC)

    @property
    def seen_at(self) -> datetime:
        return datetime.fromtimestamp(self.seen, UTC)


def handle_of(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()[:24]


def _key(staff_id: int) -> str:
    return INDEX_KEY.format(staff_id=staff_id)


async def record(redis: Any, staff_id: int, session_id: str, *, started: float, now: float,
                 ip: str, user_agent: str, epoch: int) -> None:
    meta = {"started": started, "seen": now, "ip": ip[:64], "ua": user_agent[:400],
            "epoch": epoch}
    pipe = redis.pipeline(transaction=True)
    pipe.hset(_key(staff_id), session_id, json.dumps(meta))
    pipe.expire(_key(staff_id), INDEX_TTL_SECONDS)
    await pipe.execute()


async def touch(redis: Any, staff_id: int, session_id: str, *, started: float, now: float,
                ip: str, user_agent: str, epoch: int) -> None:
    """Note a request of a live session; writes at most once a minute per session."""
    raw = await redis.hget(_key(staff_id), session_id)
    meta = json.loads(raw) if raw else None
    if meta and now - float(meta.get("seen", 0)) < TOUCH_EVERY_SECONDS \
            and meta.get("epoch") == epoch:
        return
    await record(redis, staff_id, session_id, started=float((meta or {}).get("started", started)),
                 now=now, ip=ip, user_agent=user_agent, epoch=epoch)


async def forget(redis: Any, staff_id: int, *session_ids: str) -> None:
    if session_ids:
        await redis.hdel(_key(staff_id), *session_ids)


async def live(redis: Any, store: Any, staff_id: int, *, epoch: int, current_id: str
               ) -> list[OpenSession]:
    """The staff member's open sessions, newest activity first; stale entries pruned."""
    entries = {_text(sid): json.loads(raw)
               for sid, raw in (await redis.hgetall(_key(staff_id))).items()}
    alive, stale = [], []
    for session_id, meta in entries.items():
        if meta.get("epoch") != epoch or not await store.exists(session_id):
            stale.append(session_id)
            continue
        alive.append(OpenSession(handle_of(session_id), float(meta["started"]),
                                 float(meta["seen"]), meta.get("ip", ""), meta.get("ua", ""),
                                 session_id == current_id))
    await forget(redis, staff_id, *stale)
    return sorted(alive, key=lambda s: (not s.current, -s.seen))


async def session_id_for(redis: Any, staff_id: int, handle: str) -> str | None:
    """The id behind a handle, looked up among this staff member's own sessions only."""
    for session_id in await redis.hkeys(_key(staff_id)):
        if handle_of(_text(session_id)) == handle:
            return _text(session_id)
    return None


async def end(redis: Any, store: Any, staff_id: int, session_ids: list[str]) -> None:
    """Delete the session records (their next request is signed out) and the entries."""
    for session_id in session_ids:
        await store.delete(session_id)
    await forget(redis, staff_id, *session_ids)


async def others(redis: Any, staff_id: int, current_id: str) -> list[str]:
    return [_text(sid) for sid in await redis.hkeys(_key(staff_id)) if _text(sid) != current_id]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def short_agent(user_agent: str) -> str:
    """"Firefox on Linux" rather than the whole header."""
    ua = user_agent or ""
    browser = next((name for token, name in (
        ("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"), ("Safari/", "Safari"), ("curl/", "curl"),
        ("python-httpx", "httpx")) if token in ua), "")
    system = next((name for token, name in (
        ("Windows", "Windows"), ("Android", "Android"), ("iPhone", "iPhone"),
        ("iPad", "iPad"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))
        if token in ua), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or (ua[:60] or "Unknown browser")
