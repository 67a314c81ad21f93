"""Shared plumbing for the pages of one requisition: the access check and the header context.

Every back-office route about one requisition starts with `requisition_context`, so the
membership rule (hiring managers see only the requisitions they are on) is applied in
exactly one place, and a non-member gets the same 404 as for a missing requisition.
"""

from __future__ import annotations

from litestar import Request

from backoffice.auth import require_staff
from backoffice.permissions import requires
from domain.accounts.permissions import Permission
from domain.requisitions import access
from domain.requisitions.queries import decoded

CAN_WORK = [requires(Permission.REQUISITIONS_WORK)]
CAN_MANAGE_ALL = [requires(Permission.REQUISITIONS_ALL)]


async def requisition_context(request: Request, requisition_id: int, active_tab: str) -> dict:
    """The requisition (404 unless the signed-in staff member may work on it) plus what
    the layout and the tabs need."""
    staff = await require_staff(request)
    requisition = decoded(await access.workable_requisition(staff, requisition_id),
                          "screening_questions")
    return {"requisition": requisition, "active_tab": active_tab, "current_staff": staff,
            "sees_all": access.sees_all(staff)}
