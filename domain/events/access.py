"""Who may manage which event: hosts and co-hosts their own, EVENTS_ALL every one.

Every back-office event route goes through `manageable_event`, so a host asking for
another host's event gets the same 404 as for an event that does not exist (no probing).
"""

from __future__ import annotations

from domain.accounts.permissions import Permission
from domain.accounts.service import Staff
from domain.db import fetch
from domain.errors import NotFound, PermissionDenied
from domain.events import queries


def _require_host(staff: Staff) -> None:
    if not staff.can(Permission.EVENTS_HOST):
        raise PermissionDenied("Your role does not allow managing events.")


async def may_manage(staff: Staff, event_id: int) -> bool:
    if staff.can(Permission.EVENTS_ALL):
        return True
    if not staff.can(Permission.EVENTS_HOST):
        return False
    rows = await fetch("SELECT 1 FROM event_hosts WHERE event = $1 AND staff = $2",
                       event_id, staff.id)
    return bool(rows)


async def manageable_event(staff: Staff, event_id: int) -> dict:
    """The event row when `staff` may manage it; NotFound otherwise."""
    _require_host(staff)
    if not await may_manage(staff, event_id):
        raise NotFound("There is no such event.")
    return await queries.event_by_id(event_id)


def sees_all(staff: Staff) -> bool:
    return staff.can(Permission.EVENTS_ALL)
