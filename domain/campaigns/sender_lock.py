"""One sender per campaign: a lease with a fencing counter on the campaign row.

Taking the lease bumps `sender_fence`; every later write of that sender says
`AND sender_fence = $fence`, so a sender whose lease expired (and was taken over) can
no longer change the campaign: its writes match no row and it stops.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.db import fetch, fetchval

LEASE = timedelta(seconds=50)


class StaleSender(Exception):
    """Another sender took the campaign over: this one must stop writing."""


async def acquire(campaign_id: int, *, now: datetime, lease: timedelta = LEASE) -> int | None:
    """The new fence, or None while another sender holds a live lease."""
    value = await fetchval(
        "UPDATE campaigns SET sender_fence = sender_fence + 1, sender_until = $2 "
        "WHERE id = $1 AND (sender_until IS NULL OR sender_until < $3) "
        "RETURNING sender_fence", campaign_id, now + lease, now)
    return None if value is None else int(value)


async def hold(campaign_id: int, fence: int) -> dict:
    """Inside a transaction: lock the campaign row if this sender still holds it (so a
    takeover waits for this transaction), else raise StaleSender."""
    rows = await fetch("SELECT * FROM campaigns WHERE id = $1 AND sender_fence = $2 "
                       "FOR UPDATE", campaign_id, fence)
    if not rows:
        raise StaleSender(f"campaign {campaign_id}: fence {fence} is no longer current")
    return rows[0]


async def release(campaign_id: int, fence: int) -> None:
    await fetch("UPDATE campaigns SET sender_until = NULL WHERE id = $1 "
                "AND sender_fence = $2", campaign_id, fence)
