"""Shared plumbing for the pages of one event: the access check and the header context.

Every back-office route about one event starts with `event_context`, so the ownership
rule (hosts see only their own events) is applied in exactly one place.
"""

from __future__ import annotations

from litestar import Request

from backoffice.auth import require_staff
from backoffice.permissions import requires
from domain.accounts.permissions import Permission
from domain.events import access
from domain.events.emails import when_text

CAN_HOST = [requires(Permission.EVENTS_HOST)]


async def event_context(request: Request, event_id: int, active_tab: str) -> dict:
    """The event (404 unless the signed-in staff member may manage it) plus what the
    layout and the tabs need."""
    staff = await require_staff(request)
    event = await access.manageable_event(staff, event_id)
    return {"event": {**event, "when": when_text(event)}, "active_tab": active_tab,
            "current_staff": staff}
