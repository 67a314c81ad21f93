"""Who may work on which requisition: REQUISITIONS_ALL every one, hiring managers (and
recruiters named on the hiring team) through their membership.

Every back-office route about one requisition goes through `workable_requisition`, so a
hiring manager asking for another team's requisition gets the same 404 as for one that
does not exist (no probing).
"""

from __future__ import annotations

from domain.accounts.permissions import Permission
from domain.accounts.service import Staff
from domain.db import fetch
from domain.errors import NotFound, PermissionDenied


def sees_all(staff: Staff) -> bool:
    return staff.can(Permission.REQUISITIONS_ALL)


async def may_work(staff: Staff, requisition_id: int) -> bool:
    if sees_all(staff):
        return True
    if not staff.can(Permission.REQUISITIONS_WORK):
        return False
    rows = await fetch("SELECT 1 FROM requisition_members WHERE requisition = $1 "
                       "AND staff = $2", requisition_id, staff.id)
    return bool(rows)


async def workable_requisition(staff: Staff, requisition_id: int) -> dict:
    """The requisition row when `staff` may work on it; NotFound otherwise."""
    if not staff.can(Permission.REQUISITIONS_WORK):
        raise PermissionDenied("Your role does not allow working on requisitions.")
    if not await may_work(staff, requisition_id):
        raise NotFound("There is no such requisition.")
    rows = await fetch("SELECT * FROM requisitions WHERE id = $1", requisition_id)
    if not rows:
        raise NotFound("There is no such requisition.")
    return rows[0]
